import type { ColumnDef, SourceTableDef } from './types';

const audit: readonly ColumnDef[] = [
  { name: 'created_at', type: 'timestamp' },
  { name: 'last_updated', type: 'timestamp' },
];

const fk = (table: string, onDelete?: 'SET NULL'): ColumnDef['references'] => ({
  table,
  column: `${table}_id`,
  ...(onDelete ? { onDelete } : {}),
});

/**
 * The 11 tables of `totesys` exactly as the operational database defines them: `text`
 * dates, `numeric(10,2)` money, `timestamp(3)` audit columns, enums, nullable contacts and
 * the foreign keys with their ON DELETE actions, and each table's columns in the database's
 * order (`sourceColumnNames`; design has `created_at` second). Order is dependency order
 * (referenced tables first), so creating or loading in this order satisfies every foreign key.
 */
export const sourceTables: readonly SourceTableDef[] = [
  {
    name: 'address',
    primaryKey: 'address_id',
    columns: [
      { name: 'address_id', type: 'serial' },
      { name: 'address_line_1', type: 'text' },
      { name: 'address_line_2', type: 'text', nullable: true },
      { name: 'district', type: 'text', nullable: true },
      { name: 'city', type: 'text' },
      { name: 'postal_code', type: 'text' },
      { name: 'country', type: 'text' },
      { name: 'phone', type: 'text' },
      ...audit,
    ],
  },
  {
    name: 'counterparty',
    primaryKey: 'counterparty_id',
    columns: [
      { name: 'counterparty_id', type: 'serial' },
      { name: 'counterparty_legal_name', type: 'text' },
      { name: 'legal_address_id', type: 'int', references: { table: 'address', column: 'address_id' } },
      { name: 'commercial_contact', type: 'text', nullable: true },
      { name: 'delivery_contact', type: 'text', nullable: true },
      ...audit,
    ],
  },
  {
    name: 'currency',
    primaryKey: 'currency_id',
    columns: [{ name: 'currency_id', type: 'serial' }, { name: 'currency_code', type: 'text' }, ...audit],
  },
  {
    name: 'department',
    primaryKey: 'department_id',
    columns: [
      { name: 'department_id', type: 'serial' },
      { name: 'department_name', type: 'text' },
      { name: 'location', type: 'text', nullable: true },
      { name: 'manager', type: 'text', nullable: true },
      ...audit,
    ],
  },
  {
    name: 'design',
    primaryKey: 'design_id',
    columns: [
      { name: 'design_id', type: 'serial' },
      { name: 'created_at', type: 'timestamp' },
      { name: 'design_name', type: 'text' },
      { name: 'file_location', type: 'text' },
      { name: 'file_name', type: 'text' },
      { name: 'last_updated', type: 'timestamp' },
    ],
  },
  {
    name: 'payment_type',
    primaryKey: 'payment_type_id',
    columns: [
      { name: 'payment_type_id', type: 'serial' },
      {
        name: 'payment_type_name',
        type: 'enum',
        enumType: 'payment_type_name',
        enumValues: ['SALES_RECEIPT', 'SALES_REFUND', 'PURCHASE_PAYMENT', 'PURCHASE_REFUND'],
      },
      ...audit,
    ],
  },
  {
    name: 'staff',
    primaryKey: 'staff_id',
    columns: [
      { name: 'staff_id', type: 'serial' },
      { name: 'first_name', type: 'text' },
      { name: 'last_name', type: 'text' },
      { name: 'department_id', type: 'int', references: fk('department') },
      { name: 'email_address', type: 'text' },
      ...audit,
    ],
  },
  {
    name: 'sales_order',
    primaryKey: 'sales_order_id',
    columns: [
      { name: 'sales_order_id', type: 'serial' },
      ...audit,
      { name: 'design_id', type: 'int', references: fk('design') },
      { name: 'staff_id', type: 'int', references: fk('staff') },
      { name: 'counterparty_id', type: 'int', references: fk('counterparty') },
      { name: 'units_sold', type: 'int' },
      { name: 'unit_price', type: 'money' },
      { name: 'currency_id', type: 'int', references: fk('currency') },
      { name: 'agreed_delivery_date', type: 'date_text' },
      { name: 'agreed_payment_date', type: 'date_text' },
      {
        name: 'agreed_delivery_location_id',
        type: 'int',
        references: { table: 'address', column: 'address_id' },
      },
    ],
  },
  {
    name: 'purchase_order',
    primaryKey: 'purchase_order_id',
    columns: [
      { name: 'purchase_order_id', type: 'serial' },
      ...audit,
      { name: 'staff_id', type: 'int', references: fk('staff') },
      { name: 'counterparty_id', type: 'int', references: fk('counterparty') },
      { name: 'item_code', type: 'text' },
      { name: 'item_quantity', type: 'int' },
      { name: 'item_unit_price', type: 'money' },
      { name: 'currency_id', type: 'int', references: fk('currency') },
      { name: 'agreed_delivery_date', type: 'date_text' },
      { name: 'agreed_payment_date', type: 'date_text' },
      {
        name: 'agreed_delivery_location_id',
        type: 'int',
        references: { table: 'address', column: 'address_id' },
      },
    ],
  },
  {
    name: 'transaction',
    primaryKey: 'transaction_id',
    columns: [
      { name: 'transaction_id', type: 'serial' },
      {
        name: 'transaction_type',
        type: 'enum',
        enumType: 'transaction_type',
        enumValues: ['PURCHASE', 'SALE'],
      },
      { name: 'sales_order_id', type: 'int', nullable: true, references: fk('sales_order', 'SET NULL') },
      {
        name: 'purchase_order_id',
        type: 'int',
        nullable: true,
        references: fk('purchase_order', 'SET NULL'),
      },
      ...audit,
    ],
  },
  {
    name: 'payment',
    primaryKey: 'payment_id',
    columns: [
      { name: 'payment_id', type: 'serial' },
      ...audit,
      { name: 'transaction_id', type: 'int', references: fk('transaction') },
      { name: 'counterparty_id', type: 'int', references: fk('counterparty') },
      { name: 'payment_amount', type: 'money' },
      { name: 'currency_id', type: 'int', references: fk('currency') },
      { name: 'payment_type_id', type: 'int', references: fk('payment_type') },
      { name: 'paid', type: 'boolean' },
      { name: 'payment_date', type: 'date_text' },
      { name: 'company_ac_number', type: 'int' },
      { name: 'counterparty_ac_number', type: 'int' },
    ],
  },
];
