import { ident, sourceTables, warehouseTable, warehouseTables } from '../../lambdas/kernel/schema';

describe('schema module', () => {
  it('defines the 11 totesys tables and the 11 star-schema tables', () => {
    expect(sourceTables).toHaveLength(11);
    expect(warehouseTables.map((t) => t.name).sort()).toEqual(
      [
        'dim_counterparty',
        'dim_currency',
        'dim_date',
        'dim_design',
        'dim_location',
        'dim_payment_type',
        'dim_staff',
        'dim_transaction',
        'fact_payment',
        'fact_purchase_order',
        'fact_sales_order',
      ].sort(),
    );
  });

  it('lists every source table after the tables it references', () => {
    const seen = new Set<string>();
    for (const table of sourceTables) {
      for (const c of table.columns) {
        if (c.references && c.references.table !== table.name) expect(seen).toContain(c.references.table);
      }
      seen.add(table.name);
    }
  });

  it('refuses identifiers that are not plain names', () => {
    expect(ident('sales_order')).toBe('"sales_order"');
    expect(() => ident('x"; DROP TABLE staff; --')).toThrow(/unsafe/);
  });

  it('gives facts a surrogate key and a source table', () => {
    expect(warehouseTable('fact_sales_order')).toMatchObject({
      surrogateKey: 'sales_record_id',
      sourceTable: 'sales_order',
    });
  });
});
