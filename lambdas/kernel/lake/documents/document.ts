/**
 * The one way a lake document (state, intent, manifest, record, lease, catalog pointer) is
 * read and written: JSON checked against its zod schema on every read and before every
 * write, and replaced by a compare-and-swap that names the version it read. A document that
 * does not match is a {@link LakeDocumentError} naming the key and the next step, worded for
 * the kind of lake it is in (a folder has no object versions to restore).
 */
import type { z } from 'zod';
import { PreconditionFailedError } from '../../errors';
import { LakeDocumentError } from '../errors';
import type { LakeStore, ObjectVersion } from '../lake-store';

/** Constructor of the error a document's reader throws (a subclass of {@link LakeDocumentError}). */
export type DocumentErrorClass = new (
  message: string,
  options?: { cause?: unknown; context?: Record<string, unknown> },
) => LakeDocumentError;

/** Where a damaged document lives, for the words of its next step. */
export interface DocumentLocation {
  /** `folder` for a local lake (with its file path), `s3` for a bucket (with its `s3://` URL). */
  readonly kind: 'folder' | 's3';
  /** The file path or the `s3://bucket/key` of the object. */
  readonly where: string;
}

/** The contract of one kind of lake document. */
export interface DocumentSpec<T> {
  /** What it is, for messages: `the transform state`. */
  readonly what: string;
  readonly schema: z.ZodType<T>;
  /**
   * The next step when the object is damaged. @default restore it from a backup of the lake
   * folder, or from the bucket's object versions
   */
  readonly repair?: (at: DocumentLocation) => string;
  /** @default LakeDocumentError */
  readonly error?: DocumentErrorClass;
  /** Indent the JSON (documents people read). @default false */
  readonly pretty?: boolean;
}

/** A document as read, with the version a conditional write must name. */
export interface StoredDocument<T> {
  readonly value: T;
  readonly version: ObjectVersion;
}

/** Where `key` lives in `lake`: its file in a folder lake, its `s3://` URL otherwise. */
export function locate(lake: LakeStore, key: string): DocumentLocation {
  const path = lake.localPath(key);
  if (path !== undefined) return { kind: 'folder', where: path };
  const root = /^s3:\/\/[^ ]+/.exec(lake.url)?.[0] ?? lake.url;
  return { kind: 's3', where: `${root.replace(/\/+$/, '')}/${key}` };
}

/** The default next step for a damaged document: restore it. */
export function restoreHint(at: DocumentLocation): string {
  if (at.kind === 'folder') return `restore ${at.where} from a backup copy of the lake folder`;
  const [bucket = '', ...rest] = at.where.replace(/^s3:\/\//, '').split('/');
  const key = rest.join('/');
  return `restore its last good version from the bucket's object versions (aws s3api list-object-versions --bucket ${bucket} --prefix ${key}, then aws s3api copy-object --bucket ${bucket} --key ${key} --copy-source "${bucket}/${key}?versionId=<id>")`;
}

/**
 * The error for an object under `key` that cannot be used: names the key, the lake, what is
 * wrong and what to do. Exported for binary documents (key sets) that have no JSON schema.
 */
export function damagedDocument(
  lake: LakeStore,
  key: string,
  spec: Pick<DocumentSpec<unknown>, 'what' | 'repair' | 'error'>,
  problem: string,
  cause?: unknown,
): LakeDocumentError {
  const at = locate(lake, key);
  const ErrorClass = spec.error ?? LakeDocumentError;
  return new ErrorClass(
    `${spec.what} ${key} in ${lake.url} ${problem}; ${(spec.repair ?? restoreHint)(at)}`,
    { ...(cause === undefined ? {} : { cause }), context: { key, lake: lake.url, where: at.where } },
  );
}

/** Parses and checks the bytes of the document under `key`. */
export function parseDocument<T>(lake: LakeStore, key: string, spec: DocumentSpec<T>, body: Buffer): T {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw damagedDocument(lake, key, spec, `is not valid JSON (${reason}; ${body.length} bytes)`, cause);
  }
  const checked = spec.schema.safeParse(json);
  if (!checked.success) {
    throw damagedDocument(
      lake,
      key,
      spec,
      `does not match its contract (${issues(checked.error)})`,
      checked.error,
    );
  }
  return checked.data;
}

/** Reads and checks the document under `key`; `undefined` when there is no such object. */
export async function readDocument<T>(
  lake: LakeStore,
  key: string,
  spec: DocumentSpec<T>,
): Promise<StoredDocument<T> | undefined> {
  const object = await lake.get(key);
  if (object === undefined) return undefined;
  return { value: parseDocument(lake, key, spec, object.body), version: object.version };
}

/** The JSON text of `value`, checked against the contract first (a bug never reaches the lake). */
export function serialiseDocument<T>(lake: LakeStore, key: string, spec: DocumentSpec<T>, value: T): string {
  const checked = spec.schema.safeParse(value);
  if (!checked.success) {
    throw new LakeDocumentError(
      `refusing to write ${spec.what} ${key} to ${lake.url}: it does not match its contract (${issues(checked.error)}); this is a bug in totes`,
      { cause: checked.error, context: { key } },
    );
  }
  return `${spec.pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`;
}

/** Writes the document whole, unconditionally (manifests, intents, records: one writer by protocol). */
export async function putDocument<T>(
  lake: LakeStore,
  key: string,
  spec: DocumentSpec<T>,
  value: T,
): Promise<void> {
  await lake.put(key, serialiseDocument(lake, key, spec, value));
}

/**
 * Replaces the document only if it is still the version `read` (or creates it when `read` is
 * `undefined`): the commit of every state. Throws `PreconditionFailedError` when another writer
 * changed it since; returns the new version.
 */
export async function commitDocument<T>(
  lake: LakeStore,
  key: string,
  spec: DocumentSpec<T>,
  value: T,
  read: ObjectVersion | undefined,
): Promise<ObjectVersion> {
  return lake.putIf(
    key,
    serialiseDocument(lake, key, spec, value),
    read === undefined ? { ifNoneMatch: '*' } : { ifMatch: read },
  );
}

/** What {@link updateDocument} does with a document, given what is there now. */
export type DocumentChange<T> = (
  current: StoredDocument<T> | undefined,
) => T | undefined | Promise<T | undefined>;

/**
 * Read, then conditional write: reads the document, asks `change` for the next value
 * (`undefined`: leave it), and commits it against the version read. When another writer got
 * in between, reads again and asks again, up to `attempts` times, then lets the
 * `PreconditionFailedError` through. The lease and the catalog pointer use it directly; the
 * states use its two halves ({@link readDocument} at the start of a run, {@link commitDocument}
 * at its end) because their change takes a whole stage to compute.
 */
export async function updateDocument<T>(
  lake: LakeStore,
  key: string,
  spec: DocumentSpec<T>,
  change: DocumentChange<T>,
  options: { readonly attempts?: number } = {},
): Promise<StoredDocument<T> | undefined> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const current = await readDocument(lake, key, spec);
    const next = await change(current);
    if (next === undefined) return current;
    try {
      return { value: next, version: await commitDocument(lake, key, spec, next, current?.version) };
    } catch (error) {
      if (!(error instanceof PreconditionFailedError) || attempt >= attempts) throw error;
    }
  }
}

/** The first few schema issues as `path: message`, for one line of error text. */
function issues(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  const more = error.issues.length > 3 ? `; and ${error.issues.length - 3} more` : '';
  return `${shown.join('; ')}${more}`;
}
