-- Question: How is each member of the sales staff performing, per currency?
-- Parameters: none
-- Answer: one row per staff member and currency they sold in, by name:
--   staff_id INTEGER, staff_name VARCHAR (first and last name), department_name VARCHAR,
--   currency_code VARCHAR, orders BIGINT, counterparties BIGINT (distinct buyers),
--   units_sold BIGINT, sales_value DECIMAL(18,2).
-- Counts the current state (fact_sales_order_current).
SELECT
  st.staff_id,
  st.first_name || ' ' || st.last_name AS staff_name,
  st.department_name,
  c.currency_code,
  count(*) AS orders,
  count(DISTINCT s.counterparty_id) AS counterparties,
  CAST(sum(s.units_sold) AS BIGINT) AS units_sold,
  CAST(sum(s.sale_value) AS DECIMAL(18, 2)) AS sales_value
FROM fact_sales_order_current s
JOIN dim_staff st ON st.staff_id = s.sales_staff_id
JOIN dim_currency c ON c.currency_id = s.currency_id
GROUP BY st.staff_id, st.first_name, st.last_name, st.department_name, c.currency_code
ORDER BY staff_name, st.staff_id, c.currency_code
