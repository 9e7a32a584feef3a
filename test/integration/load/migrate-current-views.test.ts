import { Client } from 'pg';
import {
  createCurrentViewSql,
  currentView,
  currentViews,
} from '../../../lambdas/kernel/catalog/current-views';
import { CurrentViewUpdateError } from '../../../lambdas/kernel/catalog/errors';
import { addMissingCurrentViewColumns } from '../../../lambdas/kernel/catalog/warehouse-current-views';
import { silentLog } from '../../../lambdas/kernel/logger';
import { type WarehouseTableDef, warehouseTable } from '../../../lambdas/kernel/schema';
import { load } from '../../../lambdas/load/load';
import { migrate } from '../../../lambdas/load/migrate';
import { baseDimensions, CuratedLakeFixture, salesOrder } from '../../support/curated-fixtures';
import { createTestDatabase } from '../../support/pg';

const DISCOUNT = {
  name: 'discount_percent',
  type: 'money',
  nullable: true,
  comment: 'Discount, in percent',
} as const;

/** fact_sales_order as the schema module has it once a contributor adds `discount_percent`. */
function salesWithDiscount(): WarehouseTableDef {
  const fact = warehouseTable('fact_sales_order');
  const at = fact.columns.findIndex((c) => c.name === 'observed_at');
  return { ...fact, columns: [...fact.columns.slice(0, at), DISCOUNT, ...fact.columns.slice(at)] };
}

describe('the warehouse current views after the migrations', () => {
  let db: { url: string; drop: () => Promise<void> };
  let warehouse: Client;
  let fixture: CuratedLakeFixture;

  const columns = async (relation: string): Promise<string[]> =>
    (await warehouse.query(`SELECT * FROM ${relation} LIMIT 0`)).fields.map((f) => f.name);
  const comment = async (relation: string, column: string): Promise<string | null> =>
    (
      await warehouse.query<{ d: string | null }>(
        `SELECT col_description(to_regclass($1), a.attnum) AS d FROM pg_attribute a
          WHERE a.attrelid = to_regclass($1) AND a.attname = $2`,
        [relation, column],
      )
    ).rows[0]?.d ?? null;

  beforeEach(async () => {
    db = await createTestDatabase('mcv');
    warehouse = new Client({ connectionString: db.url });
    await warehouse.connect();
    await migrate({ warehouse, log: silentLog });
    fixture = await CuratedLakeFixture.create();
    await fixture.writeBatch({
      dimensions: baseDimensions(),
      facts: {
        fact_sales_order: [
          salesOrder({ sales_order_id: 1, units_sold: 3 }),
          salesOrder({ sales_order_id: 2, units_sold: 4, unit_price: '2.50' }),
        ],
      },
    });
    await load({ warehouse, lake: fixture.lake, log: silentLog, workDir: fixture.workDir });
  });

  afterEach(async () => {
    await warehouse?.end();
    await db?.drop();
    await fixture?.cleanup();
  });

  it('leaves views that have every schema-derived column as the migrations created them', async () => {
    for (const view of currentViews()) {
      expect({ view: view.name, columns: await columns(view.name) }).toEqual({
        view: view.name,
        columns: view.columns.map((c) => c.name),
      });
    }
    await expect(addMissingCurrentViewColumns({ warehouse, log: silentLog })).resolves.toEqual([]);
  });

  it('appends a column a view lacks after its existing ones, with its description, when migrate runs', async () => {
    const view = currentView(warehouseTable('fact_sales_order'));
    const older = view.columns.map((c) => c.name).filter((n) => n !== 'design_id');
    // A view created before design_id existed (its dependants go with it).
    await warehouse.query(`DROP VIEW ${view.name} CASCADE`);
    await warehouse.query(createCurrentViewSql(view, older));

    const result = await migrate({ warehouse, log: silentLog });

    expect(result.applied).toEqual([]);
    expect(await columns(view.name)).toEqual([...older, 'design_id']);
    const design = view.columns.find((c) => c.name === 'design_id');
    expect(await comment(view.name, 'design_id')).toBe(
      design?.kind === 'fact' ? design.column.comment : null,
    );
    const { rows } = await warehouse.query(
      `SELECT v.sales_order_id, v.design_id = f.design_id AS same, v.sale_value::text
         FROM ${view.name} v JOIN fact_sales_order f USING (sales_order_id) ORDER BY 1`,
    );
    expect(rows).toEqual([
      { sales_order_id: 1, same: true, sale_value: expect.any(String) },
      { sales_order_id: 2, same: true, sale_value: '10.00' },
    ]);
  });

  it('adds a column the schema module gains to the view, after the measure, keeping the views built on it', async () => {
    await warehouse.query(`ALTER TABLE fact_sales_order ADD COLUMN ${DISCOUNT.name} numeric(10,2)`);
    await warehouse.query(`UPDATE fact_sales_order SET ${DISCOUNT.name} = sales_order_id * 1.5`);
    const view = currentView(salesWithDiscount());
    const before = await columns(view.name);

    const updated = await addMissingCurrentViewColumns({ warehouse, log: silentLog, views: [view] });

    expect(updated).toEqual([{ view: 'fact_sales_order_current', added: [DISCOUNT.name] }]);
    expect(before.at(-1)).toBe('sale_value');
    expect(await columns(view.name)).toEqual([...before, DISCOUNT.name]);
    // Every schema-derived column is there, whatever the order.
    expect([...(await columns(view.name))].sort()).toEqual(view.columns.map((c) => c.name).sort());
    expect(await comment(view.name, DISCOUNT.name)).toBe(DISCOUNT.comment);
    const { rows } = await warehouse.query(
      `SELECT sales_order_id, ${DISCOUNT.name}::text AS d FROM ${view.name} ORDER BY 1`,
    );
    expect(rows).toEqual([
      { sales_order_id: 1, d: '1.50' },
      { sales_order_id: 2, d: '3.00' },
    ]);
    await expect(warehouse.query('SELECT count(*)::int AS n FROM v_sales_current')).resolves.toMatchObject({
      rows: [{ n: 2 }],
    });
    await expect(addMissingCurrentViewColumns({ warehouse, log: silentLog, views: [view] })).resolves.toEqual(
      [],
    );
  });

  it('refuses, naming the view and the column, when the fact table lacks a column its view must show', async () => {
    const view = currentView(salesWithDiscount());
    const before = await columns(view.name);

    const error = await addMissingCurrentViewColumns({ warehouse, log: silentLog, views: [view] }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(CurrentViewUpdateError);
    expect((error as Error).message).toMatch(
      /fact_sales_order_current must show discount_percent, which fact_sales_order does not have: add a warehouse migration with ALTER TABLE fact_sales_order ADD COLUMN/,
    );
    expect(await columns(view.name)).toEqual(before);
  });
});
