import { join } from 'node:path';
import { compactFacts, readCompactionManifest } from '../../../lambdas/compact/compact';
import { sqlString } from '../../../lambdas/kernel/duckdb/duckdb';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import { COMPACTION_STATE_KEY } from '../../../lambdas/kernel/lake/layout';
import { silentLog } from '../../../lambdas/kernel/logger';
import { dimensionSourcesOf, factPartitionOf } from '../../../lambdas/kernel/schema';
import { generatedRow, generatedRows } from '../../support/generated-source';
import { inserts, RawFixture } from '../../support/raw-fixtures';
import { closeReader, query, runTransform } from './helpers';

const at = (minute: number) => new Date(Date.UTC(2024, 10, 16, 9, minute, 0, 250));

/** The month partition of sales order 2's created date: every version of it is in it. */
const dt = factPartitionOf(String(generatedRow('sales_order', 2).created_at).slice(0, 10));

/** Keys of the fact files of `table` in the partition of sales order 2 (all under one dt). */
async function partitionFiles(fx: RawFixture, table = 'fact_sales_order'): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of fx.lake.list(`curated/${table}/dt=${dt}/`)) keys.push(key);
  return keys;
}

async function versions(fx: RawFixture): Promise<Record<string, unknown>[]> {
  const glob = join(fx.lake.root, 'curated', 'fact_sales_order', 'dt=*', '*.parquet');
  return query(
    `SELECT sales_order_id, units_sold, strftime(observed_at, '%H:%M') AS observed FROM read_parquet(${sqlString(glob)}, hive_partitioning = false) ORDER BY ALL`,
  );
}

describe('fact compaction', () => {
  let fx: RawFixture;

  /** Batch 1 loads the dimensions and orders 2–4; batches 2–5 each add a version of order 2. */
  beforeEach(async () => {
    fx = await RawFixture.create();
    const dims = dimensionSourcesOf('fact_sales_order');
    await fx.commitRun(
      {
        ...Object.fromEntries(dims.map((t) => [t, inserts(generatedRows(t))])),
        sales_order: inserts([2, 3, 4].map((id) => generatedRow('sales_order', id))),
      },
      at(0),
    );
    await runTransform(fx);
    for (let minute = 1; minute <= 4; minute++) {
      const row = { ...generatedRow('sales_order', 2), units_sold: minute };
      await fx.commitRun({ sales_order: [{ op: 'u', row }] }, at(minute));
      await runTransform(fx);
    }
  });

  afterEach(async () => {
    await fx.cleanup();
  });

  afterAll(() => closeReader());

  const compact = (options: { loadedSeq: number; threshold: number; lake?: LakeStore }) =>
    compactFacts({ lake: fx.lake, log: silentLog, workDir: join(fx.dir, 'work'), ...options });

  it('replaces the files of a partition over the threshold with one file of the same rows', async () => {
    const before = await versions(fx);
    const files = await partitionFiles(fx);
    expect(files).toHaveLength(5);

    const result = await compact({ loadedSeq: 5, threshold: 4 });

    expect(result.compactions).toEqual([
      expect.objectContaining({ table: 'fact_sales_order', dt, rows: before.length }),
    ]);
    expect([...(result.compactions[0]?.replaced ?? [])].sort()).toEqual(files);
    expect(await partitionFiles(fx)).toEqual([result.compactions[0]?.key]);
    expect(await versions(fx)).toEqual(before);
    expect((await readCompactionManifest(fx.lake, 1)).compactions).toEqual(result.compactions);
  });

  it('leaves partitions at or under the threshold alone', async () => {
    const result = await compact({ loadedSeq: 5, threshold: 5 });
    expect(result).toEqual({ seq: 0, compactions: [] });
    expect(await partitionFiles(fx)).toHaveLength(5);
  });

  it('never touches the files of batches the warehouse has not loaded yet', async () => {
    const result = await compact({ loadedSeq: 3, threshold: 2 });
    const [compaction] = result.compactions;
    expect(compaction?.replaced).toHaveLength(3);
    const left = await partitionFiles(fx);
    expect(left).toHaveLength(3);
    expect(left).toContain(compaction?.key);
    expect(await versions(fx)).toHaveLength(7);
  });

  it('removes the new file of a compaction that crashed before its commit, and redoes it', async () => {
    const crashing: LakeStore = Object.assign(Object.create(fx.lake) as LakeStore, {
      putIf: async (key: string) => {
        throw new Error(`simulated crash before committing ${key}`);
      },
    });
    await expect(compact({ loadedSeq: 5, threshold: 4, lake: crashing })).rejects.toThrow(
      COMPACTION_STATE_KEY,
    );
    expect(await partitionFiles(fx)).toHaveLength(6);

    const result = await compact({ loadedSeq: 5, threshold: 4 });
    expect(result.seq).toBe(1);
    expect(await partitionFiles(fx)).toEqual([result.compactions[0]?.key]);
    expect(await versions(fx)).toHaveLength(7);
  });

  it('finishes deleting the replaced files after a crash that followed the commit', async () => {
    let deletes = 0;
    const dying: LakeStore = Object.assign(Object.create(fx.lake) as LakeStore, {
      delete: async (key: string) => {
        if (++deletes > 2) throw new Error('simulated crash while deleting');
        await fx.lake.delete(key);
      },
    });
    await expect(compact({ loadedSeq: 5, threshold: 4, lake: dying })).rejects.toThrow('simulated crash');
    expect(await partitionFiles(fx)).toHaveLength(4);

    const again = await compact({ loadedSeq: 5, threshold: 4 });
    expect(again.compactions).toEqual([]);
    expect(await partitionFiles(fx)).toHaveLength(1);
    expect(await versions(fx)).toHaveLength(7);
  });
});
