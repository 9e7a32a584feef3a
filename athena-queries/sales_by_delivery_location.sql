-- Question: Where do our sales go: sales by delivery country and city, per currency?
-- Parameters: none
-- Answer: one row per delivery country, city and currency, largest sales value first:
--   delivery_country VARCHAR, delivery_city VARCHAR, currency_code VARCHAR, orders BIGINT,
--   units_sold BIGINT, sales_value DECIMAL(18,2).
-- Counts the current state (fact_sales_order_current).
SELECT
  l.country AS delivery_country,
  l.city AS delivery_city,
  c.currency_code,
  count(*) AS orders,
  CAST(sum(s.units_sold) AS BIGINT) AS units_sold,
  CAST(sum(s.sale_value) AS DECIMAL(18, 2)) AS sales_value
FROM fact_sales_order_current s
JOIN dim_location l ON l.location_id = s.agreed_delivery_location_id
JOIN dim_currency c ON c.currency_id = s.currency_id
GROUP BY l.country, l.city, c.currency_code
ORDER BY sales_value DESC, delivery_country, delivery_city, c.currency_code
