import {
  curatedTableDefinitions,
  glueDatabaseName,
  rawTableDefinitions,
} from '../../../lambdas/kernel/catalog/definitions';
import { sourceTables, warehouseTables } from '../../../lambdas/kernel/schema';

const raw = rawTableDefinitions();
const curated = curatedTableDefinitions();
const find = (name: string) => [...raw, ...curated].find((t) => t.name === name);

describe('catalog definitions', () => {
  it('declares one raw table per source table and one curated table per star-schema table', () => {
    expect(raw.map((t) => t.name)).toEqual(sourceTables.map((t) => `raw_${t.name}`));
    expect(curated.map((t) => t.name)).toEqual(warehouseTables.map((t) => t.name));
  });

  it('types every curated column as its schema column, in order', () => {
    for (const table of warehouseTables) {
      expect(find(table.name)?.columns.map((c) => c.name)).toEqual(table.columns.map((c) => c.name));
    }
  });

  it('types money as decimal(10,2) and time of day as a string in the curated zone', () => {
    const sales = find('fact_sales_order');
    expect(sales?.columns.find((c) => c.name === 'unit_price')?.type).toBe('decimal(10,2)');
    expect(sales?.columns.find((c) => c.name === 'created_time')?.type).toBe('string');
  });

  it('keeps raw money as a string so no decimal digit is lost', () => {
    expect(find('raw_sales_order')?.columns.find((c) => c.name === 'unit_price')?.type).toBe('string');
  });

  it('adds the change metadata columns to every raw table', () => {
    for (const table of raw) {
      expect(table.columns.map((c) => c.name)).toEqual(
        expect.arrayContaining(['_op', '_run_id', '_extracted_at']),
      );
    }
  });

  it('partitions raw tables by ingest_date in days from 2022-11-01 and facts by dt in years from 2022-01-01, to now', () => {
    expect(find('raw_address')?.partitionKeys).toEqual([
      expect.objectContaining({
        name: 'ingest_date',
        projection: { format: 'yyyy-MM-dd', min: '2022-11-01', max: 'NOW' },
      }),
    ]);
    expect(find('fact_payment')?.partitionKeys).toEqual([
      expect.objectContaining({
        name: 'dt',
        type: 'date',
        projection: {
          format: 'yyyy-MM-dd',
          min: '2022-01-01',
          max: 'NOW',
          step: { interval: 1, unit: 'YEARS' },
        },
      }),
    ]);
  });

  it('leaves dimensions unpartitioned, pointing at the unpublished snapshot placeholder', () => {
    expect(find('dim_staff')?.partitionKeys).toEqual([]);
    expect(find('dim_staff')?.prefix).toBe('curated/dim_staff/snapshot=unpublished/');
  });

  it('never declares a partition key that is also a column', () => {
    for (const table of [...raw, ...curated]) {
      const columns = new Set(table.columns.map((c) => c.name));
      for (const key of table.partitionKeys) expect(columns.has(key.name)).toBe(false);
    }
  });

  it('derives a Glue-safe database name from the stage', () => {
    expect(glueDatabaseName('Prod-EU')).toBe('totesys_lake_prod_eu');
  });
});
