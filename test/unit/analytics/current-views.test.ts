import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'node-sql-parser';
import {
  createCurrentViewSql,
  currentView,
  currentViewQuery,
  currentViews,
  versionOrderSql,
} from '../../../lambdas/kernel/catalog/current-views';
import { factTables, warehouseTable } from '../../../lambdas/kernel/schema';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'warehouse-sql');

/** The newest migration that (re)creates `view`, and its text. */
function latestDefinition(view: string): { name: string; sql: string } | undefined {
  const files = readdirSync(MIGRATIONS)
    .filter((f) => /^\d{3,}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .reverse();
  for (const name of files) {
    const sql = readFileSync(join(MIGRATIONS, name), 'utf8');
    if (new RegExp(`CREATE (OR REPLACE )?VIEW "?${view}"? `).test(sql)) return { name, sql };
  }
  return undefined;
}

describe('the current-state views', () => {
  it('exist for every fact, named <fact>_current, without is_deleted', () => {
    expect(currentViews().map((v) => v.name)).toEqual(factTables.map((f) => `${f.name}_current`));
    for (const view of currentViews()) expect(view.columns.map((c) => c.name)).not.toContain('is_deleted');
  });

  it('add the money measure of sales and purchases after the fact columns', () => {
    const sales = currentView(warehouseTable('fact_sales_order'));
    expect(sales.columns.at(-1)?.name).toBe('sale_value');
    expect(sales.columns.map((c) => c.name)).toContain('design_id');
    expect(currentView(warehouseTable('fact_purchase_order')).columns.at(-1)?.name).toBe('purchase_value');
    expect(currentView(warehouseTable('fact_payment')).columns.at(-1)?.name).toBe('observed_at');
  });

  it('order versions by observed_at, then the source last_updated, then a deletion first', () => {
    expect(versionOrderSql('f')).toBe(
      'f."observed_at" DESC, f."last_updated_date" DESC, f."last_updated_time" DESC, f."is_deleted" DESC',
    );
    for (const view of currentViews()) expect(currentViewQuery(view)).toContain(versionOrderSql());
  });

  it('are SQL that the Trino grammar accepts, as Athena must', () => {
    const parser = new Parser();
    for (const view of currentViews()) {
      expect(() => parser.astify(currentViewQuery(view), { database: 'trino' })).not.toThrow();
      expect(currentViewQuery(view)).not.toMatch(/::|QUALIFY|EXCLUDE|DISTINCT ON/i);
    }
  });

  it('are created in the warehouse by the newest migration exactly as generated here', () => {
    for (const view of currentViews()) {
      const migration = latestDefinition(view.name);
      expect({ view: view.name, found: migration !== undefined }).toEqual({ view: view.name, found: true });
      // A change to the rule needs a new migration that recreates the views with the new text.
      expect({
        view: view.name,
        migration: migration?.name,
        has: migration?.sql.includes(`${createCurrentViewSql(view)};`),
      }).toEqual({
        view: view.name,
        migration: migration?.name,
        has: true,
      });
    }
  });
});
