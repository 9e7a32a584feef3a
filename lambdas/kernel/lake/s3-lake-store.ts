import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type AwsTimeouts, awsRequestHandler } from '../aws/http-timeouts';
import { PreconditionFailedError } from '../errors';
import { S3LakeError } from './errors';
import type { LakeStore, ObjectVersion, PutCondition, StoredObject } from './lake-store';

/** Where an S3 lake lives and how to reach it. */
export interface S3LakeStoreOptions {
  readonly bucket: string;
  /** Key prefix of the lake root inside the bucket, without slashes at either end; `''` = the bucket root. */
  readonly prefix: string;
  /** @default the SDK's region chain (`AWS_REGION`…); `us-east-1` when an endpoint is given */
  readonly region?: string | undefined;
  /** An S3-compatible endpoint (MinIO, a local test server); path-style addressing is used with it. */
  readonly endpoint?: string | undefined;
  /** Connection and idle limits of every S3 call. @default DEFAULT_AWS_TIMEOUTS (5 s, 60 s) */
  readonly timeouts?: AwsTimeouts | undefined;
}

/** Tuning of multipart uploads; the defaults suit a Lambda with 1–2 GiB of memory. */
export interface MultipartOptions {
  /** @default 8 MiB (S3's minimum part size is 5 MiB) */
  readonly partSizeBytes?: number;
  /** Parts in flight at once; memory use is about `partSizeBytes × queueSize`. @default 4 */
  readonly queueSize?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_QUEUE_SIZE = 4;

/**
 * The lake in an S3 bucket under a prefix. Keys given to it are relative to the prefix.
 * Writes are single PUTs (atomic by S3's semantics) or multipart uploads, which S3 also
 * makes visible only once complete; `putIf` uses S3 conditional writes (`If-None-Match` /
 * `If-Match`), so state objects are compare-and-swapped without a lock.
 *
 * @example
 * const lake = S3LakeStore.fromOptions({ bucket: 'totes-curated', prefix: 'lake' });
 * await lake.put('state/ingest.json', JSON.stringify(state));
 */
export class S3LakeStore implements LakeStore {
  readonly url: string;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  /** Takes the client so tests and handlers decide how it is built (and share it). */
  constructor(
    private readonly client: S3Client,
    options: { readonly bucket: string; readonly prefix?: string } & MultipartOptions,
  ) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.url = this.prefix ? `s3://${this.bucket}/${this.prefix}` : `s3://${this.bucket}`;
    this.partSize = Math.max(options.partSizeBytes ?? DEFAULT_PART_SIZE, 5 * MiB);
    this.queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
  }

  /** A store with its own client, built from a lake URL's parts and the S3 settings of the config. */
  static fromOptions(options: S3LakeStoreOptions & MultipartOptions): S3LakeStore {
    return new S3LakeStore(createS3Client(options), options);
  }

  localPath(): undefined {
    return undefined;
  }

  async put(key: string, body: Buffer | string | Readable): Promise<void> {
    const Key = this.objectKey(key);
    if (body instanceof Readable) {
      await this.call('Upload', key, () => this.multipart(Key, body));
      return;
    }
    await this.call('PutObject', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body })),
    );
  }

  async putIf(key: string, body: Buffer | string, condition: PutCondition): Promise<ObjectVersion> {
    const Key = this.objectKey(key);
    const precondition =
      'ifNoneMatch' in condition ? { IfNoneMatch: condition.ifNoneMatch } : { IfMatch: condition.ifMatch };
    try {
      const response = await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ...precondition }),
      );
      if (!response.ETag) throw new Error('the PUT response carries no ETag');
      return response.ETag;
    } catch (error) {
      if (isPreconditionFailure(error)) {
        throw new PreconditionFailedError(
          `${this.url}/${key} changed since it was read; another run may be active — retry after it ends`,
          { cause: error, context: { key, bucket: this.bucket } },
        );
      }
      throw this.wrap('PutObject', key, error);
    }
  }

  async get(key: string): Promise<{ body: Buffer; version: ObjectVersion } | undefined> {
    const response = await this.getObject(key);
    if (!response) return undefined;
    const bytes = await this.call('GetObject', key, async () => response.Body?.transformToByteArray());
    return { body: Buffer.from(bytes ?? new Uint8Array()), version: response.ETag ?? '' };
  }

  async download(key: string, localPath: string): Promise<void> {
    const response = await this.getObject(key);
    if (!response) {
      throw new S3LakeError(`cannot download ${this.url}/${key}: there is no such object`, {
        context: { key, bucket: this.bucket, operation: 'GetObject', code: 'NoSuchKey' },
      });
    }
    await mkdir(dirname(localPath), { recursive: true });
    // A temp file renamed into place, so a reader of localPath never sees half a download.
    const tmp = `${localPath}.part-${randomBytes(6).toString('hex')}`;
    try {
      await this.call('GetObject', key, () => pipeline(asReadable(response.Body), createWriteStream(tmp)));
      await rename(tmp, localPath);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  async upload(localPath: string, key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.call('Upload', key, () => this.multipart(Key, createReadStream(localPath)));
  }

  /** CopyObject: S3 copies the bytes inside the bucket (objects up to 5 GB, far above a lake file). */
  async copy(from: string, to: string): Promise<void> {
    // CopySource is `bucket/key`, URL-encoded segment by segment; `/` and `=` (snapshot=…,
    // dt=…) are valid in a path and stay as they are, as S3-compatible servers expect.
    const source = [this.bucket, ...this.objectKey(from).split('/')]
      .map((segment) => encodeURIComponent(segment).replace(/%3D/g, '='))
      .join('/');
    const Key = this.objectKey(to);
    await this.call('CopyObject', to, () =>
      this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key, CopySource: source })),
    );
  }

  async *list(prefix: string): AsyncIterable<string> {
    for await (const object of this.listSizes(prefix)) yield object.key;
  }

  /** The same listing as {@link list}: S3 returns each object's size with its key. */
  async *listSizes(prefix: string): AsyncIterable<StoredObject> {
    const root = this.prefix ? `${this.prefix}/` : '';
    const pages = paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: root + prefix },
    );
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) yield { key: object.Key.slice(root.length), bytes: object.Size ?? 0 };
        }
      }
    } catch (error) {
      throw this.wrap('ListObjectsV2', prefix, error);
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.call('DeleteObject', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })),
    );
  }

  /** GetObject, or `undefined` when the key does not exist. */
  private async getObject(key: string): Promise<GetObjectCommandOutput | undefined> {
    const Key = this.objectKey(key);
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.wrap('GetObject', key, error);
    }
  }

  /** lib-storage's Upload: one PUT for a small body, a multipart upload (aborted on failure) otherwise. */
  private async multipart(Key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: body },
      partSize: this.partSize,
      queueSize: this.queueSize,
    });
    await upload.done();
  }

  private objectKey(key: string): string {
    if (key.split('/').some((part) => part === '..' || part === '')) {
      throw new RangeError(`invalid lake key "${key}"`);
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private async call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.wrap(operation, key, error);
    }
  }

  private wrap(operation: string, key: string, error: unknown): S3LakeError {
    if (error instanceof S3LakeError) return error;
    const code = errorCode(error);
    return new S3LakeError(`${operation} of ${this.url}/${key} failed: ${hint(code, this.bucket, error)}`, {
      cause: error,
      context: { key, bucket: this.bucket, operation, code },
    });
  }
}

/**
 * An S3 client for the lake, every call bounded by `timeouts`. With an endpoint (an
 * S3-compatible store), addressing is path-style and checksums are only sent when an operation
 * requires them, since such stores often reject the SDK's default CRC32 trailers.
 */
export function createS3Client(
  options: Pick<S3LakeStoreOptions, 'region' | 'endpoint' | 'timeouts'>,
): S3Client {
  const requestHandler = awsRequestHandler(options.timeouts);
  if (options.endpoint === undefined) return new S3Client({ region: options.region, requestHandler });
  return new S3Client({
    requestHandler,
    region: options.region ?? 'us-east-1',
    endpoint: options.endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function asReadable(body: GetObjectCommandOutput['Body']): Readable {
  // In Node the SDK's body is an http.IncomingMessage (a Readable) mixed with helpers.
  if (body instanceof Readable) return body;
  throw new Error('GetObject returned no readable body');
}

interface SdkError {
  readonly name?: string;
  readonly Code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const asSdkError = (error: unknown): SdkError =>
  typeof error === 'object' && error !== null ? (error as SdkError) : {};

const errorCode = (error: unknown): string => {
  const e = asSdkError(error);
  return e.Code ?? e.name ?? 'Error';
};

const statusOf = (error: unknown): number | undefined => asSdkError(error).$metadata?.httpStatusCode;

function isNotFound(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'NoSuchKey' || code === 'NotFound' || (statusOf(error) === 404 && code !== 'NoSuchBucket');
}

/** 412 = the condition did not hold; 409 = a concurrent conditional write to the same key won. */
function isPreconditionFailure(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code === 'PreconditionFailed' ||
    statusOf(error) === 412 ||
    (code === 'ConditionalRequestConflict' && statusOf(error) === 409)
  );
}

function hint(code: string, bucket: string, error: unknown): string {
  const detail = `${code}: ${asSdkError(error).message ?? String(error)}`;
  if (code === 'NoSuchBucket') return `${detail} — create bucket "${bucket}" or correct LAKE_URL`;
  if (code === 'AccessDenied' || statusOf(error) === 403) {
    return `${detail} — check that the role's policy (and the bucket's KMS key) allow it`;
  }
  return detail;
}
