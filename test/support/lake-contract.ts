import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PreconditionFailedError } from '../../lambdas/kernel/errors';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';

/** What a store under test supports beyond the common contract. */
export interface LakeContractOptions {
  /**
   * Whether the store's backend enforces conditional writes. The local S3 test server ignores
   * `If-None-Match`/`If-Match`, so S3's conditional writes are covered with SDK mocks instead.
   */
  readonly conditionalWrites: boolean;
}

/** Builds a fresh, empty store for one test; `cleanup` (optional) removes what it made. */
export type LakeStoreFactory = () => Promise<{ store: LakeStore; cleanup?: () => Promise<void> }>;

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out;
}

/**
 * The behaviours every {@link LakeStore} shares, as a Jest suite: run it over each
 * implementation so the pipeline can rely on the same semantics locally and on S3.
 */
export function describeLakeStoreContract(
  name: string,
  factory: LakeStoreFactory,
  options: LakeContractOptions,
): void {
  describe(`LakeStore contract: ${name}`, () => {
    let store: LakeStore;
    let cleanup: (() => Promise<void>) | undefined;
    let scratch: string;

    beforeEach(async () => {
      ({ store, cleanup } = await factory());
      scratch = await mkdtemp(join(tmpdir(), 'lake-contract-'));
    });

    afterEach(async () => {
      await cleanup?.();
      await rm(scratch, { recursive: true, force: true });
    });

    it('returns the bytes that were put, from a Buffer or a string', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      await store.put('raw/t/a.bin', bytes);
      await store.put('state/s.json', '{"cursor":"é"}');

      expect((await store.get('raw/t/a.bin'))?.body).toEqual(bytes);
      expect((await store.get('state/s.json'))?.body.toString('utf8')).toBe('{"cursor":"é"}');
    });

    it('stores a Readable stream whole', async () => {
      const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(10_000, i));
      await store.put('curated/t/stream.bin', Readable.from(chunks));

      expect((await store.get('curated/t/stream.bin'))?.body).toEqual(Buffer.concat(chunks));
    });

    it('replaces an object put twice, and gives the new content a new version', async () => {
      await store.put('state/x.json', 'one');
      const first = await store.get('state/x.json');
      await store.put('state/x.json', 'two');
      const second = await store.get('state/x.json');

      expect(second?.body.toString()).toBe('two');
      expect(second?.version).not.toBe(first?.version);
    });

    it('reports a missing key as undefined', async () => {
      expect(await store.get('state/missing.json')).toBeUndefined();
    });

    it('rejects a key that climbs out of the lake or has an empty segment', async () => {
      await expect(store.put('raw/../etc/passwd', 'x')).rejects.toThrow(RangeError);
      await expect(store.put('raw//a', 'x')).rejects.toThrow(RangeError);
    });

    it('uploads a local file and downloads it back into a folder it creates', async () => {
      const source = join(scratch, 'in.bin');
      const content = Buffer.alloc(300_000, 7);
      await writeFile(source, content);
      await store.upload(source, 'curated/t/dt=2024-01-01/f.parquet');

      const target = join(scratch, 'nested', 'dir', 'out.parquet');
      await store.download('curated/t/dt=2024-01-01/f.parquet', target);

      expect(await readFile(target)).toEqual(content);
    });

    it('lists every key under a prefix in lexicographic order, relative to the lake root', async () => {
      for (const key of ['raw/b/2.gz', 'raw/a/1.gz', 'raw/a/0.gz', 'rawer/x', 'curated/c/1.parquet']) {
        await store.put(key, key);
      }

      expect(await collect(store.list('raw/'))).toEqual(['raw/a/0.gz', 'raw/a/1.gz', 'raw/b/2.gz']);
      expect(await collect(store.list('raw/a/'))).toEqual(['raw/a/0.gz', 'raw/a/1.gz']);
      expect(await collect(store.list(''))).toEqual([
        'curated/c/1.parquet',
        'raw/a/0.gz',
        'raw/a/1.gz',
        'raw/b/2.gz',
        'rawer/x',
      ]);
      expect(await collect(store.list('nothing/'))).toEqual([]);
    });

    it('copies an object to a new key that outlives replacing or deleting the source', async () => {
      const content = Buffer.alloc(200_000, 3);
      await store.put('curated/d/snapshot=a/part-00000.parquet', content);
      await store.copy('curated/d/snapshot=a/part-00000.parquet', 'curated/d/snapshot=b/part 1=x.parquet');
      await store.put('curated/d/snapshot=a/part-00000.parquet', 'replaced');

      expect((await store.get('curated/d/snapshot=b/part 1=x.parquet'))?.body).toEqual(content);
      await store.delete('curated/d/snapshot=a/part-00000.parquet');
      expect((await store.get('curated/d/snapshot=b/part 1=x.parquet'))?.body).toEqual(content);
      await expect(store.copy('curated/d/none.parquet', 'curated/d/other.parquet')).rejects.toThrow();
      expect(await collect(store.list('curated/d/'))).toEqual(['curated/d/snapshot=b/part 1=x.parquet']);
    });

    it('deletes an object, and deleting a missing one is not an error', async () => {
      await store.put('state/scratch.json', 'x');
      await store.delete('state/scratch.json');
      await store.delete('state/never-was.json');

      expect(await store.get('state/scratch.json')).toBeUndefined();
      expect(await collect(store.list('state/'))).toEqual([]);
    });

    const conditional = options.conditionalWrites ? it : it.skip;

    conditional('creates with ifNoneMatch only when the key is absent', async () => {
      const version = await store.putIf('state/lease.json', 'a', { ifNoneMatch: '*' });

      expect(version).toBe((await store.get('state/lease.json'))?.version);
      await expect(store.putIf('state/lease.json', 'b', { ifNoneMatch: '*' })).rejects.toThrow(
        PreconditionFailedError,
      );
      expect((await store.get('state/lease.json'))?.body.toString()).toBe('a');
    });

    conditional('replaces with ifMatch only the version that was read', async () => {
      const v1 = await store.putIf('state/ingest.json', 'v1', { ifNoneMatch: '*' });
      const v2 = await store.putIf('state/ingest.json', 'v2', { ifMatch: v1 });

      await expect(store.putIf('state/ingest.json', 'stale', { ifMatch: v1 })).rejects.toThrow(
        PreconditionFailedError,
      );
      expect(await store.get('state/ingest.json')).toEqual({ body: Buffer.from('v2'), version: v2 });
    });
  });
}
