-- Question: Which ten designs sell the most, by sales value in each currency?
-- Parameters: none
-- Answer: up to ten rows per currency, best seller first (ties broken by design_id):
--   currency_code VARCHAR, sales_rank BIGINT (1 = highest sales value in that currency),
--   design_id INTEGER, design_name VARCHAR, orders BIGINT, units_sold BIGINT,
--   sales_value DECIMAL(18,2).
-- Orders are priced in several currencies and values never add up across them, so designs are
-- ranked per currency. Design names repeat (many designs share a name): tell them apart by id.
-- Counts the current state (fact_sales_order_current).
WITH by_design AS (
  SELECT
    s.currency_id,
    s.design_id,
    count(*) AS orders,
    CAST(sum(s.units_sold) AS BIGINT) AS units_sold,
    CAST(sum(s.sale_value) AS DECIMAL(18, 2)) AS sales_value
  FROM fact_sales_order_current s
  GROUP BY s.currency_id, s.design_id
),
ranked AS (
  SELECT
    b.*,
    row_number() OVER (PARTITION BY b.currency_id ORDER BY b.sales_value DESC, b.design_id) AS sales_rank
  FROM by_design b
)
SELECT
  c.currency_code,
  r.sales_rank,
  r.design_id,
  d.design_name,
  r.orders,
  r.units_sold,
  r.sales_value
FROM ranked r
JOIN dim_currency c ON c.currency_id = r.currency_id
JOIN dim_design d ON d.design_id = r.design_id
WHERE r.sales_rank <= 10
ORDER BY c.currency_code, r.sales_rank
