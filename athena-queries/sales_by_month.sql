-- Question: What were sales value and units sold by month and currency?
-- Parameters: none
-- Answer: one row per month of the order's created date and currency, oldest month first:
--   month DATE (first day of the month), currency_code VARCHAR, orders BIGINT,
--   units_sold BIGINT, sales_value DECIMAL(18,2) (sum of units_sold * unit_price, in that currency).
-- Counts the current state: the latest version of every sales order that is not deleted.
WITH versions AS (
  SELECT
    f.sales_order_id,
    f.created_date,
    f.units_sold,
    f.unit_price,
    f.currency_id,
    f.is_deleted,
    row_number() OVER (
      PARTITION BY f.sales_order_id
      ORDER BY f.observed_at DESC, f.last_updated_date DESC, f.last_updated_time DESC
    ) AS version_rank
  FROM fact_sales_order f
),
current_sales AS (
  SELECT * FROM versions WHERE version_rank = 1 AND NOT is_deleted
)
SELECT
  CAST(date_trunc('month', s.created_date) AS DATE) AS month,
  c.currency_code,
  count(*) AS orders,
  CAST(sum(s.units_sold) AS BIGINT) AS units_sold,
  CAST(sum(s.units_sold * s.unit_price) AS DECIMAL(18, 2)) AS sales_value
FROM current_sales s
JOIN dim_currency c ON c.currency_id = s.currency_id
GROUP BY CAST(date_trunc('month', s.created_date) AS DATE), c.currency_code
ORDER BY month, c.currency_code
