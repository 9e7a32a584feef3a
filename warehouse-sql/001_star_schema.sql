-- Star schema of the original brief (DESIGN §5), complete: 8 dimensions and 3 facts.
-- Columns and types are exactly `warehouseTables` (lambdas/kernel/schema/warehouse.ts) mapped
-- with `warehousePgType()`; the loader's DDL check compares this file's result with the schema
-- module on every load, so edit both together (in a new migration, never this file).
--
-- Dimensions hold the latest values, keyed by their natural key. Facts are a history: one row
-- per observed version of a source row, keyed by a SERIAL surrogate key. The foreign keys from
-- facts to dimensions hold inside one load transaction because the loader upserts a batch's
-- dimensions before it appends its facts, and dimension rows are never deleted.

CREATE TABLE dim_date (
  date_id date PRIMARY KEY,
  year integer NOT NULL,
  month integer NOT NULL,
  day integer NOT NULL,
  day_of_week integer NOT NULL,
  day_name text NOT NULL,
  month_name text NOT NULL,
  quarter integer NOT NULL
);

CREATE TABLE dim_staff (
  staff_id integer PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  department_name text NOT NULL,
  location text,
  email_address text NOT NULL
);

CREATE TABLE dim_location (
  location_id integer PRIMARY KEY,
  address_line_1 text NOT NULL,
  address_line_2 text,
  district text,
  city text NOT NULL,
  postal_code text NOT NULL,
  country text NOT NULL,
  phone text NOT NULL
);

CREATE TABLE dim_design (
  design_id integer PRIMARY KEY,
  design_name text NOT NULL,
  file_location text NOT NULL,
  file_name text NOT NULL
);

CREATE TABLE dim_currency (
  currency_id integer PRIMARY KEY,
  currency_code text NOT NULL,
  currency_name text
);

CREATE TABLE dim_counterparty (
  counterparty_id integer PRIMARY KEY,
  counterparty_legal_name text NOT NULL,
  counterparty_legal_address_line_1 text NOT NULL,
  counterparty_legal_address_line_2 text,
  counterparty_legal_district text,
  counterparty_legal_city text NOT NULL,
  counterparty_legal_postal_code text NOT NULL,
  counterparty_legal_country text NOT NULL,
  counterparty_legal_phone_number text NOT NULL
);

CREATE TABLE dim_payment_type (
  payment_type_id integer PRIMARY KEY,
  payment_type_name text NOT NULL
);

CREATE TABLE dim_transaction (
  transaction_id integer PRIMARY KEY,
  transaction_type text NOT NULL,
  sales_order_id integer,
  purchase_order_id integer
);

CREATE TABLE fact_sales_order (
  sales_record_id serial PRIMARY KEY,
  sales_order_id integer NOT NULL,
  created_date date NOT NULL REFERENCES dim_date (date_id),
  created_time time(3) NOT NULL,
  last_updated_date date NOT NULL REFERENCES dim_date (date_id),
  last_updated_time time(3) NOT NULL,
  sales_staff_id integer NOT NULL REFERENCES dim_staff (staff_id),
  counterparty_id integer NOT NULL REFERENCES dim_counterparty (counterparty_id),
  units_sold integer NOT NULL,
  unit_price numeric(10,2) NOT NULL,
  currency_id integer NOT NULL REFERENCES dim_currency (currency_id),
  design_id integer NOT NULL REFERENCES dim_design (design_id),
  agreed_payment_date date NOT NULL REFERENCES dim_date (date_id),
  agreed_delivery_date date NOT NULL REFERENCES dim_date (date_id),
  agreed_delivery_location_id integer NOT NULL REFERENCES dim_location (location_id),
  observed_at timestamp(3) NOT NULL,
  is_deleted boolean NOT NULL
);

CREATE TABLE fact_purchase_order (
  purchase_record_id serial PRIMARY KEY,
  purchase_order_id integer NOT NULL,
  created_date date NOT NULL REFERENCES dim_date (date_id),
  created_time time(3) NOT NULL,
  last_updated_date date NOT NULL REFERENCES dim_date (date_id),
  last_updated_time time(3) NOT NULL,
  staff_id integer NOT NULL REFERENCES dim_staff (staff_id),
  counterparty_id integer NOT NULL REFERENCES dim_counterparty (counterparty_id),
  item_code text NOT NULL,
  item_quantity integer NOT NULL,
  item_unit_price numeric(10,2) NOT NULL,
  currency_id integer NOT NULL REFERENCES dim_currency (currency_id),
  agreed_delivery_date date NOT NULL REFERENCES dim_date (date_id),
  agreed_payment_date date NOT NULL REFERENCES dim_date (date_id),
  agreed_delivery_location_id integer NOT NULL REFERENCES dim_location (location_id),
  observed_at timestamp(3) NOT NULL,
  is_deleted boolean NOT NULL
);

CREATE TABLE fact_payment (
  payment_record_id serial PRIMARY KEY,
  payment_id integer NOT NULL,
  created_date date NOT NULL REFERENCES dim_date (date_id),
  created_time time(3) NOT NULL,
  last_updated_date date NOT NULL REFERENCES dim_date (date_id),
  last_updated_time time(3) NOT NULL,
  transaction_id integer NOT NULL REFERENCES dim_transaction (transaction_id),
  counterparty_id integer NOT NULL REFERENCES dim_counterparty (counterparty_id),
  payment_amount numeric(10,2) NOT NULL,
  currency_id integer NOT NULL REFERENCES dim_currency (currency_id),
  payment_type_id integer NOT NULL REFERENCES dim_payment_type (payment_type_id),
  paid boolean NOT NULL,
  payment_date date NOT NULL REFERENCES dim_date (date_id),
  observed_at timestamp(3) NOT NULL,
  is_deleted boolean NOT NULL
);

-- The current-state views pick the latest version per source id; these indexes serve them.
CREATE INDEX fact_sales_order_version_idx ON fact_sales_order (sales_order_id, observed_at DESC, sales_record_id DESC);
CREATE INDEX fact_purchase_order_version_idx ON fact_purchase_order (purchase_order_id, observed_at DESC, purchase_record_id DESC);
CREATE INDEX fact_payment_version_idx ON fact_payment (payment_id, observed_at DESC, payment_record_id DESC);
