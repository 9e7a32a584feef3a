-- The load ledger: one row per applied transform batch, inserted in the same transaction as
-- the batch's rows, so a batch is in the warehouse exactly when its ledger row is.
-- (`etl.schema_migrations` is created by the migration runner itself before it reads it.)

CREATE SCHEMA IF NOT EXISTS etl;

CREATE TABLE etl.load_log (
  batch_seq integer PRIMARY KEY CHECK (batch_seq > 0),
  batch_id text NOT NULL UNIQUE,
  loaded_at timestamptz NOT NULL DEFAULT now(),
  -- Rows written per warehouse table, e.g. {"dim_design": 2, "fact_sales_order": 150}.
  row_counts jsonb NOT NULL
);
