import {
  columnSource,
  datesReferenced,
  dimensionSourcesOf,
  factSourceTables,
  isVersionColumn,
  lineage,
  lineages,
  memberKey,
  sourceColumnNames,
  sourceColumnOf,
  sourceTable,
  starTablesOf,
  warehouseTables,
} from '../../../lambdas/kernel/schema';

describe('lineage of the star schema', () => {
  it('gives every column of every star table a source, in the table order', () => {
    expect(lineages.map((l) => l.table)).toEqual(warehouseTables.map((t) => t.name));
    for (const table of warehouseTables) {
      expect(lineage(table.name).columns.map((c) => c.name)).toEqual(table.columns.map((c) => c.name));
    }
  });

  it('reads only source columns that exist, from the main source or a joined table', () => {
    for (const l of lineages) {
      for (const c of l.columns) {
        const read = sourceColumnOf(c.source);
        if ('table' in c.source) {
          expect(read?.name).toBe(c.source.column);
          expect(l.sources).toContain(c.source.table);
        } else {
          expect(read).toBeUndefined();
        }
      }
    }
  });

  it('maps renamed fact columns and splits the audit timestamps into date and time', () => {
    expect(columnSource('fact_sales_order', 'sales_staff_id')).toEqual({
      kind: 'column',
      table: 'sales_order',
      column: 'staff_id',
    });
    expect(columnSource('fact_payment', 'created_date')).toEqual({
      kind: 'date_of',
      table: 'payment',
      column: 'created_at',
    });
    expect(columnSource('fact_purchase_order', 'last_updated_time')).toEqual({
      kind: 'time_of',
      table: 'purchase_order',
      column: 'last_updated',
    });
    expect(isVersionColumn(columnSource('fact_payment', 'observed_at'))).toBe(true);
    expect(isVersionColumn(columnSource('fact_payment', 'paid'))).toBe(false);
  });

  it('rebuilds a dimension when any table it joins changes: the ripple', () => {
    expect(starTablesOf('department')).toEqual(['dim_staff']);
    expect(starTablesOf('address')).toEqual(['dim_location', 'dim_counterparty']);
    expect(starTablesOf('sales_order')).toEqual(['fact_sales_order']);
    expect(lineage('dim_counterparty').joins).toEqual([
      { table: 'address', column: 'address_id', on: 'legal_address_id' },
    ]);
  });

  it('keys each dimension on the primary key of its main source', () => {
    expect(memberKey('dim_location')).toEqual({ table: 'address', column: 'address_id' });
    expect(memberKey('dim_date')).toBeUndefined();
    for (const l of lineages.filter((x) => x.kind === 'dimension' && x.from)) {
      expect(memberKey(l.table)?.column).toBe(sourceTable(l.from ?? '').primaryKey);
    }
  });

  it('makes every source table feed some star table', () => {
    const fed = new Set(lineages.flatMap((l) => l.sources));
    expect([...fed].sort()).toEqual(
      ['address', 'counterparty', 'currency', 'department', 'design', 'payment_type', 'staff', 'transaction']
        .concat(factSourceTables)
        .sort(),
    );
  });

  it('names the sources of the dimension rows a fact references, in dependency order', () => {
    expect(dimensionSourcesOf('fact_sales_order')).toEqual([
      'address',
      'counterparty',
      'currency',
      'department',
      'design',
      'staff',
    ]);
    expect(dimensionSourcesOf('fact_payment')).toContain('transaction');
  });

  it('lists the fact dates dim_date must hold', () => {
    expect(datesReferenced().filter((d) => d.fact === 'fact_payment')).toEqual([
      { fact: 'fact_payment', column: 'created_date' },
      { fact: 'fact_payment', column: 'last_updated_date' },
      { fact: 'fact_payment', column: 'payment_date' },
    ]);
  });

  it('orders the source columns as totesys defines them', () => {
    expect(sourceColumnNames(sourceTable('currency'))).toEqual([
      'currency_id',
      'currency_code',
      'created_at',
      'last_updated',
    ]);
    expect(sourceColumnNames(sourceTable('design'))).toEqual([
      'design_id',
      'created_at',
      'design_name',
      'file_location',
      'file_name',
      'last_updated',
    ]);
  });
});
