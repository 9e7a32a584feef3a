import type { ColumnDef, WarehouseTableDef } from './types';

const int = (name: string, comment?: string, nullable = false): ColumnDef => ({
  name,
  type: 'int',
  ...(nullable ? { nullable } : {}),
  ...(comment ? { comment } : {}),
});
const text = (name: string, nullable = false, comment?: string): ColumnDef => ({
  name,
  type: 'text',
  ...(nullable ? { nullable } : {}),
  ...(comment ? { comment } : {}),
});
const dateRef = (name: string, comment?: string): ColumnDef => ({
  name,
  type: 'date',
  references: { table: 'dim_date', column: 'date_id' },
  ...(comment ? { comment } : {}),
});

/** Columns every fact table starts with: when the source row was created and last updated. */
const factAudit: readonly ColumnDef[] = [
  dateRef('created_date', 'Date the source row was created'),
  { name: 'created_time', type: 'time', comment: 'Time of day the source row was created' },
  dateRef('last_updated_date', 'Date of the source row last_updated of this version'),
  { name: 'last_updated_time', type: 'time', comment: 'Time of day of last_updated of this version' },
];

/**
 * Lineage columns that make facts a history: every observed version of a source row is one
 * fact row. Not in the original brief; they are what lets analysts tell versions apart.
 */
const factLineage: readonly ColumnDef[] = [
  {
    name: 'observed_at',
    type: 'timestamp',
    comment: 'When the pipeline captured this version from totesys (UTC)',
  },
  {
    name: 'is_deleted',
    type: 'boolean',
    comment: 'True for the version recording that the source row was deleted',
  },
];

const dimRef = (name: string, dim: string, key: string, nullable = false): ColumnDef => ({
  name,
  type: 'int',
  references: { table: dim, column: key },
  ...(nullable ? { nullable } : {}),
});

/**
 * The star schema of the original brief, complete: 8 dimensions and 3 facts. The curated
 * lake zone and the warehouse hold exactly these columns (the warehouse adds the facts'
 * SERIAL surrogate keys). Dimension order is dependency order for loading.
 */
export const warehouseTables: readonly WarehouseTableDef[] = [
  {
    name: 'dim_date',
    kind: 'dimension',
    naturalKey: 'date_id',
    comment: 'Every date any fact refers to',
    columns: [
      { name: 'date_id', type: 'date' },
      int('year'),
      int('month'),
      int('day'),
      int('day_of_week', 'ISO day of week: 1 = Monday … 7 = Sunday'),
      text('day_name'),
      text('month_name'),
      int('quarter'),
    ],
  },
  {
    name: 'dim_staff',
    kind: 'dimension',
    naturalKey: 'staff_id',
    comment: 'Staff with their department (staff ⋈ department)',
    columns: [
      int('staff_id'),
      text('first_name'),
      text('last_name'),
      text('department_name'),
      text('location', true, 'Department location'),
      text('email_address'),
    ],
  },
  {
    name: 'dim_location',
    kind: 'dimension',
    naturalKey: 'location_id',
    comment: 'Addresses (delivery locations); location_id = address_id',
    columns: [
      int('location_id'),
      text('address_line_1'),
      text('address_line_2', true),
      text('district', true),
      text('city'),
      text('postal_code'),
      text('country'),
      text('phone'),
    ],
  },
  {
    name: 'dim_design',
    kind: 'dimension',
    naturalKey: 'design_id',
    comment: 'Tote designs',
    columns: [int('design_id'), text('design_name'), text('file_location'), text('file_name')],
  },
  {
    name: 'dim_currency',
    kind: 'dimension',
    naturalKey: 'currency_id',
    comment: 'Currencies with their ISO 4217 names',
    columns: [
      int('currency_id'),
      text('currency_code'),
      text('currency_name', true, 'ISO 4217 name; null for a code ISO 4217 does not know'),
    ],
  },
  {
    name: 'dim_counterparty',
    kind: 'dimension',
    naturalKey: 'counterparty_id',
    comment: 'Counterparties with their legal address (counterparty ⋈ address)',
    columns: [
      int('counterparty_id'),
      text('counterparty_legal_name'),
      text('counterparty_legal_address_line_1'),
      text('counterparty_legal_address_line_2', true),
      text('counterparty_legal_district', true),
      text('counterparty_legal_city'),
      text('counterparty_legal_postal_code'),
      text('counterparty_legal_country'),
      text('counterparty_legal_phone_number'),
    ],
  },
  {
    name: 'dim_payment_type',
    kind: 'dimension',
    naturalKey: 'payment_type_id',
    comment: 'Payment types',
    columns: [int('payment_type_id'), text('payment_type_name')],
  },
  {
    name: 'dim_transaction',
    kind: 'dimension',
    naturalKey: 'transaction_id',
    comment: 'Transactions: a sale or a purchase, with the order it settles',
    columns: [
      int('transaction_id'),
      text('transaction_type'),
      int('sales_order_id', 'Null for purchases, or once the sales order was deleted', true),
      int('purchase_order_id', 'Null for sales, or once the purchase order was deleted', true),
    ],
  },
  {
    name: 'fact_sales_order',
    kind: 'fact',
    naturalKey: 'sales_order_id',
    surrogateKey: 'sales_record_id',
    sourceTable: 'sales_order',
    comment: 'Every observed version of every sales order',
    columns: [
      int('sales_order_id'),
      ...factAudit,
      dimRef('sales_staff_id', 'dim_staff', 'staff_id'),
      dimRef('counterparty_id', 'dim_counterparty', 'counterparty_id'),
      int('units_sold'),
      { name: 'unit_price', type: 'money' },
      dimRef('currency_id', 'dim_currency', 'currency_id'),
      dimRef('design_id', 'dim_design', 'design_id'),
      dateRef('agreed_payment_date'),
      dateRef('agreed_delivery_date'),
      dimRef('agreed_delivery_location_id', 'dim_location', 'location_id'),
      ...factLineage,
    ],
  },
  {
    name: 'fact_purchase_order',
    kind: 'fact',
    naturalKey: 'purchase_order_id',
    surrogateKey: 'purchase_record_id',
    sourceTable: 'purchase_order',
    comment: 'Every observed version of every purchase order',
    columns: [
      int('purchase_order_id'),
      ...factAudit,
      dimRef('staff_id', 'dim_staff', 'staff_id'),
      dimRef('counterparty_id', 'dim_counterparty', 'counterparty_id'),
      text('item_code'),
      int('item_quantity'),
      { name: 'item_unit_price', type: 'money' },
      dimRef('currency_id', 'dim_currency', 'currency_id'),
      dateRef('agreed_delivery_date'),
      dateRef('agreed_payment_date'),
      dimRef('agreed_delivery_location_id', 'dim_location', 'location_id'),
      ...factLineage,
    ],
  },
  {
    name: 'fact_payment',
    kind: 'fact',
    naturalKey: 'payment_id',
    surrogateKey: 'payment_record_id',
    sourceTable: 'payment',
    comment: 'Every observed version of every payment',
    columns: [
      int('payment_id'),
      ...factAudit,
      dimRef('transaction_id', 'dim_transaction', 'transaction_id'),
      dimRef('counterparty_id', 'dim_counterparty', 'counterparty_id'),
      { name: 'payment_amount', type: 'money' },
      dimRef('currency_id', 'dim_currency', 'currency_id'),
      dimRef('payment_type_id', 'dim_payment_type', 'payment_type_id'),
      { name: 'paid', type: 'boolean' },
      dateRef('payment_date'),
      ...factLineage,
    ],
  },
];
