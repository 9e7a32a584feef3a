-- Question: What were sales value and units sold by month and currency?
-- Parameters: none
-- Answer: one row per month of the order's created date and currency, oldest month first:
--   month DATE (first day of the month), currency_code VARCHAR, orders BIGINT,
--   units_sold BIGINT, sales_value DECIMAL(18,2) (sum of sale_value, in that currency).
-- Counts the current state (fact_sales_order_current: the latest version of every sales
-- order that is not deleted). Months without sales have no row.
SELECT
  CAST(date_trunc('month', s.created_date) AS DATE) AS month,
  c.currency_code,
  count(*) AS orders,
  CAST(sum(s.units_sold) AS BIGINT) AS units_sold,
  CAST(sum(s.sale_value) AS DECIMAL(18, 2)) AS sales_value
FROM fact_sales_order_current s
JOIN dim_currency c ON c.currency_id = s.currency_id
GROUP BY CAST(date_trunc('month', s.created_date) AS DATE), c.currency_code
ORDER BY month, c.currency_code
