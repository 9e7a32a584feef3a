import { Client } from 'pg';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import { TRANSFORM_STATE_KEY } from '../../../lambdas/kernel/lake/layout';
import { silentLog } from '../../../lambdas/kernel/logger';
import { BatchLoadError } from '../../../lambdas/load/errors';
import { load } from '../../../lambdas/load/load';
import { migrate } from '../../../lambdas/load/migrate';
import { checkWarehouseSchema } from '../../../lambdas/load/schema-check';
import { ANALYZE_MIN_ROWS } from '../../../lambdas/load/table-batch';
import {
  baseDimensions,
  CuratedLakeFixture,
  dateRow,
  payment,
  purchaseOrder,
  salesOrder,
} from '../../support/curated-fixtures';
import { createTestDatabase } from '../../support/pg';

describe('load', () => {
  let db: { url: string; drop: () => Promise<void> };
  let warehouse: Client;
  let fixture: CuratedLakeFixture;

  const run = (
    options: { client?: Client; lake?: LakeStore; maxBatches?: number; bulkForeignKeyMinRows?: number } = {},
  ) =>
    load({
      warehouse: options.client ?? warehouse,
      lake: options.lake ?? fixture.lake,
      log: silentLog,
      workDir: fixture.workDir,
      ...(options.maxBatches === undefined ? {} : { maxBatches: options.maxBatches }),
      ...(options.bulkForeignKeyMinRows === undefined
        ? {}
        : { bulkForeignKeyMinRows: options.bulkForeignKeyMinRows }),
    });

  const query = async <T extends object>(sql: string): Promise<T[]> => (await warehouse.query<T>(sql)).rows;
  const count = async (table: string): Promise<number> =>
    (await query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]?.n ?? -1;

  beforeEach(async () => {
    db = await createTestDatabase('load');
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

  it('does nothing before the first committed batch', async () => {
    const result = await run();
    expect(result).toEqual({ batches: [], rows: {}, lastLoadedSeq: 0, committedSeq: 0 });
  });

  it('loads the dimensions and facts of a batch and records it in the ledger', async () => {
    const manifest = await fixture.writeBatch({
      dimensions: baseDimensions(),
      facts: {
        fact_sales_order: [salesOrder(), salesOrder({ sales_order_id: 2, created_date: '2024-11-15' })],
        fact_purchase_order: [purchaseOrder()],
        fact_payment: [payment()],
      },
    });
    const result = await run();
    expect(result.batches).toHaveLength(1);
    expect(result.rows).toMatchObject({
      dim_date: 4,
      dim_staff: 1,
      dim_design: 1,
      fact_sales_order: 2,
      fact_purchase_order: 1,
      fact_payment: 1,
    });
    expect(await count('fact_sales_order')).toBe(2);
    expect(await count('dim_date')).toBe(4);
    const ledger = await query<{ batch_seq: number; batch_id: string; row_counts: Record<string, number> }>(
      'SELECT batch_seq, batch_id, row_counts FROM etl.load_log',
    );
    expect(ledger).toEqual([
      {
        batch_seq: 1,
        batch_id: manifest.batchId,
        row_counts: expect.objectContaining({ fact_sales_order: 2 }),
      },
    ]);
  });

  it('records a batch that wrote no curated rows, so the next one can follow', async () => {
    await fixture.writeBatch({});
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: [salesOrder()] } });
    const result = await run();
    expect(result.batches.map((b) => [b.seq, b.rows])).toEqual([
      [1, {}],
      [2, expect.objectContaining({ fact_sales_order: 1 })],
    ]);
  });

  it('is a no-op when loaded again', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: [salesOrder()] } });
    await run();
    const again = await run();
    expect(again.batches).toEqual([]);
    expect(again.lastLoadedSeq).toBe(1);
    expect(await count('fact_sales_order')).toBe(1);
    expect(await count('etl.load_log')).toBe(1);
  });

  it('applies two batches in order, and only committed ones', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: [salesOrder()] } });
    await fixture.writeBatch({ facts: { fact_sales_order: [salesOrder({ sales_order_id: 2 })] } });
    await fixture.writeBatch({
      facts: { fact_sales_order: [salesOrder({ sales_order_id: 3 })] },
      commit: false,
    });
    const result = await run();
    expect(result.batches.map((b) => b.seq)).toEqual([1, 2]);
    expect(result.lastLoadedSeq).toBe(2);
    const ids = await query<{ sales_order_id: number }>(
      'SELECT sales_order_id FROM fact_sales_order ORDER BY sales_record_id',
    );
    expect(ids.map((r) => r.sales_order_id)).toEqual([1, 2]);
  });

  it('applies at most maxBatches per call and resumes at the next', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: [salesOrder()] } });
    await fixture.writeBatch({ facts: { fact_sales_order: [salesOrder({ sales_order_id: 2 })] } });
    expect((await run({ maxBatches: 1 })).batches.map((b) => b.seq)).toEqual([1]);
    expect((await run({ maxBatches: 1 })).batches.map((b) => b.seq)).toEqual([2]);
  });

  it('updates a dimension row whose values changed and leaves unchanged rows alone', async () => {
    const dims = baseDimensions();
    await fixture.writeBatch({ dimensions: dims });
    await run();
    const design = { design_id: 1, design_name: 'Granite', file_location: '/opt', file_name: 'granite.json' };
    const newDesign = { design_id: 2, design_name: 'Steel', file_location: '/usr', file_name: 'steel.json' };
    await fixture.writeBatch({
      dimensions: { dim_design: [design, newDesign], dim_staff: dims.dim_staff ?? [] },
    });
    const result = await run();
    expect(result.rows).toEqual({ dim_design: 2, dim_staff: 0 });
    expect(await query('SELECT * FROM dim_design ORDER BY design_id')).toEqual([design, newDesign]);
  });

  it('appends fact history: the current view shows the latest version and drops deleted rows', async () => {
    await fixture.writeBatch({
      dimensions: baseDimensions(),
      facts: { fact_sales_order: [salesOrder(), salesOrder({ sales_order_id: 2 })] },
    });
    await fixture.writeBatch({
      facts: {
        fact_sales_order: [
          salesOrder({
            units_sold: 10,
            last_updated_date: '2024-11-15',
            observed_at: '2024-11-15 09:00:00.000',
          }),
          salesOrder({ sales_order_id: 2, is_deleted: true, observed_at: '2024-11-15 09:00:00.000' }),
        ],
      },
    });
    await run();
    const history = await query<{ sales_order_id: number; units_sold: number; is_deleted: boolean }>(
      'SELECT sales_order_id, units_sold, is_deleted FROM fact_sales_order ORDER BY sales_order_id, sales_record_id',
    );
    expect(history).toEqual([
      { sales_order_id: 1, units_sold: 42972, is_deleted: false },
      { sales_order_id: 1, units_sold: 10, is_deleted: false },
      { sales_order_id: 2, units_sold: 42972, is_deleted: false },
      { sales_order_id: 2, units_sold: 42972, is_deleted: true },
    ]);
    const current = await query<{ sales_order_id: number; units_sold: number; design_name: string }>(
      'SELECT sales_order_id, units_sold, design_name FROM v_sales_current',
    );
    expect(current).toEqual([{ sales_order_id: 1, units_sold: 10, design_name: 'Wooden' }]);
  });

  it('serves current views for purchases and payments too', async () => {
    await fixture.writeBatch({
      dimensions: baseDimensions(),
      facts: {
        fact_purchase_order: [
          purchaseOrder(),
          purchaseOrder({ item_quantity: 5, observed_at: '2024-11-04 00:00:00' }),
        ],
        fact_payment: [payment(), payment({ paid: true, observed_at: '2024-11-04 00:00:00' })],
      },
    });
    await run();
    expect(
      await query('SELECT purchase_order_id, item_quantity, staff_name FROM v_purchases_current'),
    ).toEqual([{ purchase_order_id: 1, item_quantity: 5, staff_name: 'Jeremie Franey' }]);
    expect(await query('SELECT payment_id, paid, payment_type_name FROM v_payments_current')).toEqual([
      { payment_id: 1, paid: true, payment_type_name: 'SALES_RECEIPT' },
    ]);
  });

  it('keeps money, dates, times and timestamps exact', async () => {
    const dims = baseDimensions();
    await fixture.writeBatch({
      dimensions: {
        ...dims,
        dim_date: [...(dims.dim_date ?? []), dateRow('2023-01-01'), dateRow('2029-12-31')],
      },
      facts: {
        fact_sales_order: [
          salesOrder({
            unit_price: '99999999.99',
            created_date: '2023-01-01',
            created_time: '23:59:59.999',
            last_updated_date: '2029-12-31',
            last_updated_time: '00:00:00.001',
            observed_at: '2024-02-29 12:34:56.789',
          }),
          salesOrder({ sales_order_id: 2, unit_price: '0.01', created_time: '00:00:00.000' }),
        ],
      },
    });
    await run();
    const rows = await query(
      `SELECT unit_price::text, created_date::text, created_time::text, last_updated_date::text,
              last_updated_time::text, observed_at::text, agreed_payment_date::text
         FROM fact_sales_order ORDER BY sales_order_id`,
    );
    expect(rows).toEqual([
      {
        unit_price: '99999999.99',
        created_date: '2023-01-01',
        created_time: '23:59:59.999',
        last_updated_date: '2029-12-31',
        last_updated_time: '00:00:00.001',
        observed_at: '2024-02-29 12:34:56.789',
        agreed_payment_date: '2024-11-20',
      },
      {
        unit_price: '0.01',
        created_date: '2024-11-03',
        created_time: '00:00:00',
        last_updated_date: '2024-11-03',
        last_updated_time: '14:20:52.186',
        observed_at: '2024-11-03 14:25:00',
        agreed_payment_date: '2024-11-20',
      },
    ]);
    expect(await query(`SELECT * FROM dim_date WHERE date_id = '2029-12-31'`)).toEqual([
      expect.objectContaining({
        year: 2029,
        month: 12,
        day: 31,
        day_of_week: 1,
        day_name: 'Monday',
        quarter: 4,
      }),
    ]);
  });

  it('tells an empty string from a null in dimension text', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions() });
    await run();
    expect(
      await query(
        'SELECT counterparty_legal_district, counterparty_legal_address_line_2 FROM dim_counterparty',
      ),
    ).toEqual([{ counterparty_legal_district: '', counterparty_legal_address_line_2: 'Axel Freeway' }]);
    expect(await query('SELECT address_line_2 FROM dim_location')).toEqual([{ address_line_2: null }]);
  });

  it('rolls the whole batch back when a row violates a constraint, leaving the ledger unchanged', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: [salesOrder()] } });
    await run();
    await fixture.writeBatch({
      dimensions: {
        dim_design: [{ design_id: 1, design_name: 'Changed', file_location: '/x', file_name: 'x' }],
      },
      facts: {
        fact_sales_order: [
          salesOrder({ sales_order_id: 5 }),
          salesOrder({ sales_order_id: 6, counterparty_id: 999 }),
        ],
      },
    });
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchLoadError);
    expect((error as BatchLoadError).message).toMatch(/batch 2 violates a constraint of fact_sales_order/);
    expect((error as BatchLoadError).context).toMatchObject({ batchSeq: 2, table: 'fact_sales_order' });
    expect(await query('SELECT design_name FROM dim_design')).toEqual([{ design_name: 'Wooden' }]);
    expect(await count('fact_sales_order')).toBe(1);
    expect(await query('SELECT batch_seq FROM etl.load_log')).toEqual([{ batch_seq: 1 }]);
  });

  it('rejects a null in a NOT NULL column and names the table', async () => {
    await fixture.writeBatch({
      dimensions: {
        ...baseDimensions(),
        dim_currency: [{ currency_id: 1, currency_code: null, currency_name: null }],
      },
    });
    await expect(run()).rejects.toThrow(/dim_currency/);
    expect(await count('etl.load_log')).toBe(0);
    expect(await count('dim_date')).toBe(0);
  });

  it('upserts only the changed rows a manifest lists, not the complete snapshot', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions() });
    await run();
    const renamed = {
      design_id: 1,
      design_name: 'Granite',
      file_location: '/opt',
      file_name: 'granite.json',
    };
    const added = { design_id: 2, design_name: 'Steel', file_location: '/usr', file_name: 'steel.json' };
    // The snapshot renames design 1; the changes list only design 2: the load must follow the changes.
    await fixture.writeBatch({
      dimensions: { dim_design: [renamed, added] },
      dimensionChanges: { dim_design: [added] },
    });
    const result = await run();
    expect(result.rows).toEqual({ dim_design: 1 });
    expect(await query('SELECT design_id, design_name FROM dim_design ORDER BY design_id')).toEqual([
      { design_id: 1, design_name: 'Wooden' },
      { design_id: 2, design_name: 'Steel' },
    ]);
  });

  it('updates a changed row from the changes file and applies an empty one as nothing', async () => {
    const dims = baseDimensions();
    await fixture.writeBatch({ dimensions: dims });
    await run();
    const renamed = {
      design_id: 1,
      design_name: 'Granite',
      file_location: '/opt',
      file_name: 'granite.json',
    };
    await fixture.writeBatch({
      dimensions: { dim_design: [renamed], dim_staff: dims.dim_staff ?? [] },
      dimensionChanges: { dim_design: [renamed], dim_staff: [] },
    });
    expect((await run()).rows).toEqual({ dim_design: 1, dim_staff: 0 });
    expect(await query('SELECT design_name FROM dim_design')).toEqual([{ design_name: 'Granite' }]);
  });

  it('loads the changes of a first snapshot into an empty dimension, refusing a duplicate key', async () => {
    const dims = baseDimensions();
    const design = dims.dim_design?.[0] ?? {};
    await fixture.writeBatch({
      dimensions: { ...dims, dim_design: [design, design] },
      dimensionChanges: { dim_design: [design, design] },
    });
    await expect(run()).rejects.toThrow(/batch 1 violates a constraint of dim_design/);
    expect(await count('etl.load_log')).toBe(0);
  });

  it.each([
    ['row by row', undefined],
    ['in bulk mode', 2],
  ])(
    'numbers fact versions in version order %s, whatever the order of the files',
    async (_mode, bulkRows) => {
      await fixture.writeBatch({
        dimensions: baseDimensions(),
        facts: {
          // Grouped by created_date, the file of id 2 comes first, and versions arrive newest first.
          fact_sales_order: [
            salesOrder({ sales_order_id: 2, created_date: '2024-11-03' }),
            salesOrder({ sales_order_id: 1, created_date: '2024-11-15', observed_at: '2024-11-16 00:00:00' }),
            salesOrder({ sales_order_id: 1, created_date: '2024-11-15', observed_at: '2024-11-15 00:00:00' }),
          ],
        },
      });
      await run(bulkRows === undefined ? {} : { bulkForeignKeyMinRows: bulkRows });
      const versions = await query<{ sales_order_id: number; observed_at: string }>(
        'SELECT sales_order_id, observed_at::text FROM fact_sales_order ORDER BY sales_record_id',
      );
      expect(versions).toEqual([
        { sales_order_id: 1, observed_at: '2024-11-15 00:00:00' },
        { sales_order_id: 1, observed_at: '2024-11-16 00:00:00' },
        { sales_order_id: 2, observed_at: '2024-11-03 14:25:00' },
      ]);
    },
  );

  it('numbers each batch after the previous one and leaves the sequence past its keys', async () => {
    await fixture.writeBatch({
      dimensions: baseDimensions(),
      facts: { fact_sales_order: [salesOrder({ sales_order_id: 3 }), salesOrder({ sales_order_id: 1 })] },
    });
    await fixture.writeBatch({ facts: { fact_sales_order: [salesOrder({ sales_order_id: 2 })] } });
    await run();
    const keys = await query<{ sales_record_id: number; sales_order_id: number }>(
      'SELECT sales_record_id, sales_order_id FROM fact_sales_order ORDER BY sales_record_id',
    );
    expect(keys).toEqual([
      { sales_record_id: 1, sales_order_id: 1 },
      { sales_record_id: 2, sales_order_id: 3 },
      { sales_record_id: 3, sales_order_id: 2 },
    ]);
    const next = await query<{ n: string }>(
      "SELECT nextval(pg_get_serial_sequence('fact_sales_order', 'sales_record_id')) AS n",
    );
    expect(next[0]?.n).toBe('4');
  });

  it('writes the initial load frozen and all-visible, and appends later batches to it', async () => {
    const sales = Array.from({ length: 300 }, (_, i) => salesOrder({ sales_order_id: i + 1 }));
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: sales } });
    await run();
    await fixture.writeBatch({ facts: { fact_sales_order: [salesOrder({ sales_order_id: 301 })] } });
    await run();
    expect(await count('fact_sales_order')).toBe(301);
    await warehouse.query('ANALYZE fact_sales_order, dim_date');
    const visible = await query<{ relname: string; relallvisible: number }>(
      "SELECT relname, relallvisible FROM pg_class WHERE relname IN ('fact_sales_order', 'dim_date') ORDER BY relname",
    );
    // Without a vacuum, only COPY … FREEZE marks pages all-visible.
    expect(visible.map((r) => [r.relname, r.relallvisible > 0])).toEqual([
      ['dim_date', true],
      ['fact_sales_order', true],
    ]);
  });

  it('says which table a value does not fit, and rolls back', async () => {
    await fixture.writeBatch({
      dimensions: baseDimensions(),
      // PostgreSQL text cannot hold a NUL character; DuckDB's can.
      facts: { fact_purchase_order: [purchaseOrder({ item_code: 'ZD\u0000OI' })] },
    });
    await expect(run()).rejects.toThrow(/value of fact_purchase_order in transform batch 1 does not fit/);
    expect(await count('dim_date')).toBe(0);
  });

  it('names a warehouse connection lost in the middle of a fact COPY, and a rerun completes the batch', async () => {
    const many = Array.from({ length: 20_000 }, (_, i) => salesOrder({ sales_order_id: i + 1 }));
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: many } });
    const victim = new Client({ connectionString: db.url });
    await victim.connect();
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const query = victim.query.bind(victim) as (...args: unknown[]) => unknown;
    // A COPY stream is returned at once: the backend is terminated while the rows flow.
    (victim as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
      const text = (args[0] as { text?: unknown } | undefined)?.text;
      if (typeof text === 'string' && text.startsWith('COPY "fact_sales_order"')) {
        void warehouse.query('SELECT pg_terminate_backend($1)', [pid]);
      }
      return query(...args);
    };
    victim.on('error', () => undefined);
    await expect(run({ client: victim })).rejects.toThrow(
      /the warehouse connection was lost while loading fact_sales_order of transform batch 1: .*rolled back; check that the warehouse is up/,
    );
    await victim.end().catch(() => undefined);
    expect(await count('etl.load_log')).toBe(0);
    expect(await count('dim_staff')).toBe(0);
    expect((await run()).batches.map((b) => b.seq)).toEqual([1]);
    expect(await count('fact_sales_order')).toBe(20_000);
  }, 60_000);

  describe('in bulk mode (large fact batches)', () => {
    it('appends the facts and leaves every foreign key in place', async () => {
      await fixture.writeBatch({
        dimensions: baseDimensions(),
        facts: { fact_sales_order: [1, 2, 3].map((id) => salesOrder({ sales_order_id: id })) },
      });
      const result = await run({ bulkForeignKeyMinRows: 2 });
      expect(result.rows).toMatchObject({ fact_sales_order: 3 });
      await expect(checkWarehouseSchema(warehouse)).resolves.toBeUndefined();
      await expect(
        warehouse.query(`INSERT INTO fact_sales_order (sales_order_id, created_date, created_time, last_updated_date,
          last_updated_time, sales_staff_id, counterparty_id, units_sold, unit_price, currency_id, design_id,
          agreed_payment_date, agreed_delivery_date, agreed_delivery_location_id, observed_at, is_deleted)
          SELECT sales_order_id, created_date, created_time, last_updated_date, last_updated_time, 999,
            counterparty_id, units_sold, unit_price, currency_id, design_id, agreed_payment_date,
            agreed_delivery_date, agreed_delivery_location_id, observed_at, is_deleted FROM fact_sales_order LIMIT 1`),
      ).rejects.toThrow(/fact_sales_order_sales_staff_id_fkey/);
    });

    const indexes = () =>
      query<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE tablename = 'fact_sales_order' ORDER BY indexname`,
      );

    it('rebuilds the indexes of a table the batch outweighs, exactly as they were', async () => {
      const before = await indexes();
      expect(before).toHaveLength(3);
      await fixture.writeBatch({
        dimensions: baseDimensions(),
        facts: { fact_sales_order: [1, 2, 3].map((id) => salesOrder({ sales_order_id: id })) },
      });
      await run({ bulkForeignKeyMinRows: 2 });
      expect(await indexes()).toEqual(before);
      await expect(
        warehouse.query(
          `UPDATE fact_sales_order SET sales_record_id = 1 WHERE sales_record_id = (SELECT max(sales_record_id) FROM fact_sales_order)`,
        ),
      ).rejects.toThrow(/fact_sales_order_pkey/);
    });

    it('rolls back when a foreign key fails while the next table is already being rendered', async () => {
      await fixture.writeBatch({
        dimensions: baseDimensions(),
        facts: {
          fact_sales_order: [salesOrder(), salesOrder({ sales_order_id: 2, design_id: 7 })],
          fact_purchase_order: [purchaseOrder()],
          fact_payment: [payment()],
        },
      });
      await expect(run({ bulkForeignKeyMinRows: 2 })).rejects.toThrow(
        /batch 1 violates a constraint of fact_sales_order.*fact_sales_order_design_id_fkey/,
      );
      expect(await count('etl.load_log')).toBe(0);
      expect(await count('fact_purchase_order')).toBe(0);
    });

    it('analyses a large table in the batch, so the planner knows its size', async () => {
      const many = Array.from({ length: ANALYZE_MIN_ROWS }, (_, i) => salesOrder({ sales_order_id: i + 1 }));
      await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: many } });
      await run();
      const [stats] = await query<{ reltuples: number }>(
        `SELECT reltuples::int AS reltuples FROM pg_class WHERE oid = 'fact_sales_order'::regclass`,
      );
      expect(stats?.reltuples).toBe(ANALYZE_MIN_ROWS);
      expect(await count('fact_sales_order')).toBe(ANALYZE_MIN_ROWS);
      await expect(checkWarehouseSchema(warehouse)).resolves.toBeUndefined();
    }, 60_000);

    it('rolls back a batch whose rows miss a dimension, foreign keys and all', async () => {
      await fixture.writeBatch({
        dimensions: baseDimensions(),
        facts: { fact_sales_order: [salesOrder(), salesOrder({ sales_order_id: 2, design_id: 7 })] },
      });
      await expect(run({ bulkForeignKeyMinRows: 2 })).rejects.toThrow(
        /batch 1 violates a constraint of fact_sales_order.*fact_sales_order_design_id_fkey/,
      );
      expect(await count('fact_sales_order')).toBe(0);
      expect(await count('dim_date')).toBe(0);
      expect(await count('etl.load_log')).toBe(0);
      await expect(checkWarehouseSchema(warehouse)).resolves.toBeUndefined();
    });
  });

  it('applies each batch once when loaders run concurrently', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions(), facts: { fact_sales_order: [salesOrder()] } });
    for (let id = 2; id <= 4; id++) {
      await fixture.writeBatch({ facts: { fact_sales_order: [salesOrder({ sales_order_id: id })] } });
    }
    const others = await Promise.all(
      [1, 2].map(async () => {
        const c = new Client({ connectionString: db.url });
        await c.connect();
        return c;
      }),
    );
    try {
      const results = await Promise.all([run(), ...others.map((client) => run({ client }))]);
      const seqs = results.flatMap((r) => r.batches.map((b) => b.seq)).sort();
      expect(seqs).toEqual([1, 2, 3, 4]);
      expect(await count('fact_sales_order')).toBe(4);
      expect(await count('etl.load_log')).toBe(4);
    } finally {
      await Promise.all(others.map((c) => c.end()));
    }
  });

  it('downloads the Parquet to the work folder when the lake is remote', async () => {
    const local = fixture.lake;
    const remote: LakeStore = {
      url: 's3://remote/lake',
      put: (k, b) => local.put(k, b),
      putIf: (k, b, c) => local.putIf(k, b, c),
      get: (k) => local.get(k),
      download: (k, p) => local.download(k, p),
      upload: (p, k) => local.upload(p, k),
      copy: (f, t) => local.copy(f, t),
      list: (prefix) => local.list(prefix),
      delete: (k) => local.delete(k),
      localPath: () => undefined,
    };
    const download = jest.spyOn(remote, 'download');
    await fixture.writeBatch({
      dimensions: baseDimensions(),
      facts: {
        fact_sales_order: [salesOrder(), salesOrder({ sales_order_id: 2, created_date: '2024-11-15' })],
      },
    });
    const result = await run({ lake: remote });
    expect(result.rows).toMatchObject({ fact_sales_order: 2, dim_date: 4 });
    // Both orders are in one fact file: their year's partition.
    expect(download).toHaveBeenCalledTimes(9);
    expect(download.mock.calls.every(([, path]) => path.startsWith(fixture.workDir))).toBe(true);
  });

  it('finds nothing to do when another loader applied a batch committed after this one started', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions() });
    await fixture.writeBatch({ facts: { fact_sales_order: [salesOrder()] } });
    await run();
    const local = fixture.lake;
    let reads = 0;
    const staleFirstRead: LakeStore = Object.assign(Object.create(local) as LakeStore, {
      get: async (key: string) =>
        key === TRANSFORM_STATE_KEY && reads++ === 0
          ? { body: Buffer.from(JSON.stringify({ seq: 1 })), version: 'stale' }
          : local.get(key),
    });
    await expect(run({ lake: staleFirstRead })).resolves.toMatchObject({
      batches: [],
      lastLoadedSeq: 2,
      committedSeq: 1,
    });
  });

  it('refuses a warehouse that is ahead of the lake', async () => {
    await fixture.writeBatch({ dimensions: baseDimensions() });
    await run();
    const other = await CuratedLakeFixture.create();
    try {
      await expect(run({ lake: other.lake })).rejects.toThrow(
        /has loaded transform batch 1 but the lake .* has only committed 0/,
      );
      expect(await count('etl.load_log')).toBe(1);
    } finally {
      await other.cleanup();
    }
  });
});
