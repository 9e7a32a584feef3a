import {
  type ActualColumn,
  expectedColumns,
  pgTypeOf,
  schemaDrift,
} from '../../../lambdas/load/schema-check';
import { warehouseTable, warehouseTables } from '../../../lambdas/shared/schema';

/** The information_schema rows of a warehouse that matches the schema module exactly. */
function matchingWarehouse(): ActualColumn[] {
  return warehouseTables.flatMap((table) =>
    [...expectedColumns(table)].map(([name, want]) => ({
      table_name: table.name,
      column_name: name,
      is_nullable: want.nullable ? ('YES' as const) : ('NO' as const),
      ...physical(want.type),
    })),
  );
}

function physical(
  type: string,
): Pick<ActualColumn, 'data_type' | 'numeric_precision' | 'numeric_scale' | 'datetime_precision'> {
  const none = { numeric_precision: null, numeric_scale: null, datetime_precision: null };
  if (type === 'numeric(10,2)')
    return { ...none, data_type: 'numeric', numeric_precision: 10, numeric_scale: 2 };
  if (type === 'timestamp(3)')
    return { ...none, data_type: 'timestamp without time zone', datetime_precision: 3 };
  if (type === 'time(3)') return { ...none, data_type: 'time without time zone', datetime_precision: 3 };
  return { ...none, data_type: type };
}

describe('warehouse DDL check', () => {
  it('finds no drift in a warehouse built from the schema module', () => {
    expect(schemaDrift(matchingWarehouse())).toEqual([]);
  });

  it('expects the surrogate key of a fact as a NOT NULL integer', () => {
    expect(expectedColumns(warehouseTable('fact_payment')).get('payment_record_id')).toEqual({
      type: 'integer',
      nullable: false,
    });
  });

  it('names table and column of a changed type, a lost NOT NULL, a missing and an extra column', () => {
    const actual = matchingWarehouse()
      .filter((c) => !(c.table_name === 'dim_staff' && c.column_name === 'email_address'))
      .map((c) => {
        if (c.table_name === 'fact_sales_order' && c.column_name === 'unit_price')
          return { ...c, numeric_precision: 12 };
        if (c.table_name === 'fact_payment' && c.column_name === 'observed_at')
          return { ...c, datetime_precision: 6 };
        if (c.table_name === 'dim_design' && c.column_name === 'design_name')
          return { ...c, is_nullable: 'YES' as const };
        return c;
      });
    actual.push({
      ...physical('text'),
      table_name: 'dim_currency',
      column_name: 'symbol',
      is_nullable: 'YES',
    });
    expect(schemaDrift(actual)).toEqual([
      'dim_staff.email_address: column is missing (expected text)',
      'dim_design.design_name: is nullable, expected NOT NULL',
      'dim_currency.symbol: column is not in the schema module',
      'fact_sales_order.unit_price: type is numeric(12,2), expected numeric(10,2)',
      'fact_payment.observed_at: type is timestamp(6), expected timestamp(3)',
    ]);
  });

  it('reports a missing table once', () => {
    const actual = matchingWarehouse().filter((c) => c.table_name !== 'dim_transaction');
    expect(schemaDrift(actual)).toEqual(['dim_transaction: table is missing']);
  });

  it('spells information_schema types as warehousePgType does', () => {
    expect(pgTypeOf({ ...base(), ...physical('numeric(10,2)') })).toBe('numeric(10,2)');
    expect(pgTypeOf({ ...base(), ...physical('time(3)') })).toBe('time(3)');
    expect(pgTypeOf({ ...base(), ...physical('integer') })).toBe('integer');
  });
});

const base = (): Pick<ActualColumn, 'table_name' | 'column_name' | 'is_nullable'> => ({
  table_name: 't',
  column_name: 'c',
  is_nullable: 'NO',
});
