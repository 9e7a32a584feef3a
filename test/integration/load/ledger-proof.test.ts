import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { TRANSFORM_STATE_KEY } from '../../../lambdas/kernel/lake/layout';
import type { Log } from '../../../lambdas/kernel/logger';
import { silentLog } from '../../../lambdas/kernel/logger';
import { warehouseTable } from '../../../lambdas/kernel/schema';
import { LedgerMismatchError } from '../../../lambdas/load/errors';
import { load } from '../../../lambdas/load/load';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../../lambdas/load/migrate';
import { checkWarehouseSchema } from '../../../lambdas/load/schema-check';
import { baseDimensions, CuratedLakeFixture, payment, salesOrder } from '../../support/curated-fixtures';
import { createTestDatabase } from '../../support/pg';

/** The warehouse proves what it holds: facts carry their batch, and the load checks them. */
describe('load: a warehouse that can prove what it holds', () => {
  let db: { url: string; drop: () => Promise<void> };
  let warehouse: Client;
  let fixture: CuratedLakeFixture;

  const run = (options: { log?: Log; lake?: CuratedLakeFixture } = {}) =>
    load({
      warehouse,
      lake: (options.lake ?? fixture).lake,
      log: options.log ?? silentLog,
      workDir: fixture.workDir,
    });
  const query = async <T extends object>(sql: string): Promise<T[]> => (await warehouse.query<T>(sql)).rows;
  const versions = () =>
    query<{ id: number; batch: number }>(
      'SELECT sales_order_id AS id, batch_seq AS batch FROM fact_sales_order ORDER BY sales_record_id',
    );
  const ledger = () =>
    query<{ seq: number; id: string }>(
      'SELECT batch_seq AS seq, batch_id AS id FROM etl.load_log ORDER BY 1',
    );

  /** Three batches of one sales order each (1, 2, 3), loaded. */
  async function threeBatches(): Promise<void> {
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: [salesOrder()] } });
    await fixture.writeBatch({ facts: { fact_sales_order: [salesOrder({ sales_order_id: 2 })] } });
    await fixture.writeBatch({ facts: { fact_sales_order: [salesOrder({ sales_order_id: 3 })] } });
    await run();
  }

  beforeEach(async () => {
    db = await createTestDatabase('ledger');
    warehouse = new Client({ connectionString: db.url });
    await warehouse.connect();
    await migrate({ warehouse, log: silentLog });
    fixture = await CuratedLakeFixture.create();
  });

  afterEach(async () => {
    await warehouse.end();
    await db.drop();
    await fixture.cleanup();
  });

  it('records on each fact version the batch that loaded it, and the DDL check expects the column', async () => {
    await threeBatches();
    expect(await versions()).toEqual([
      { id: 1, batch: 1 },
      { id: 2, batch: 2 },
      { id: 3, batch: 3 },
    ]);
    await expect(checkWarehouseSchema(warehouse)).resolves.toBeUndefined();
    const comment = await query<{ c: string }>(
      "SELECT col_description('fact_payment'::regclass, attnum) AS c FROM pg_attribute WHERE attrelid = 'fact_payment'::regclass AND attname = 'batch_seq'",
    );
    expect(comment).toEqual([{ c: warehouseTable('fact_payment').loadColumns?.[0]?.comment }]);
    await warehouse.query('ALTER TABLE fact_payment RENAME COLUMN batch_seq TO loaded_in');
    await expect(checkWarehouseSchema(warehouse)).rejects.toThrow(
      /fact_payment\.batch_seq: column is missing/,
    );
  });

  it('refuses to load again after the ledger was truncated, instead of duplicating every version', async () => {
    await threeBatches();
    await warehouse.query('TRUNCATE etl.load_log');

    const refused = run();
    await expect(refused).rejects.toBeInstanceOf(LedgerMismatchError);
    await expect(refused).rejects.toThrow(
      /holds fact versions of transform batch 3 but its ledger etl\.load_log ends at batch 0: .*Nothing was loaded.*totes verify --repair/,
    );
    expect(await versions()).toHaveLength(3);
    expect(await ledger()).toEqual([]);
  });

  it('refuses when the ledger lost its last rows, naming the batches it would duplicate', async () => {
    await threeBatches();
    await warehouse.query('DELETE FROM etl.load_log WHERE batch_seq >= 2');
    await expect(run()).rejects.toThrow(
      /batch 3 but its ledger etl\.load_log ends at batch 1: .*batches 2–3 again/,
    );
    expect(await versions()).toHaveLength(3);
  });

  it('goes back to the last batch it shares with a lake whose transform state was restored, then loads the rebuilt batch', async () => {
    await threeBatches();
    // The state restored to batch 1: the next transform writes a new batch 2 with both changes.
    await fixture.writeBatch({
      rebuild: { seq: 2, batchId: '20241116T000000000Z-rebuilt' },
      facts: { fact_sales_order: [salesOrder({ sales_order_id: 2 }), salesOrder({ sales_order_id: 3 })] },
    });
    const warnings: string[] = [];
    const log: Log = { ...silentLog, warn: (message) => warnings.push(message) };

    const result = await run({ log });

    expect(result).toMatchObject({ lastLoadedSeq: 2, committedSeq: 2 });
    expect(result.batches.map((b) => b.batchId)).toEqual(['20241116T000000000Z-rebuilt']);
    expect(await versions()).toEqual([
      { id: 1, batch: 1 },
      { id: 2, batch: 2 },
      { id: 3, batch: 2 },
    ]);
    expect((await ledger()).map((r) => r.id)).toEqual([
      expect.stringMatching(/-b1$/),
      '20241116T000000000Z-rebuilt',
    ]);
    expect(warnings).toEqual([expect.stringContaining('restored to an earlier version')]);
  });

  it('goes back to the lake when its restored state has not been transformed further yet', async () => {
    await threeBatches();
    await fixture.lake.put(TRANSFORM_STATE_KEY, JSON.stringify({ seq: 1, batchId: (await ledger())[0]?.id }));

    await expect(run()).resolves.toMatchObject({ batches: [], lastLoadedSeq: 1, committedSeq: 1 });
    expect(await versions()).toEqual([{ id: 1, batch: 1 }]);
  });

  it('refuses a lake that shares no batch with the ledger, touching nothing', async () => {
    await threeBatches();
    const other = await CuratedLakeFixture.create();
    try {
      await other.writeBatch({
        rebuild: { seq: 1, batchId: 'other-1' },
        dimensions: baseDimensions(),
        facts: { fact_payment: [payment()] },
      });
      await other.writeBatch({ rebuild: { seq: 2, batchId: 'other-2' } });
      await other.writeBatch({ rebuild: { seq: 3, batchId: 'other-3' } });
      await other.writeBatch({ rebuild: { seq: 4, batchId: 'other-4' } });
      await expect(run({ lake: other })).rejects.toThrow(
        /share no transform batch .*batch 3 is .*-b3 in the ledger, other-3 in the lake.*different environments/,
      );
      expect(await versions()).toHaveLength(3);
      expect(await ledger()).toHaveLength(3);
    } finally {
      await other.cleanup();
    }
  });

  it('refuses to go back when versions carry no batch, saying how to rebuild', async () => {
    await threeBatches();
    await warehouse.query('UPDATE fact_sales_order SET batch_seq = NULL');
    await fixture.writeBatch({
      rebuild: { seq: 3, batchId: 'rebuilt-3' },
      facts: { fact_sales_order: [salesOrder({ sales_order_id: 4 })] },
    });
    await expect(run()).rejects.toThrow(
      /fact_sales_order holds versions without a batch_seq.*totes verify --repair/,
    );
    expect(await versions()).toHaveLength(3);
  });
});

describe('migration 005 on a warehouse loaded before facts carried their batch', () => {
  let db: { url: string; drop: () => Promise<void> };
  let warehouse: Client;
  let dir: string;

  beforeEach(async () => {
    db = await createTestDatabase('mig005');
    warehouse = new Client({ connectionString: db.url });
    await warehouse.connect();
    dir = await mkdtemp(join(tmpdir(), 'totes-mig-'));
    for (const name of [
      '001_star_schema.sql',
      '002_etl_ledger.sql',
      '003_current_views.sql',
      '004_quicksight_views.sql',
    ]) {
      await cp(join(DEFAULT_MIGRATIONS_DIR, name), join(dir, name));
    }
    await migrate({ warehouse, log: silentLog, dir });
    await warehouse.query(`
      INSERT INTO dim_date SELECT d, 2024, 11, 3, 7, 'Sunday', 'November', 4 FROM (VALUES ('2024-11-03'::date)) v(d);
      INSERT INTO dim_counterparty VALUES (1, 'A', 'l1', NULL, NULL, 'c', 'p', 'UK', '1');
      INSERT INTO dim_currency VALUES (1, 'GBP', 'Pound Sterling');
      INSERT INTO dim_payment_type VALUES (1, 'SALES_RECEIPT');
      INSERT INTO dim_transaction VALUES (1, 'SALE', 1, NULL);`);
  });

  afterEach(async () => {
    await warehouse.end();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `n` payment versions appended as the old load did, with its ledger rows. */
  async function oldLoad(batches: readonly number[]): Promise<void> {
    for (const [i, n] of batches.entries()) {
      await warehouse.query(
        `INSERT INTO fact_payment (payment_id, created_date, created_time, last_updated_date, last_updated_time,
           transaction_id, counterparty_id, payment_amount, currency_id, payment_type_id, paid, payment_date,
           observed_at, is_deleted)
         SELECT g, '2024-11-03', '10:00', '2024-11-03', '10:00', 1, 1, 1.00, 1, 1, false, '2024-11-03', now(), false
           FROM generate_series(1, $1::int) g`,
        [n],
      );
      await warehouse.query(
        'INSERT INTO etl.load_log (batch_seq, batch_id, row_counts) VALUES ($1, $2, $3)',
        [i + 1, `b${i + 1}`, JSON.stringify({ fact_payment: n, dim_date: 1 })],
      );
    }
  }

  const batchesOf = async () =>
    (
      await warehouse.query<{ batch: number | null; n: number }>(
        'SELECT batch_seq AS batch, count(*)::int AS n FROM fact_payment GROUP BY 1 ORDER BY 1',
      )
    ).rows;

  it('attributes every existing version to its batch from the ledger row counts', async () => {
    await oldLoad([2, 0, 3, 1]);
    await migrate({ warehouse, log: silentLog });
    expect(await batchesOf()).toEqual([
      { batch: 1, n: 2 },
      { batch: 3, n: 3 },
      { batch: 4, n: 1 },
    ]);
    await expect(checkWarehouseSchema(warehouse)).resolves.toBeUndefined();
  });

  it('leaves the batch unknown when the ledger does not account for the versions', async () => {
    await oldLoad([2, 3]);
    await warehouse.query('DELETE FROM etl.load_log WHERE batch_seq = 1');
    await migrate({ warehouse, log: silentLog });
    expect(await batchesOf()).toEqual([{ batch: null, n: 5 }]);
  });
});
