import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compactFacts } from '../../../lambdas/compact/compact';
import { sqlString } from '../../../lambdas/kernel/duckdb/duckdb';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';
import { closeReader, query, reader } from './helpers';

/** Fact files as a lake written before month partitions has them: one partition per day. */
const DAY_FILES: Record<string, readonly number[]> = {
  'curated/fact_sales_order/dt=2024-10-31/old-0.parquet': [1],
  'curated/fact_sales_order/dt=2024-11-01/old-0.parquet': [2],
  'curated/fact_sales_order/dt=2024-11-15/old-0.parquet': [3, 4],
  'curated/fact_sales_order/dt=2024-11-16/old-0.parquet': [5],
};

describe('fact compaction of a lake partitioned by day', () => {
  let dir: string;
  let lake: LocalLakeStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'compact-months-'));
    lake = new LocalLakeStore(join(dir, 'lake'));
    const duck = await reader();
    for (const [key, ids] of Object.entries(DAY_FILES)) {
      const file = join(lake.root, key);
      await mkdir(dirname(file), { recursive: true });
      const rows = ids.map((id) => `(${id}, TIMESTAMP '2024-11-20 10:00:00')`).join(', ');
      await duck.exec(
        `COPY (SELECT * FROM (VALUES ${rows}) t(sales_order_id, observed_at)) TO ${sqlString(file)} (FORMAT parquet)`,
      );
    }
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  afterAll(() => closeReader());

  it('folds the day partitions into their month partitions, whatever their number of files', async () => {
    const result = await compactFacts({ lake, log: silentLog, workDir: join(dir, 'work'), loadedSeq: 0 });

    expect(result.compactions.map((c) => [c.dt, c.rows, [...c.replaced].sort()])).toEqual([
      ['2024-10-01', 1, ['curated/fact_sales_order/dt=2024-10-31/old-0.parquet']],
      [
        '2024-11-01',
        4,
        [
          'curated/fact_sales_order/dt=2024-11-01/old-0.parquet',
          'curated/fact_sales_order/dt=2024-11-15/old-0.parquet',
          'curated/fact_sales_order/dt=2024-11-16/old-0.parquet',
        ],
      ],
    ]);
    const keys: string[] = [];
    for await (const key of lake.list('curated/fact_sales_order/')) keys.push(key);
    expect(keys.map((k) => k.split('/')[2]).sort()).toEqual(['dt=2024-10-01', 'dt=2024-11-01']);
    const ids = await query(
      `SELECT sales_order_id FROM read_parquet(${sqlString(join(lake.root, 'curated', 'fact_sales_order', 'dt=*', '*.parquet'))}) ORDER BY 1`,
    );
    expect(ids.map((r) => Number(r.sales_order_id))).toEqual([1, 2, 3, 4, 5]);
  });

  it('leaves a month partition alone once it is folded and under the threshold', async () => {
    await compactFacts({ lake, log: silentLog, workDir: join(dir, 'work'), loadedSeq: 0 });
    const again = await compactFacts({ lake, log: silentLog, workDir: join(dir, 'work'), loadedSeq: 0 });
    expect(again.compactions).toEqual([]);
  });
});
