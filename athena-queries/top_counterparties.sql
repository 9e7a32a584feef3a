-- Question: Which counterparties buy the most from us, in each currency?
-- Parameters: none
-- Answer: up to five rows per currency, biggest buyer first:
--   currency_code VARCHAR, sales_rank BIGINT (1 = highest sales value in that currency),
--   counterparty_id INTEGER, counterparty_legal_name VARCHAR, orders BIGINT,
--   units_sold BIGINT, sales_value DECIMAL(18,2).
-- Counts the current state (fact_sales_order_current).
WITH by_counterparty AS (
  SELECT
    s.counterparty_id,
    s.currency_id,
    count(*) AS orders,
    CAST(sum(s.units_sold) AS BIGINT) AS units_sold,
    CAST(sum(s.sale_value) AS DECIMAL(18, 2)) AS sales_value
  FROM fact_sales_order_current s
  GROUP BY s.counterparty_id, s.currency_id
),
ranked AS (
  SELECT
    b.*,
    row_number() OVER (PARTITION BY b.currency_id ORDER BY b.sales_value DESC, b.counterparty_id) AS sales_rank
  FROM by_counterparty b
)
SELECT
  c.currency_code,
  r.sales_rank,
  r.counterparty_id,
  cp.counterparty_legal_name,
  r.orders,
  r.units_sold,
  r.sales_value
FROM ranked r
JOIN dim_currency c ON c.currency_id = r.currency_id
JOIN dim_counterparty cp ON cp.counterparty_id = r.counterparty_id
WHERE r.sales_rank <= 5
ORDER BY c.currency_code, r.sales_rank
