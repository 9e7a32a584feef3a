import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LakeStore, listSizes, type StoredObject } from '../../../lambdas/kernel/lake/lake-store';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { RoutedLakeStore } from '../../../lambdas/kernel/lake/routed-lake-store';
import { S3LakeStore } from '../../../lambdas/kernel/lake/s3-lake-store';
import { type LocalS3Server, startLocalS3 } from './s3-server';

let server: LocalS3Server;
let dir: string;

beforeAll(async () => {
  server = await startLocalS3(['raw-zone', 'curated-zone']);
  dir = await mkdtemp(join(tmpdir(), 'list-sizes-'));
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const s3 = (bucket: string): S3LakeStore =>
  new S3LakeStore(server.client(), { bucket, prefix: randomBytes(5).toString('hex') });

/** Objects of several sizes in both zones, written through the store. */
const OBJECTS: readonly StoredObject[] = [
  { key: 'curated/fact_payment/dt=2024-01-01/a.parquet', bytes: 0 },
  { key: 'curated/fact_sales_order/dt=2023-01-01/b.parquet', bytes: 70_000 },
  { key: 'curated/fact_sales_order/dt=2024-01-01/a.parquet', bytes: 5 },
  { key: 'curated/fact_sales_order/dt=2024-01-01/c.parquet', bytes: 1234 },
  { key: 'raw/sales_order/ingest_date=2024-11-15/r.jsonl.gz', bytes: 321 },
];

async function collect(objects: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for await (const o of objects) out.push(o);
  return out;
}

describe.each([
  [
    'a folder lake (the sizes of its files)',
    (): LakeStore => new LocalLakeStore(join(dir, randomBytes(4).toString('hex'))),
  ],
  ['an S3 lake (local S3 server)', () => s3('curated-zone')],
  ['a lake routed over two S3 buckets', () => new RoutedLakeStore(s3('raw-zone'), s3('curated-zone'))],
])('object sizes of %s', (_name, open) => {
  let lake: LakeStore;

  beforeAll(async () => {
    lake = open();
    for (const o of OBJECTS) await lake.put(o.key, randomBytes(o.bytes));
  });

  it('lists every object under a prefix with its size, in key order', async () => {
    expect(await collect(listSizes(lake, 'curated/fact_sales_order/'))).toEqual(
      OBJECTS.filter((o) => o.key.startsWith('curated/fact_sales_order/')),
    );
  });

  it('lists the same keys as the plain listing, across zones too', async () => {
    for (const prefix of ['curated/', 'raw/', ''])
      expect((await collect(listSizes(lake, prefix))).map((o) => o.key)).toEqual(
        await (async () => {
          const keys: string[] = [];
          for await (const key of lake.list(prefix)) keys.push(key);
          return keys;
        })(),
      );
  });
});

it('names the lake when a remote store lists no sizes', async () => {
  const remote = {
    url: 's3://bucket/lake',
    list: async function* () {
      yield 'curated/t/dt=2024-01-01/a.parquet';
    },
    localPath: () => undefined,
  } as unknown as LakeStore;
  await expect(collect(listSizes(remote, 'curated/'))).rejects.toThrow('s3://bucket/lake lists no sizes');
});
