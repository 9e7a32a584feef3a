-- Question: What were last month's sales by delivery country?
-- Parameters:
--   1. as_of DATE: a day in the month after the one to report, e.g. '2024-11-15' reports
--      October 2024 (in Athena pass the quoted text; pass today's date for "last month").
-- Answer: one row per delivery country and currency, largest sales value first:
--   month DATE (first day of the reported month), delivery_country VARCHAR,
--   currency_code VARCHAR, orders BIGINT, units_sold BIGINT, sales_value DECIMAL(18,2).
-- A sale belongs to the month of its created date. Counts the current state
-- (fact_sales_order_current).
WITH params AS (
  SELECT
    CAST(CAST(date_trunc('month', CAST(? AS DATE)) AS DATE) - INTERVAL '1' MONTH AS DATE) AS month_start
),
bounds AS (
  SELECT month_start, CAST(month_start + INTERVAL '1' MONTH AS DATE) AS month_end FROM params
)
SELECT
  b.month_start AS month,
  l.country AS delivery_country,
  c.currency_code,
  count(*) AS orders,
  CAST(sum(s.units_sold) AS BIGINT) AS units_sold,
  CAST(sum(s.sale_value) AS DECIMAL(18, 2)) AS sales_value
FROM fact_sales_order_current s
CROSS JOIN bounds b
JOIN dim_location l ON l.location_id = s.agreed_delivery_location_id
JOIN dim_currency c ON c.currency_id = s.currency_id
WHERE s.created_date >= b.month_start AND s.created_date < b.month_end
GROUP BY b.month_start, l.country, c.currency_code
ORDER BY sales_value DESC, delivery_country, c.currency_code
