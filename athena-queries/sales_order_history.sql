-- Question: What is the full history of one sales order: every version the pipeline observed?
-- Parameters:
--   1. sales_order_id INTEGER: the order to show, e.g. 2.
-- Answer: one row per observed version, oldest first: version BIGINT (1 = first seen),
--   observed_at TIMESTAMP, is_deleted BOOLEAN, last_updated_date DATE, last_updated_time
--   VARCHAR, staff_name VARCHAR, counterparty_legal_name VARCHAR, design_id INTEGER,
--   design_name VARCHAR, units_sold INTEGER, unit_price DECIMAL(10,2), currency_code VARCHAR,
--   agreed_delivery_date DATE, agreed_payment_date DATE, delivery_city VARCHAR.
-- Versions are numbered in the order of the current views (observed_at, then last_updated,
-- then a deletion last): the last version is the one fact_sales_order_current shows, unless
-- it is a deletion. Dimension names are today's (dimensions hold the latest values).
WITH params AS (
  SELECT CAST(? AS INTEGER) AS sales_order_id
)
SELECT
  row_number() OVER (
    ORDER BY f.observed_at, f.last_updated_date, f.last_updated_time, f.is_deleted
  ) AS version,
  f.observed_at,
  f.is_deleted,
  f.last_updated_date,
  f.last_updated_time,
  s.first_name || ' ' || s.last_name AS staff_name,
  cp.counterparty_legal_name,
  f.design_id,
  d.design_name,
  f.units_sold,
  f.unit_price,
  c.currency_code,
  f.agreed_delivery_date,
  f.agreed_payment_date,
  l.city AS delivery_city
FROM fact_sales_order f
JOIN params p ON f.sales_order_id = p.sales_order_id
LEFT JOIN dim_staff s ON s.staff_id = f.sales_staff_id
LEFT JOIN dim_counterparty cp ON cp.counterparty_id = f.counterparty_id
LEFT JOIN dim_design d ON d.design_id = f.design_id
LEFT JOIN dim_currency c ON c.currency_id = f.currency_id
LEFT JOIN dim_location l ON l.location_id = f.agreed_delivery_location_id
ORDER BY version
