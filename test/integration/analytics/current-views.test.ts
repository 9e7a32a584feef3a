import { Client, types } from 'pg';
import { dbtSources, LEDGER_LOADED_AT } from '../../../app/analytics/docs/dbt-sources';
import { type LocalAthena, openLocalAthena } from '../../../app/analytics/local-athena';
import { currentViewDefinitions } from '../../../lambdas/kernel/catalog/definitions';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { silentLog } from '../../../lambdas/kernel/logger';
import { load } from '../../../lambdas/load/load';
import { migrate } from '../../../lambdas/load/migrate';
import {
  baseDimensions,
  CuratedLakeFixture,
  payment,
  purchaseOrder,
  salesOrder,
} from '../../support/curated-fixtures';
import { latestViewMigration } from '../../support/current-view-migrations';
import { createTestDatabase } from '../../support/pg';

const AT = '2024-11-03 14:25:00.000';

/**
 * Versions whose observed_at ties, the case where the old rules disagreed: the order written in
 * the files puts the wrong version first, where a scan meets it first.
 */
const SALES = [
  // 1: same observed_at, the source stamped the second version later: it is current.
  salesOrder({ sales_order_id: 1, units_sold: 10, observed_at: AT }),
  salesOrder({ sales_order_id: 1, units_sold: 20, last_updated_date: '2024-11-15', observed_at: AT }),
  // 2: same observed_at and last_updated, one a deletion: the order is gone.
  salesOrder({ sales_order_id: 2, observed_at: AT }),
  salesOrder({ sales_order_id: 2, is_deleted: true, observed_at: AT }),
  // 3: observed_at decides before last_updated does.
  salesOrder({ sales_order_id: 3, units_sold: 30, last_updated_date: '2024-11-15', observed_at: AT }),
  salesOrder({ sales_order_id: 3, units_sold: 31, observed_at: '2024-11-03 14:30:00.000' }),
  // 4: one version.
  salesOrder({ sales_order_id: 4, units_sold: 7, unit_price: '2.50' }),
];

describe('the <fact>_current views on the lake (DuckDB) and in the warehouse (PostgreSQL)', () => {
  let fixture: CuratedLakeFixture;
  let db: { url: string; drop: () => Promise<void> };
  let warehouse: Client;
  let athena: LocalAthena;

  beforeAll(async () => {
    fixture = await CuratedLakeFixture.create();
    await fixture.writeBatch({
      dimensions: baseDimensions(),
      facts: {
        fact_sales_order: SALES,
        fact_purchase_order: [purchaseOrder()],
        fact_payment: [
          payment({ paid: true, observed_at: AT }),
          payment({ observed_at: AT, is_deleted: false }),
        ],
      },
    });
    db = await createTestDatabase('curv');
    // Dates, times and timestamps as PostgreSQL prints them.
    warehouse = new Client({
      connectionString: db.url,
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          [1082, 1083, 1114].includes(oid)
            ? (v: string) => v
            : types.getTypeParser(oid, format as 'text')) as typeof types.getTypeParser,
      },
    });
    await warehouse.connect();
    await migrate({ warehouse, log: silentLog });
    await load({ warehouse, lake: fixture.lake, log: silentLog, workDir: fixture.workDir });
    athena = await openLocalAthena(fixture.lake, { catalog: new LocalCatalog(fixture.lake) });
  });

  afterAll(async () => {
    athena?.close();
    await warehouse?.end();
    await db?.drop();
    await fixture?.cleanup();
  });

  const lakeRows = async (sql: string): Promise<string[][]> =>
    (await athena.runQuery(sql)).rows.map((r) => r.map(text));
  const warehouseRows = async (sql: string): Promise<string[][]> =>
    (await warehouse.query({ text: sql, rowMode: 'array' })).rows.map((r: unknown[]) => r.map(text));

  it('picks the same current version on both engines when observed_at ties', async () => {
    const sql = 'SELECT sales_order_id, units_sold, sale_value FROM fact_sales_order_current ORDER BY 1';
    const expected = [
      ['1', '20', '78.8'],
      ['3', '31', '122.14'],
      ['4', '7', '17.5'],
    ];
    expect(await lakeRows(sql)).toEqual(expected);
    expect(await warehouseRows(sql)).toEqual(expected);
  });

  it('has the Glue columns in their order on the lake, and every one in the warehouse, in the order it was created with', async () => {
    for (const view of currentViewDefinitions()) {
      const sql = `SELECT * FROM ${view.name} LIMIT 0`;
      const lake = (await athena.runQuery(sql)).columns;
      const pg = (await warehouse.query(sql)).fields.map((f) => f.name);
      expect({ view: view.name, columns: lake }).toEqual({
        view: view.name,
        columns: view.columns.map((c) => c.name),
      });
      // The warehouse can only append to a view: the columns of the migration that created it
      // come first, in its order, then those the schema module added since.
      const created = latestViewMigration(view.name)?.columns ?? [];
      expect({ view: view.name, columns: pg }).toEqual({
        view: view.name,
        columns: [...created, ...lake.filter((c) => !created.includes(c))],
      });
    }
  });

  it('gives the same rows, value for value, for every current view', async () => {
    for (const view of currentViewDefinitions()) {
      const sql = `SELECT ${view.columns.map((c) => `"${c.name}"`).join(', ')} FROM ${view.name} ORDER BY 1`;
      expect({ view: view.name, rows: await warehouseRows(sql) }).toEqual({
        view: view.name,
        rows: await lakeRows(sql),
      });
    }
  });

  it('keeps sale_value and purchase_value exact, in the row currency', async () => {
    expect(await warehouseRows('SELECT purchase_value FROM fact_purchase_order_current')).toEqual([
      ['134075.69'],
    ]);
    const { rows } = await warehouse.query(
      `SELECT data_type, numeric_precision, numeric_scale FROM information_schema.columns
        WHERE table_name = 'fact_sales_order_current' AND column_name = 'sale_value'`,
    );
    expect(rows).toEqual([{ data_type: 'numeric', numeric_precision: 18, numeric_scale: 2 }]);
  });

  it("passes dbt's freshness query and the generated unique tests as the analyst role", async () => {
    await warehouse.query('BEGIN');
    try {
      await warehouse.query('SET LOCAL ROLE totes_analyst');
      // dbt's freshness query puts loaded_at_field into max(…) over the table.
      const { rows } = await warehouse.query<{ max_loaded_at: Date; ledger: Date }>(
        `SELECT max(${LEDGER_LOADED_AT}) AS max_loaded_at, (SELECT max(loaded_at) FROM etl.load_log) AS ledger
           FROM public.fact_sales_order_current`,
      );
      expect(rows[0]?.max_loaded_at).toEqual(rows[0]?.ledger);
      expect(rows[0]?.max_loaded_at).toBeInstanceOf(Date);
      for (const table of dbtSources().sources[0]?.tables ?? []) {
        for (const column of table.columns.filter((c) => c.data_tests?.includes('unique'))) {
          const dupes = await warehouse.query(
            `SELECT ${column.name} FROM public.${table.name} GROUP BY 1 HAVING count(*) > 1`,
          );
          expect({ table: table.name, duplicates: dupes.rowCount }).toEqual({
            table: table.name,
            duplicates: 0,
          });
        }
      }
    } finally {
      await warehouse.query('ROLLBACK');
    }
  });
});

/** A value as comparable text: numbers canonical, times without trailing zero digits. */
function text(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return value.toISOString();
  const s = String(value);
  if (/^-?\d+(\.\d+)?$/.test(s)) return String(Number(s));
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(s))
    return s.replace('T', ' ').replace(/\.?0+$/, '');
  if (/^\d{2}:\d{2}:\d{2}\.\d+$/.test(s)) return s.replace(/\.?0+$/, '');
  return s;
}
