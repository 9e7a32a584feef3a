-- Question: What were last month's sales by delivery country?
-- Parameters:
--   1. as_of DATE: a day in the month after the one to report, e.g. '2024-11-15' reports
--      October 2024 (in Athena pass the quoted text; pass today's date for "last month").
-- Answer: one row per delivery country and currency, largest sales value first:
--   month DATE (first day of the reported month), delivery_country VARCHAR,
--   currency_code VARCHAR, orders BIGINT, units_sold BIGINT, sales_value DECIMAL(18,2).
-- A sale belongs to the month of its created date. The dt filter prunes partitions (dt is the
-- created date, so every version of an order is in its partition). Counts the current state.
WITH params AS (
  SELECT
    CAST(CAST(date_trunc('month', CAST(? AS DATE)) AS DATE) - INTERVAL '1' MONTH AS DATE) AS month_start
),
bounds AS (
  SELECT month_start, CAST(month_start + INTERVAL '1' MONTH AS DATE) AS month_end FROM params
),
versions AS (
  SELECT
    f.sales_order_id,
    f.agreed_delivery_location_id,
    f.currency_id,
    f.units_sold,
    f.unit_price,
    f.is_deleted,
    b.month_start,
    row_number() OVER (
      PARTITION BY f.sales_order_id
      ORDER BY f.observed_at DESC, f.last_updated_date DESC, f.last_updated_time DESC
    ) AS version_rank
  FROM fact_sales_order f
  CROSS JOIN bounds b
  WHERE f.dt >= b.month_start AND f.dt < b.month_end
)
SELECT
  v.month_start AS month,
  l.country AS delivery_country,
  c.currency_code,
  count(*) AS orders,
  CAST(sum(v.units_sold) AS BIGINT) AS units_sold,
  CAST(sum(v.units_sold * v.unit_price) AS DECIMAL(18, 2)) AS sales_value
FROM versions v
JOIN dim_location l ON l.location_id = v.agreed_delivery_location_id
JOIN dim_currency c ON c.currency_id = v.currency_id
WHERE v.version_rank = 1 AND NOT v.is_deleted
GROUP BY v.month_start, l.country, c.currency_code
ORDER BY sales_value DESC, delivery_country, c.currency_code
