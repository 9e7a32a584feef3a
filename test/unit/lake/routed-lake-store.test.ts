import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { RoutedLakeStore } from '../../../lambdas/kernel/lake/routed-lake-store';

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out;
}

describe('RoutedLakeStore', () => {
  let dir: string;
  let raw: LocalLakeStore;
  let rest: LocalLakeStore;
  let lake: RoutedLakeStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'routed-'));
    raw = new LocalLakeStore(join(dir, 'raw-zone'));
    rest = new LocalLakeStore(join(dir, 'curated-zone'));
    lake = new RoutedLakeStore(raw, rest);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes raw/ keys to the raw store only and other keys to the other store only', async () => {
    await lake.put('raw/t/1.gz', 'r');
    await lake.put('curated/t/1.parquet', 'c');
    await lake.putIf('state/ingest.json', 's', { ifNoneMatch: '*' });

    expect(await collect(raw.list(''))).toEqual(['raw/t/1.gz']);
    expect(await collect(rest.list(''))).toEqual(['curated/t/1.parquet', 'state/ingest.json']);
    expect(lake.localPath('raw/t/1.gz')).toBe(join(dir, 'raw-zone', 'raw', 't', '1.gz'));
    expect(lake.localPath('state/ingest.json')).toBe(join(dir, 'curated-zone', 'state', 'ingest.json'));
  });

  it('merges both zones in lexicographic order when the prefix spans them', async () => {
    for (const key of ['state/a', 'raw/b/1', 'quarantine/q', 'raw/a/1', 'curated/z'])
      await lake.put(key, key);
    // A stray key in the wrong store is not part of the lake.
    await raw.put('state/stray', 'x');
    await rest.put('raw/stray', 'x');

    expect(await collect(lake.list(''))).toEqual([
      'curated/z',
      'quarantine/q',
      'raw/a/1',
      'raw/b/1',
      'state/a',
    ]);
    expect(await collect(lake.list('r'))).toEqual(['raw/a/1', 'raw/b/1']);
    expect(await collect(lake.list('raw/a/'))).toEqual(['raw/a/1']);
    expect(await collect(lake.list('state/'))).toEqual(['state/a']);
  });

  it('reads, deletes and copies files through the store that owns the key', async () => {
    await raw.put('raw/t/1.gz', 'from raw');
    const target = join(dir, 'out', '1.gz');

    await lake.download('raw/t/1.gz', target);
    await lake.upload(target, 'curated/t/copy');
    await lake.delete('raw/t/1.gz');

    expect((await rest.get('curated/t/copy'))?.body.toString()).toBe('from raw');
    expect(await raw.get('raw/t/1.gz')).toBeUndefined();
    expect(lake.url).toBe(`file://${join(dir, 'curated-zone')} (raw zone: file://${join(dir, 'raw-zone')})`);
  });
});
