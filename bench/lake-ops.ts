import type { Readable } from 'node:stream';
import {
  type LakeStore,
  listSizes,
  type ObjectVersion,
  type PutCondition,
  type StoredObject,
} from '../lambdas/kernel/lake/lake-store';

/**
 * S3-style requests one step made: what a 5-minute schedule pays for per run (S3 prices PUT,
 * COPY, POST and LIST at one rate, GET at another; DELETE is free).
 */
export interface LakeOps {
  /** PUT requests: `put`, `putIf`, `upload` (a multipart upload counts as one), `copy`. */
  writes: number;
  /** GET requests: `get`, `download`, and reads in place of a folder lake. */
  reads: number;
  /** LIST requests: one per 1,000 keys listed, at least one per listing (as S3 pages them). */
  lists: number;
  deletes: number;
}

/** A lake that counts the requests made through it; everything else is the wrapped store's. */
export class CountingLakeStore implements LakeStore {
  readonly ops: LakeOps = { writes: 0, reads: 0, lists: 0, deletes: 0 };
  readonly url: string;

  constructor(private readonly inner: LakeStore) {
    this.url = inner.url;
  }

  put(key: string, body: Buffer | string | Readable): Promise<void> {
    this.ops.writes++;
    return this.inner.put(key, body);
  }

  putIf(key: string, body: Buffer | string, condition: PutCondition): Promise<ObjectVersion> {
    this.ops.writes++;
    return this.inner.putIf(key, body, condition);
  }

  get(key: string): Promise<{ body: Buffer; version: ObjectVersion } | undefined> {
    this.ops.reads++;
    return this.inner.get(key);
  }

  download(key: string, localPath: string): Promise<void> {
    this.ops.reads++;
    return this.inner.download(key, localPath);
  }

  upload(localPath: string, key: string): Promise<void> {
    this.ops.writes++;
    return this.inner.upload(localPath, key);
  }

  /** A server-side COPY is priced as a PUT. */
  copy(from: string, to: string): Promise<void> {
    this.ops.writes++;
    return this.inner.copy(from, to);
  }

  async *list(prefix: string): AsyncIterable<string> {
    let keys = 0;
    this.ops.lists++;
    for await (const key of this.inner.list(prefix)) {
      if (++keys % 1000 === 1 && keys > 1) this.ops.lists++;
      yield key;
    }
  }

  /** S3's listing carries the sizes: counted as {@link list} is. */
  async *listSizes(prefix: string): AsyncIterable<StoredObject> {
    let keys = 0;
    this.ops.lists++;
    for await (const object of listSizes(this.inner, prefix)) {
      if (++keys % 1000 === 1 && keys > 1) this.ops.lists++;
      yield object;
    }
  }

  delete(key: string): Promise<void> {
    this.ops.deletes++;
    return this.inner.delete(key);
  }

  /** The stages ask for a local path only to read the object in place: on S3 that is a GET. */
  localPath(key: string): string | undefined {
    const path = this.inner.localPath(key);
    if (path !== undefined) this.ops.reads++;
    return path;
  }
}
