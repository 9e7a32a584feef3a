import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { runPipeline } from '../../app/pipeline/run-pipeline';
import { createSourceSchema } from '../../app/totesys/seed';
import { type VerifyReport, verifyPipeline } from '../../app/verify/verify';
import { type Compaction, compactFacts } from '../../lambdas/compact/compact';
import { LocalCatalog } from '../../lambdas/kernel/catalog/local-catalog';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { LocalLakeStore } from '../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../lambdas/kernel/logger';
import { loadedSeq } from '../../lambdas/load/ledger';
import { totes } from '../faults/support/cli';
import { createTestDatabase } from './pg';

/** The counts a clean verify must report for the seeded source. */
export interface ExpectedCounts {
  readonly salesOrders: number;
  readonly payments: number;
  readonly designs: number;
}

/**
 * `verifyPipeline` / `totes verify` after a run on a seeded totesys, clean and then damaged.
 * One suite for both data sets: generated (`test/integration/reliability/`) and the real
 * exports (`test/real/reliability/`).
 */
export function describeVerify(
  title: string,
  seed: (source: Client) => Promise<unknown>,
  expected: ExpectedCounts,
): void {
  describe(title, () => {
    let sourceDb: { url: string; drop: () => Promise<void> };
    let warehouseDb: { url: string; drop: () => Promise<void> };
    let source: Client;
    let warehouse: Client;
    let dir: string;
    let lake: LocalLakeStore;
    /** One pipeline run over this suite's source, warehouse and lake. */
    const run = () =>
      runPipeline({
        source,
        warehouse,
        lake,
        catalog: new LocalCatalog(lake),
        log: silentLog,
        workDir: join(dir, 'work'),
      });

    beforeAll(async () => {
      sourceDb = await createTestDatabase('verify_src');
      warehouseDb = await createTestDatabase('verify_wh');
      source = await connectPg(sourceDb.url, 'source');
      warehouse = await connectPg(warehouseDb.url, 'warehouse');
      await createSourceSchema(source);
      await seed(source);
      dir = await mkdtemp(join(tmpdir(), 'totes-verify-'));
      lake = new LocalLakeStore(join(dir, 'lake'));
      await run();
    });

    afterAll(async () => {
      await source.end();
      await warehouse.end();
      await rm(dir, { recursive: true, force: true });
      await sourceDb.drop();
      await warehouseDb.drop();
    });

    const verify = () => verifyPipeline({ source, warehouse, lake, workDir: join(dir, 'verify') });
    const failed = (report: VerifyReport) =>
      report.checks.filter((c) => !c.ok).map((c) => `${c.table} ${c.check}`);

    /** Verifies with `damage` applied to the warehouse inside a transaction that is rolled back. */
    async function verifyDamaged(damage: string): Promise<VerifyReport> {
      await warehouse.query('BEGIN');
      try {
        await warehouse.query(damage);
        return await verify();
      } finally {
        await warehouse.query('ROLLBACK');
      }
    }

    it('finds source, raw, lake and warehouse in agreement, with the seeded counts', async () => {
      const report = await verify();
      expect(failed(report)).toEqual([]);
      expect(report).toMatchObject({ ok: true, strayFiles: [] });
      const rows = (table: string) =>
        report.checks.find((c) => c.table === table && c.check === 'current rows');
      const orders = String(expected.salesOrders);
      expect(rows('fact_sales_order')?.values).toEqual({
        source: orders,
        raw: orders,
        lake: orders,
        warehouse: orders,
      });
      expect(rows('fact_payment')?.values.warehouse).toBe(String(expected.payments));
      expect(rows('dim_design')?.values).toEqual({
        lake: String(expected.designs),
        warehouse: String(expected.designs),
      });
    });

    it('reports a damaged fact value in the warehouse as a checksum mismatch of that table only', async () => {
      const report = await verifyDamaged(
        'UPDATE fact_sales_order SET units_sold = units_sold + 1 WHERE sales_order_id = 42',
      );
      expect(failed(report)).toEqual(['fact_sales_order current checksum']);
      expect(report.ok).toBe(false);
    });

    it('reports a missing fact row in current rows, checksum and history', async () => {
      const report = await verifyDamaged('DELETE FROM fact_payment WHERE payment_id = 7');
      expect(failed(report)).toEqual([
        'fact_payment current rows',
        'fact_payment current checksum',
        'fact_payment history rows',
      ]);
    });

    it('reports a damaged dimension row', async () => {
      const report = await verifyDamaged("UPDATE dim_staff SET email_address = 'x@y.z' WHERE staff_id = 3");
      expect(failed(report)).toEqual(['dim_staff current checksum']);
    });

    it('reports a source change the pipeline has not captured yet', async () => {
      await source.query('BEGIN');
      try {
        await source.query(
          'UPDATE purchase_order SET item_quantity = item_quantity + 1 WHERE purchase_order_id = 9',
        );
        expect(failed(await verify())).toEqual(['fact_purchase_order current checksum']);
      } finally {
        await source.query('ROLLBACK');
      }
    });

    it('prints the table and exits 3 from the CLI on a mismatch, 0 when clean', async () => {
      const env = {
        TOTESYS_URL: sourceDb.url,
        WAREHOUSE_URL: warehouseDb.url,
        LAKE_URL: lake.url,
        TOTES_HOME: join(dir, 'home'),
      };
      const clean = await totes(['verify'], env);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('verified: source, raw, lake and warehouse agree');

      await warehouse.query(
        'UPDATE dim_currency SET currency_name = currency_name || $1 WHERE currency_id = 2',
        ['!'],
      );
      const damaged = await totes(['verify'], env);
      expect(damaged.code).toBe(3);
      expect(damaged.stdout).toMatch(/dim_currency\s+current checksum\s+\d+\s+\d+\s+MISMATCH/);
      expect(damaged.stdout).toContain('MISMATCH in 1 check(s)');
    });

    describe('after a fact compaction', () => {
      const factFailures = (report: VerifyReport) => failed(report).filter((c) => c.startsWith('fact_'));
      let compactions: readonly Compaction[] = [];

      beforeAll(async () => {
        for (const units of [1, 2]) {
          await source.query(
            'UPDATE sales_order SET units_sold = $1, last_updated = now() WHERE sales_order_id = 2',
            [units],
          );
          await run();
        }
        const result = await compactFacts({
          lake,
          log: silentLog,
          workDir: join(dir, 'work'),
          loadedSeq: await loadedSeq(warehouse),
          threshold: 2,
        });
        compactions = result.compactions;
      });

      it('counts the compacted file as committed and expects no replaced file', async () => {
        expect(compactions.map((c) => [c.table, c.replaced.length])).toEqual([['fact_sales_order', 3]]);
        const report = await verify();
        expect(factFailures(report)).toEqual([]);
        expect(report.strayFiles).toEqual([]);
      });

      it('reports a replaced file that is still there as stray', async () => {
        const [compaction] = compactions;
        const replaced = compaction?.replaced[0] ?? '';
        const body = await lake.get(compaction?.key ?? '');
        await lake.put(replaced, body?.body ?? Buffer.alloc(0));
        try {
          expect((await verify()).strayFiles).toEqual([replaced]);
        } finally {
          await lake.delete(replaced);
        }
      });
    });
  });
}
