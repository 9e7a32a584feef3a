import { Parser } from 'node-sql-parser';
import {
  createCurrentViewSql,
  currentView,
  currentViewQuery,
  currentViews,
  versionOrderSql,
  withMissingColumns,
} from '../../../lambdas/kernel/catalog/current-views';
import { factTables, warehouseTable } from '../../../lambdas/kernel/schema';
import { latestViewMigration } from '../../support/current-view-migrations';

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

  it('are created in the warehouse by the newest migration with the rule generated here, for columns the schema derives', () => {
    for (const view of currentViews()) {
      const migration = latestViewMigration(view.name);
      expect({ view: view.name, found: migration !== undefined }).toEqual({ view: view.name, found: true });
      const created = migration?.columns ?? [];
      const derived = view.columns.map((c) => c.name);
      // Columns can only be appended to a warehouse view; one the schema module no longer
      // derives needs a migration that recreates the view and the views built on it.
      expect({ view: view.name, notDerived: created.filter((c) => !derived.includes(c)) }).toEqual({
        view: view.name,
        notDerived: [],
      });
      // A change to the rule (version order, filter, measures) needs a new migration that
      // recreates the views with the new text.
      expect({
        view: view.name,
        migration: migration?.name,
        has: migration?.sql.includes(`${createCurrentViewSql(view, created)};`),
      }).toEqual({ view: view.name, migration: migration?.name, has: true });
    }
  });

  it('reach every schema-derived column and measure in the warehouse, keeping the order they were created in', () => {
    for (const view of currentViews()) {
      const created = latestViewMigration(view.name)?.columns ?? [];
      const { names } = withMissingColumns(view, created);
      expect({ view: view.name, start: names.slice(0, created.length) }).toEqual({
        view: view.name,
        start: created,
      });
      expect({ view: view.name, columns: [...names].sort() }).toEqual({
        view: view.name,
        columns: view.columns.map((c) => c.name).sort(),
      });
      for (const measure of view.columns.filter((c) => c.kind === 'measure'))
        expect({ view: view.name, has: names.includes(measure.name) }).toEqual({
          view: view.name,
          has: true,
        });
    }
  });

  it('append the columns a warehouse view lacks after the ones it has, in the order it has them', () => {
    const view = currentView(warehouseTable('fact_sales_order'));
    const existing = [
      'sale_value',
      ...view.columns.map((c) => c.name).filter((n) => !['design_id', 'sale_value'].includes(n)),
    ];
    const { names, added } = withMissingColumns(view, existing);
    expect(names).toEqual([...existing, 'design_id']);
    expect(added.map((c) => c.name)).toEqual(['design_id']);
    expect(withMissingColumns(view, names).added).toEqual([]);
    expect(currentViewQuery(view, names)).toMatch(/AS "sale_value",\n[\s\S]*"design_id"\nFROM \(/);
  });
});
