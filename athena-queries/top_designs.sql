-- Question: Which ten designs sell the most units?
-- Parameters: none
-- Answer: ten rows, best seller first (ties broken by design_id):
--   sales_rank BIGINT (1 = most units), design_id INTEGER, design_name VARCHAR,
--   orders BIGINT, units_sold BIGINT.
-- Units, not value: orders are priced in three currencies, and units compare across them.
-- Counts the current state: the latest version of every sales order that is not deleted.
WITH versions AS (
  SELECT
    f.sales_order_id,
    f.design_id,
    f.units_sold,
    f.is_deleted,
    row_number() OVER (
      PARTITION BY f.sales_order_id
      ORDER BY f.observed_at DESC, f.last_updated_date DESC, f.last_updated_time DESC
    ) AS version_rank
  FROM fact_sales_order f
),
by_design AS (
  SELECT design_id, count(*) AS orders, CAST(sum(units_sold) AS BIGINT) AS units_sold
  FROM versions
  WHERE version_rank = 1 AND NOT is_deleted
  GROUP BY design_id
)
SELECT
  row_number() OVER (ORDER BY b.units_sold DESC, b.design_id) AS sales_rank,
  b.design_id,
  d.design_name,
  b.orders,
  b.units_sold
FROM by_design b
JOIN dim_design d ON d.design_id = b.design_id
ORDER BY sales_rank
LIMIT 10
