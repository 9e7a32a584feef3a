import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { LakeStoreError } from './errors';

/** Version tag of a stored object (S3 ETag, or a content hash for the local lake). */
export type ObjectVersion = string;

/** Condition for {@link LakeStore.putIf}: create only, or replace only a known version. */
export type PutCondition = { readonly ifNoneMatch: '*' } | { readonly ifMatch: ObjectVersion };

/**
 * Where the lake lives: an S3 bucket/prefix or a local folder. Keys are `/`-separated,
 * relative to the lake root (e.g. `raw/sales_order/ingest_date=2024-11-15/<run>.jsonl.gz`).
 *
 * Every write is atomic: a reader sees the whole old object or the whole new one, never a
 * part (S3 PUT semantics; temp file + rename locally), so a crash mid-write leaves no
 * half-written data behind.
 */
export interface LakeStore {
  /** `file:///abs/path` or `s3://bucket/prefix`, for messages. */
  readonly url: string;
  /** Writes an object whole, replacing any object with that key. */
  put(key: string, body: Buffer | string | Readable): Promise<void>;
  /**
   * Writes an object only if the condition holds (compare-and-swap for state and pointer
   * objects). Returns the new version; throws `PreconditionFailedError` when it does not.
   */
  putIf(key: string, body: Buffer | string, condition: PutCondition): Promise<ObjectVersion>;
  /** The object's bytes and version, or `undefined` when there is no such object. */
  get(key: string): Promise<{ body: Buffer; version: ObjectVersion } | undefined>;
  /** Copies an object to a local file (for DuckDB to read). */
  download(key: string, localPath: string): Promise<void>;
  /** Writes a local file as an object (multipart for large files on S3). */
  upload(localPath: string, key: string): Promise<void>;
  /**
   * Copies the object under `from` to the key `to`, replacing any object there, without the
   * bytes passing through this process: S3 CopyObject (one request, priced as a PUT), a hard
   * link (or a file copy) locally. Objects are immutable once written, so the copy shares
   * them safely. Throws when `from` does not exist.
   */
  copy(from: string, to: string): Promise<void>;
  /** Every key under `prefix`, in lexicographic order, across all pages. */
  list(prefix: string): AsyncIterable<string>;
  /**
   * Every object under `prefix` with its size, as {@link list} orders them, for a store whose
   * listing carries sizes (S3's does, at no extra request). Read through {@link listSizes},
   * which falls back to the local file of each key.
   */
  listSizes?(prefix: string): AsyncIterable<StoredObject>;
  /** Deletes an object (scratch objects only; data objects are never deleted). */
  delete(key: string): Promise<void>;
  /**
   * The object's path on the local file system when the lake is a local folder, so DuckDB
   * can read and write it in place; `undefined` for remote stores.
   */
  localPath(key: string): string | undefined;
}

/** A stored object's key and size. */
export interface StoredObject {
  readonly key: string;
  readonly bytes: number;
}

/**
 * Every object under `prefix` with its size: the store's own sized listing when it has one,
 * else the size of each key's local file (a folder lake, or a wrapper over one).
 */
export async function* listSizes(lake: LakeStore, prefix: string): AsyncIterable<StoredObject> {
  if (lake.listSizes) {
    yield* lake.listSizes(prefix);
    return;
  }
  for await (const key of lake.list(prefix)) {
    const path = lake.localPath(key);
    if (path === undefined)
      throw new LakeStoreError(`cannot read the size of ${key}: the lake ${lake.url} lists no sizes`, {
        context: { key },
      });
    yield { key, bytes: (await stat(path)).size };
  }
}
