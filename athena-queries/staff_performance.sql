-- Question: How is each member of the sales staff performing, per currency?
-- Parameters: none
-- Answer: one row per staff member and currency they sold in, by name:
--   staff_id INTEGER, staff_name VARCHAR (first and last name), department_name VARCHAR,
--   currency_code VARCHAR, orders BIGINT, counterparties BIGINT (distinct buyers),
--   units_sold BIGINT, sales_value DECIMAL(18,2).
-- Counts the current state: the latest version of every sales order that is not deleted.
WITH versions AS (
  SELECT
    f.sales_order_id,
    f.sales_staff_id,
    f.counterparty_id,
    f.currency_id,
    f.units_sold,
    f.unit_price,
    f.is_deleted,
    row_number() OVER (
      PARTITION BY f.sales_order_id
      ORDER BY f.observed_at DESC, f.last_updated_date DESC, f.last_updated_time DESC
    ) AS version_rank
  FROM fact_sales_order f
)
SELECT
  s.staff_id,
  s.first_name || ' ' || s.last_name AS staff_name,
  s.department_name,
  c.currency_code,
  count(*) AS orders,
  count(DISTINCT v.counterparty_id) AS counterparties,
  CAST(sum(v.units_sold) AS BIGINT) AS units_sold,
  CAST(sum(v.units_sold * v.unit_price) AS DECIMAL(18, 2)) AS sales_value
FROM versions v
JOIN dim_staff s ON s.staff_id = v.sales_staff_id
JOIN dim_currency c ON c.currency_id = v.currency_id
WHERE v.version_rank = 1 AND NOT v.is_deleted
GROUP BY s.staff_id, s.first_name, s.last_name, s.department_name, c.currency_code
ORDER BY staff_name, s.staff_id, c.currency_code
