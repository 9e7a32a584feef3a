import { warehouseTable, warehouseTables } from '../../../lambdas/kernel/schema';
import { foreignKeys } from '../../../lambdas/load/apply-facts';
import {
  type ActualColumn,
  type ActualForeignKey,
  expectedColumns,
  foreignKeyDrift,
  pgTypeOf,
  schemaDrift,
} from '../../../lambdas/load/schema-check';

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

describe('foreign key check', () => {
  const matching = (): ActualForeignKey[] =>
    warehouseTables.flatMap((t) =>
      foreignKeys(t).map((fk) => ({
        name: fk.name,
        table_name: fk.table,
        column_name: fk.column,
        ref_table: fk.refTable,
        ref_column: fk.refColumn,
      })),
    );

  it('finds no drift when every reference of the schema module is a foreign key', () => {
    expect(matching()).toHaveLength(9 + 8 + 7);
    expect(foreignKeyDrift(matching())).toEqual([]);
  });

  it('names a missing, a misdirected and an unexpected foreign key', () => {
    const actual = matching()
      .filter((fk) => fk.name !== 'fact_sales_order_design_id_fkey')
      .map((fk) => (fk.name === 'fact_payment_currency_id_fkey' ? { ...fk, ref_table: 'dim_location' } : fk));
    actual.push({
      name: 'dim_transaction_sales_order_id_fkey',
      table_name: 'dim_transaction',
      column_name: 'sales_order_id',
      ref_table: 'fact_sales_order',
      ref_column: 'sales_order_id',
    });
    expect(foreignKeyDrift(actual)).toEqual([
      'dim_transaction.sales_order_id: foreign key dim_transaction_sales_order_id_fkey is not in the schema module',
      'fact_sales_order.design_id: foreign key fact_sales_order_design_id_fkey to dim_design(design_id) is missing',
      'fact_payment.currency_id: foreign key fact_payment_currency_id_fkey is on currency_id → dim_location(currency_id), expected currency_id → dim_currency(currency_id)',
    ]);
  });
});
