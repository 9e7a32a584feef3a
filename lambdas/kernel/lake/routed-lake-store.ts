import type { Readable } from 'node:stream';
import { LakeStoreError } from './errors';
import {
  type LakeStore,
  listSizes,
  type ObjectVersion,
  type PutCondition,
  type StoredObject,
} from './lake-store';

/** Keys under this prefix are the raw zone. */
export const RAW_PREFIX = 'raw/';

/**
 * One lake over two stores: keys under `raw/` go to `raw`, every other key to `rest`. On AWS
 * the raw zone has its own bucket (its own retention and access) while curated data, state and
 * quarantine share another. Keys are passed unchanged, so a raw object lives at
 * `<raw store root>/raw/<table>/…`.
 *
 * @example
 * const lake = new RoutedLakeStore(rawBucketStore, curatedBucketStore);
 * await lake.put(rawKey('sales_order', '2024-11-15', runId), gz); // → raw bucket
 */
export class RoutedLakeStore implements LakeStore {
  readonly url: string;

  constructor(
    readonly raw: LakeStore,
    readonly rest: LakeStore,
  ) {
    this.url = `${rest.url} (raw zone: ${raw.url})`;
  }

  put(key: string, body: Buffer | string | Readable): Promise<void> {
    return this.storeOf(key).put(key, body);
  }

  putIf(key: string, body: Buffer | string, condition: PutCondition): Promise<ObjectVersion> {
    return this.storeOf(key).putIf(key, body, condition);
  }

  get(key: string): Promise<{ body: Buffer; version: ObjectVersion } | undefined> {
    return this.storeOf(key).get(key);
  }

  download(key: string, localPath: string): Promise<void> {
    return this.storeOf(key).download(key, localPath);
  }

  upload(localPath: string, key: string): Promise<void> {
    return this.storeOf(key).upload(localPath, key);
  }

  /** Within one zone's store; across the two (never done by the stages) through this process. */
  async copy(from: string, to: string): Promise<void> {
    const [source, target] = [this.storeOf(from), this.storeOf(to)];
    if (source === target) return source.copy(from, to);
    const object = await source.get(from);
    if (object === undefined)
      throw new LakeStoreError(`cannot copy ${from}: there is no such object`, { context: { key: from } });
    await target.put(to, object.body);
  }

  delete(key: string): Promise<void> {
    return this.storeOf(key).delete(key);
  }

  localPath(key: string): string | undefined {
    return this.storeOf(key).localPath(key);
  }

  async *list(prefix: string): AsyncIterable<string> {
    if (isRaw(prefix)) {
      yield* this.raw.list(prefix);
    } else if (RAW_PREFIX.startsWith(prefix)) {
      // The prefix spans both zones ('' or 'r'): merge the two sorted listings, each limited
      // to the keys it owns (a stray non-raw key in the raw store is not part of the lake).
      yield* mergeSorted(filter(this.raw.list(prefix), isRaw), filter(this.rest.list(prefix), notRaw));
    } else {
      yield* filter(this.rest.list(prefix), notRaw);
    }
  }

  /** As {@link list}, with each zone's sizes. */
  async *listSizes(prefix: string): AsyncIterable<StoredObject> {
    if (isRaw(prefix)) {
      yield* listSizes(this.raw, prefix);
    } else if (RAW_PREFIX.startsWith(prefix)) {
      const all: StoredObject[] = [];
      for await (const o of listSizes(this.raw, prefix)) if (isRaw(o.key)) all.push(o);
      for await (const o of listSizes(this.rest, prefix)) if (notRaw(o.key)) all.push(o);
      yield* all.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    } else {
      for await (const o of listSizes(this.rest, prefix)) if (notRaw(o.key)) yield o;
    }
  }

  private storeOf(key: string): LakeStore {
    return isRaw(key) ? this.raw : this.rest;
  }
}

const isRaw = (key: string): boolean => key.startsWith(RAW_PREFIX);
const notRaw = (key: string): boolean => !isRaw(key);

async function* filter(keys: AsyncIterable<string>, keep: (key: string) => boolean): AsyncIterable<string> {
  for await (const key of keys) if (keep(key)) yield key;
}

/** Merges two ascending key streams into one, pulling each lazily. */
async function* mergeSorted(a: AsyncIterable<string>, b: AsyncIterable<string>): AsyncIterable<string> {
  const left = a[Symbol.asyncIterator]();
  const right = b[Symbol.asyncIterator]();
  let l = await left.next();
  let r = await right.next();
  for (;;) {
    if (l.done) {
      if (r.done) return;
      yield r.value;
      r = await right.next();
    } else if (r.done || l.value <= r.value) {
      yield l.value;
      l = await left.next();
    } else {
      yield r.value;
      r = await right.next();
    }
  }
}
