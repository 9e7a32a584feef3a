import { join } from 'node:path';
import { compactFacts } from '../../../lambdas/compact/compact';
import { listSizes } from '../../../lambdas/kernel/lake/lake-store';
import { curatedTablePrefix } from '../../../lambdas/kernel/lake/layout';
import { silentLog } from '../../../lambdas/kernel/logger';
import { factPartitionOf, factTables } from '../../../lambdas/kernel/schema';
import { generatedRows, generatedSnapshotChanges } from '../../support/generated-source';
import { RawFixture } from '../../support/raw-fixtures';
import { closeReader, factFiles, query, runTransform } from './helpers';

const at = (minute: number) => new Date(Date.UTC(2024, 10, 16, 9, minute, 0, 250));

/** Every fact file with its size, by table. */
async function factSizes(fx: RawFixture): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  for (const fact of factTables) {
    const files = new Map<string, number>();
    for await (const o of listSizes(fx.lake, curatedTablePrefix(fact.name))) files.set(o.key, o.bytes);
    out.set(fact.name, files);
  }
  return out;
}

const partitionOf = (key: string): string => key.split('/')[2] ?? '';

/** The first generated row of `table` created in each year: one change per year partition. */
function onePerYear(table: string): Record<string, unknown>[] {
  const byYear = new Map<string, Record<string, unknown>>();
  for (const row of generatedRows(table)) {
    const year = String(row.created_at).slice(0, 4);
    if (!byYear.has(year)) byYear.set(year, row);
  }
  return [...byYear.values()];
}

describe('the fact layout of a real-sized lake', () => {
  let fx: RawFixture;
  let initial: Map<string, Map<string, number>>;

  beforeAll(async () => {
    fx = await RawFixture.create();
    await fx.commitRun(generatedSnapshotChanges(), at(0));
    await runTransform(fx);
    initial = await factSizes(fx);
  });

  afterAll(async () => {
    closeReader();
    await fx.cleanup();
  });

  it('writes at most 30 objects per fact table on the initial load: one per year of created dates', async () => {
    for (const fact of factTables) {
      const files = [...(initial.get(fact.name)?.keys() ?? [])];
      const years = await query(
        `SELECT DISTINCT CAST(CAST(date_trunc('year', created_date) AS DATE) AS VARCHAR) AS dt FROM ${factFiles(fx, fact.name)} ORDER BY 1`,
      );
      expect(files.length).toBeLessThanOrEqual(30);
      expect(files.map(partitionOf).sort()).toEqual(years.map((r) => `dt=${String(r.dt)}`));
    }
  });

  it('keeps the file count bounded over many batches, never rewriting a file at or above the target', async () => {
    const threshold = 3;
    // Every file of the initial load is full: what compaction may merge is the batches' files.
    const target = Math.min(...[...initial.values()].flatMap((files) => [...files.values()]));
    const orders = onePerYear('sales_order');
    const payments = onePerYear('payment');
    const partitions = new Set(orders.map((o) => `dt=${factPartitionOf(String(o.created_at).slice(0, 10))}`));
    expect(partitions.size).toBeGreaterThanOrEqual(3);

    let compactions = 0;
    for (let batch = 1; batch <= 12; batch++) {
      await fx.commitRun(
        {
          sales_order: orders.map((row) => ({ op: 'u' as const, row: { ...row, units_sold: batch } })),
          payment: payments.map((row) => ({ op: 'u' as const, row: { ...row, payment_amount: batch } })),
        },
        at(batch),
      );
      const { seq } = await runTransform(fx);
      const before = await factSizes(fx);
      const result = await compactFacts({
        lake: fx.lake,
        log: silentLog,
        workDir: join(fx.dir, 'work'),
        loadedSeq: seq,
        threshold,
        targetBytes: target,
      });
      compactions += result.compactions.length;
      for (const c of result.compactions)
        for (const key of c.replaced) expect(before.get(c.table)?.get(key)).toBeLessThan(target);

      for (const [table, files] of await factSizes(fx)) {
        for (const key of initial.get(table)?.keys() ?? []) expect(files.has(key)).toBe(true);
        const small = new Map<string, number>();
        for (const [key, bytes] of files)
          if (bytes < target) small.set(partitionOf(key), (small.get(partitionOf(key)) ?? 0) + 1);
        for (const n of small.values()) expect(n).toBeLessThanOrEqual(threshold);
        expect(files.size).toBeLessThanOrEqual((initial.get(table)?.size ?? 0) + partitions.size * threshold);
      }
    }
    expect(compactions).toBeGreaterThanOrEqual(6);

    const [sales] = await query(`SELECT count(*) AS n FROM ${factFiles(fx, 'fact_sales_order')}`);
    expect(Number(sales?.n)).toBe(generatedRows('sales_order').length + 12 * orders.length);
  });
});
