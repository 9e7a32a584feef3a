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

/**
 * What the warehouse records of its own loading: the batch of every fact version, so the load
 * can prove which batches it holds even when its ledger (`etl.load_log`) was lost or edited.
 */
const factLoadLineage: readonly ColumnDef[] = [
  {
    name: 'batch_seq',
    type: 'int',
    nullable: true,
    comment:
      'Transform batch (etl.load_log.batch_seq) that loaded this version; null only for versions loaded before batches were recorded on facts',
  },
];

const dimRef = (name: string, dim: string, key: string, comment: string): ColumnDef => ({
  name,
  type: 'int',
  references: { table: dim, column: key },
  comment: `${comment} (${dim})`,
});

/** What a fact's SERIAL surrogate key means (it is not one of `columns`). */
export const SURROGATE_KEY_COMMENT =
  'Warehouse key of this version, numbered in load order; facts are joined and filtered by their source id';

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
      { name: 'date_id', type: 'date', comment: 'The calendar date' },
      int('year', 'Calendar year'),
      int('month', 'Month number: 1 = January … 12 = December'),
      int('day', 'Day of the month'),
      int('day_of_week', 'ISO day of week: 1 = Monday … 7 = Sunday'),
      text('day_name', false, 'Day name in English, e.g. Monday'),
      text('month_name', false, 'Month name in English, e.g. January'),
      int('quarter', 'Calendar quarter: 1 … 4'),
    ],
  },
  {
    name: 'dim_staff',
    kind: 'dimension',
    naturalKey: 'staff_id',
    comment: 'Staff with their department (staff ⋈ department)',
    columns: [
      int('staff_id', 'totesys staff_id'),
      text('first_name', false, 'First name'),
      text('last_name', false, 'Last name'),
      text('department_name', false, "Name of the staff member's department"),
      text('location', true, 'Department location'),
      text('email_address', false, 'Work e-mail address'),
    ],
  },
  {
    name: 'dim_location',
    kind: 'dimension',
    naturalKey: 'location_id',
    comment: 'Addresses (delivery locations); location_id = address_id',
    columns: [
      int('location_id', 'totesys address_id of the address'),
      text('address_line_1', false, 'First line of the address'),
      text('address_line_2', true, 'Second line of the address, if any'),
      text('district', true, 'District, if any'),
      text('city', false, 'City'),
      text('postal_code', false, 'Postal code'),
      text('country', false, 'Country'),
      text('phone', false, 'Phone number at the address'),
    ],
  },
  {
    name: 'dim_design',
    kind: 'dimension',
    naturalKey: 'design_id',
    comment: 'Tote designs',
    columns: [
      int('design_id', 'totesys design_id'),
      text('design_name', false, 'Design name; names repeat, so tell designs apart by design_id'),
      text('file_location', false, "Folder of the design's file"),
      text('file_name', false, "File name of the design's file"),
    ],
  },
  {
    name: 'dim_currency',
    kind: 'dimension',
    naturalKey: 'currency_id',
    comment: 'Currencies with their ISO 4217 names',
    columns: [
      int('currency_id', 'totesys currency_id'),
      text('currency_code', false, 'ISO 4217 code, e.g. GBP'),
      text('currency_name', true, 'English name of the currency; null for a code that is not ISO 4217'),
    ],
  },
  {
    name: 'dim_counterparty',
    kind: 'dimension',
    naturalKey: 'counterparty_id',
    comment: 'Counterparties with their legal address (counterparty ⋈ address)',
    columns: [
      int('counterparty_id', 'totesys counterparty_id'),
      text('counterparty_legal_name', false, 'Legal name of the counterparty'),
      text('counterparty_legal_address_line_1', false, 'First line of the legal address'),
      text('counterparty_legal_address_line_2', true, 'Second line of the legal address, if any'),
      text('counterparty_legal_district', true, 'District of the legal address, if any'),
      text('counterparty_legal_city', false, 'City of the legal address'),
      text('counterparty_legal_postal_code', false, 'Postal code of the legal address'),
      text('counterparty_legal_country', false, 'Country of the legal address'),
      text('counterparty_legal_phone_number', false, 'Phone number of the legal address'),
    ],
  },
  {
    name: 'dim_payment_type',
    kind: 'dimension',
    naturalKey: 'payment_type_id',
    comment: 'Payment types',
    columns: [
      int('payment_type_id', 'totesys payment_type_id'),
      text('payment_type_name', false, 'e.g. SALES_RECEIPT, PURCHASE_PAYMENT'),
    ],
  },
  {
    name: 'dim_transaction',
    kind: 'dimension',
    naturalKey: 'transaction_id',
    comment: 'Transactions: a sale or a purchase, with the order it settles',
    columns: [
      int('transaction_id', 'totesys transaction_id'),
      text('transaction_type', false, 'SALE or PURCHASE'),
      int('sales_order_id', 'Null for purchases, or once the sales order was deleted', true),
      int('purchase_order_id', 'Null for sales, or once the purchase order was deleted', true),
    ],
  },
  {
    name: 'fact_sales_order',
    kind: 'fact',
    naturalKey: 'sales_order_id',
    surrogateKey: 'sales_record_id',
    loadColumns: factLoadLineage,
    sourceTable: 'sales_order',
    comment: 'Every observed version of every sales order',
    columns: [
      int('sales_order_id', 'totesys sales_order_id: the order this is a version of'),
      ...factAudit,
      dimRef('sales_staff_id', 'dim_staff', 'staff_id', 'Member of the sales staff who made the sale'),
      dimRef('counterparty_id', 'dim_counterparty', 'counterparty_id', 'The buyer'),
      int('units_sold', 'Number of totes sold'),
      { name: 'unit_price', type: 'money', comment: 'Price of one tote, in the currency of currency_id' },
      dimRef('currency_id', 'dim_currency', 'currency_id', 'Currency of unit_price'),
      dimRef('design_id', 'dim_design', 'design_id', 'Design sold'),
      dateRef('agreed_payment_date', 'Date the buyer agreed to pay by'),
      dateRef('agreed_delivery_date', 'Date delivery was agreed for'),
      dimRef('agreed_delivery_location_id', 'dim_location', 'location_id', 'Where the order is delivered'),
      ...factLineage,
    ],
  },
  {
    name: 'fact_purchase_order',
    kind: 'fact',
    naturalKey: 'purchase_order_id',
    surrogateKey: 'purchase_record_id',
    loadColumns: factLoadLineage,
    sourceTable: 'purchase_order',
    comment: 'Every observed version of every purchase order',
    columns: [
      int('purchase_order_id', 'totesys purchase_order_id: the order this is a version of'),
      ...factAudit,
      dimRef('staff_id', 'dim_staff', 'staff_id', 'Member of staff who placed the order'),
      dimRef('counterparty_id', 'dim_counterparty', 'counterparty_id', 'The supplier'),
      text('item_code', false, "Supplier's code of the item bought"),
      int('item_quantity', 'Number of items bought'),
      {
        name: 'item_unit_price',
        type: 'money',
        comment: 'Price of one item, in the currency of currency_id',
      },
      dimRef('currency_id', 'dim_currency', 'currency_id', 'Currency of item_unit_price'),
      dateRef('agreed_delivery_date', 'Date delivery was agreed for'),
      dateRef('agreed_payment_date', 'Date we agreed to pay by'),
      dimRef('agreed_delivery_location_id', 'dim_location', 'location_id', 'Where the order is delivered'),
      ...factLineage,
    ],
  },
  {
    name: 'fact_payment',
    kind: 'fact',
    naturalKey: 'payment_id',
    surrogateKey: 'payment_record_id',
    loadColumns: factLoadLineage,
    sourceTable: 'payment',
    comment: 'Every observed version of every payment',
    columns: [
      int('payment_id', 'totesys payment_id: the payment this is a version of'),
      ...factAudit,
      dimRef(
        'transaction_id',
        'dim_transaction',
        'transaction_id',
        'The sale or purchase this payment settles',
      ),
      dimRef('counterparty_id', 'dim_counterparty', 'counterparty_id', 'Who pays us or whom we pay'),
      { name: 'payment_amount', type: 'money', comment: 'Amount, in the currency of currency_id' },
      dimRef('currency_id', 'dim_currency', 'currency_id', 'Currency of payment_amount'),
      dimRef('payment_type_id', 'dim_payment_type', 'payment_type_id', 'Kind of payment'),
      { name: 'paid', type: 'boolean', comment: 'True once the payment has been made' },
      dateRef('payment_date', 'Date the payment is or was due'),
      ...factLineage,
    ],
  },
];
