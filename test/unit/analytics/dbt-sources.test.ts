import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { dbtSources, dbtSourcesYaml } from '../../../app/analytics/docs/dbt-sources';
import { currentViews } from '../../../lambdas/kernel/catalog/current-views';
import { warehouseTable, warehouseTables } from '../../../lambdas/kernel/schema';

const ROOT = join(__dirname, '..', '..', '..');
/** The sources part of dbt's published JSON schema for properties files (see its $comment). */
const DBT_SCHEMA = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'dbt-properties-sources.schema.json'), 'utf8'),
) as object;

const validate = new Ajv({ allErrors: true, strict: false }).compile(DBT_SCHEMA);
const errorsOf = (document: unknown): string[] =>
  validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

describe('the generated dbt sources.yml', () => {
  const document = parse(dbtSourcesYaml()) as ReturnType<typeof dbtSources>;

  it("validates against dbt's schema for properties files", () => {
    expect(errorsOf(document)).toEqual([]);
  });

  it('is checked by a validator that rejects what dbt rejects', () => {
    const source = document.sources[0];
    const wrong = {
      ...document,
      sources: [{ ...source, freshness: { warn_after: { count: 1, period: 'week' } } }],
    };
    expect(errorsOf(wrong).length).toBeGreaterThan(0);
    expect(errorsOf({ ...document, version: 1 }).length).toBeGreaterThan(0);
    expect(
      errorsOf({
        ...document,
        sources: [{ ...source, tables: [{ name: 't', columns: [{ name: 'c', kind: 'x' }] }] }],
      }).length,
    ).toBeGreaterThan(0);
  });

  it('lists every star table and current view with every column, described as the schema module describes it', () => {
    const tables = document.sources[0]?.tables ?? [];
    expect(tables.map((t) => t.name)).toEqual([
      ...warehouseTables.map((t) => t.name),
      ...currentViews().map((v) => v.name),
    ]);
    const sales = tables.find((t) => t.name === 'fact_sales_order');
    expect(sales?.columns.map((c) => c.name)).toEqual([
      'sales_record_id',
      ...warehouseTable('fact_sales_order').columns.map((c) => c.name),
      'batch_seq',
    ]);
    for (const table of warehouseTables) {
      const generated = tables.find((t) => t.name === table.name);
      expect(generated?.description).toBe(table.comment);
      for (const column of table.columns) {
        expect(generated?.columns.find((c) => c.name === column.name)?.description).toBe(column.comment);
      }
    }
    expect(tables.flatMap((t) => t.columns).every((c) => c.description.length > 3)).toBe(true);
  });

  it('tests keys, NOT NULL columns and foreign keys the way the warehouse declares them', () => {
    const tables = document.sources[0]?.tables ?? [];
    const column = (table: string, name: string) =>
      tables.find((t) => t.name === table)?.columns.find((c) => c.name === name);
    expect(column('dim_design', 'design_id')?.data_tests).toEqual(['unique', 'not_null']);
    expect(column('dim_location', 'address_line_2')?.data_tests).toBeUndefined();
    expect(column('fact_sales_order', 'design_id')?.data_tests).toEqual([
      'not_null',
      { relationships: { to: "source('totesys_warehouse', 'dim_design')", field: 'design_id' } },
    ]);
    expect(column('fact_sales_order_current', 'sales_order_id')?.data_tests).toEqual(['unique', 'not_null']);
    expect(column('fact_sales_order_current', 'sale_value')).toMatchObject({ data_type: 'numeric(18,2)' });
  });

  it('judges freshness by the load ledger against the configured window', () => {
    expect(document.sources[0]).toMatchObject({
      loaded_at_field: '(SELECT max(loaded_at) FROM etl.load_log)',
      freshness: {
        warn_after: { count: 30, period: 'minute' },
        error_after: { count: 60, period: 'minute' },
      },
    });
    expect(dbtSources({ freshnessMinutes: 10, sourceName: 'wh' }).sources[0]).toMatchObject({
      name: 'wh',
      freshness: { warn_after: { count: 10 } },
    });
  });

  it('is what `totes dbt-sources` prints', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'totes.cjs'), 'dbt-sources'],
      {
        timeout: 120_000,
      },
    );
    expect(stdout).toBe(dbtSourcesYaml());
  });
});
