import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactFacts } from '../../../lambdas/compact/compact';
import { sqlString } from '../../../lambdas/kernel/duckdb/duckdb';
import { type LakeStore, listSizes } from '../../../lambdas/kernel/lake/lake-store';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { S3LakeStore } from '../../../lambdas/kernel/lake/s3-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';
import { type LocalS3Server, startLocalS3 } from '../lake/s3-server';
import { closeReader, reader } from './helpers';

const prefix = 'curated/fact_sales_order';

/**
 * Fact files as a lake written before year partitions has them: partitions per day and per
 * month, one of them (`dt=2024-01-01`) already where its year's partition is.
 */
const OLD_FILES: Record<string, readonly number[]> = {
  [`${prefix}/dt=2023-05-01/old-0.parquet`]: [6],
  [`${prefix}/dt=2024-01-01/old-0.parquet`]: [3, 4],
  [`${prefix}/dt=2024-10-31/old-0.parquet`]: [1],
  [`${prefix}/dt=2024-11-01/old-0.parquet`]: [2],
};

/** A file of the 2024 partition as big as a full one: 20,000 orders of random-looking ids. */
const FULL_FILE = `${prefix}/dt=2024-01-01/full-0.parquet`;
const FULL_IDS = { from: 1000, count: 20_000 };
/** Between the small files' size (under 1 KB) and the full file's (well over 100 KB). */
const TARGET = 64 * 1024;

let server: LocalS3Server;

beforeAll(async () => {
  server = await startLocalS3(['lake']);
});

afterAll(async () => {
  closeReader();
  await server?.stop();
});

/** Writes a fact file of these orders to `key` through the store (an upload, as the stages do). */
async function writeFacts(lake: LakeStore, dir: string, key: string, select: string): Promise<void> {
  const file = join(dir, `${randomBytes(4).toString('hex')}.parquet`);
  await (await reader()).exec(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet)`);
  await lake.upload(file, key);
}

const ordersSql = (ids: readonly number[]) =>
  `SELECT * FROM (VALUES ${ids.map((id) => `(${id}, TIMESTAMP '2024-11-20 10:00:00')`).join(', ')}) t(sales_order_id, observed_at)`;

async function sizes(lake: LakeStore): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const o of listSizes(lake, `${prefix}/`)) out.set(o.key, o.bytes);
  return out;
}

describe.each([
  ['a folder lake', (dir: string): LakeStore => new LocalLakeStore(join(dir, 'lake'))],
  [
    'an S3 lake (local S3 server)',
    (): LakeStore =>
      new S3LakeStore(server.client(), { bucket: 'lake', prefix: randomBytes(5).toString('hex') }),
  ],
])('fact compaction of a lake with finer-grained partitions, on %s', (_name, open) => {
  let dir: string;
  let lake: LakeStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'compact-fold-'));
    await mkdir(join(dir, 'in'));
    lake = open(dir);
    for (const [key, ids] of Object.entries(OLD_FILES))
      await writeFacts(lake, join(dir, 'in'), key, ordersSql(ids));
    await writeFacts(
      lake,
      join(dir, 'in'),
      FULL_FILE,
      `SELECT (${FULL_IDS.from} + i) AS sales_order_id, TIMESTAMP '2024-11-20 10:00:00' + to_seconds(hash(i) % 100000) AS observed_at FROM range(${FULL_IDS.count}) r(i)`,
    );
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const compact = () =>
    compactFacts({ lake, log: silentLog, workDir: join(dir, 'work'), loadedSeq: 0, targetBytes: TARGET });

  it('folds the day and month partitions into their year, whatever their number of files, and leaves a full file alone', async () => {
    const before = await sizes(lake);
    expect(before.get(FULL_FILE)).toBeGreaterThanOrEqual(TARGET);

    const result = await compact();

    expect(result.compactions.map((c) => [c.dt, c.rows, [...c.replaced].sort()])).toEqual([
      ['2023-01-01', 1, [`${prefix}/dt=2023-05-01/old-0.parquet`]],
      [
        '2024-01-01',
        4,
        [
          `${prefix}/dt=2024-01-01/old-0.parquet`,
          `${prefix}/dt=2024-10-31/old-0.parquet`,
          `${prefix}/dt=2024-11-01/old-0.parquet`,
        ],
      ],
    ]);
    const after = await sizes(lake);
    expect([...after.keys()].map((k) => k.split('/')[2]).sort()).toEqual([
      'dt=2023-01-01',
      'dt=2024-01-01',
      'dt=2024-01-01',
    ]);
    expect(after.get(FULL_FILE)).toBe(before.get(FULL_FILE));
    const local = join(dir, 'read');
    const paths: string[] = [];
    for (const key of after.keys()) {
      const path = join(local, ...key.split('/'));
      await lake.download(key, path);
      paths.push(path);
    }
    const ids = await (await reader()).all(
      `SELECT sales_order_id FROM read_parquet([${paths.map(sqlString).join(', ')}]) WHERE sales_order_id < ${FULL_IDS.from} ORDER BY 1`,
    );
    expect(ids.rows.map((r) => Number(r[0]))).toEqual([1, 2, 3, 4, 6]);
    const [count] = (
      await (await reader()).all(`SELECT count(*) FROM read_parquet([${paths.map(sqlString).join(', ')}])`)
    ).rows;
    expect(Number(count?.[0])).toBe(5 + FULL_IDS.count);
  });

  it('folds a big file of a month partition into a file of its own, beside the merged small ones', async () => {
    const big = `${prefix}/dt=2024-03-01/big-0.parquet`;
    await writeFacts(
      lake,
      join(dir, 'in'),
      big,
      `SELECT (100000 + i) AS sales_order_id, TIMESTAMP '2024-03-20 10:00:00' + to_seconds(hash(i) % 100000) AS observed_at FROM range(${FULL_IDS.count}) r(i)`,
    );
    expect((await sizes(lake)).get(big)).toBeGreaterThanOrEqual(TARGET);

    const result = await compact();

    const year = result.compactions.filter((c) => c.dt === '2024-01-01');
    expect(year.map((c) => [...c.replaced].sort())).toEqual([
      [
        `${prefix}/dt=2024-01-01/old-0.parquet`,
        `${prefix}/dt=2024-10-31/old-0.parquet`,
        `${prefix}/dt=2024-11-01/old-0.parquet`,
      ],
      [big],
    ]);
    expect(year.map((c) => c.rows)).toEqual([4, FULL_IDS.count]);
    expect(new Set(result.compactions.map((c) => c.key)).size).toBe(result.compactions.length);
    const after = await sizes(lake);
    expect([...after.keys()].filter((k) => k.includes('/dt=2024-01-01/'))).toHaveLength(3);
    expect([...after.keys()].some((k) => k.includes('/dt=2024-03-01/'))).toBe(false);
  });

  it('leaves the year partitions alone once they are folded and have few small files', async () => {
    await compact();
    const again = await compact();
    expect(again.compactions).toEqual([]);
  });
});
