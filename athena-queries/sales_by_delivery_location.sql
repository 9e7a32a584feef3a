-- Question: Where do our sales go: sales by delivery country and city, per currency?
-- Parameters: none
-- Answer: one row per delivery country, city and currency, largest sales value first:
--   delivery_country VARCHAR, delivery_city VARCHAR, currency_code VARCHAR, orders BIGINT,
--   units_sold BIGINT, sales_value DECIMAL(18,2).
-- Counts the current state: the latest version of every sales order that is not deleted.
WITH versions AS (
  SELECT
    f.sales_order_id,
    f.agreed_delivery_location_id,
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
  l.country AS delivery_country,
  l.city AS delivery_city,
  c.currency_code,
  count(*) AS orders,
  CAST(sum(v.units_sold) AS BIGINT) AS units_sold,
  CAST(sum(v.units_sold * v.unit_price) AS DECIMAL(18, 2)) AS sales_value
FROM versions v
JOIN dim_location l ON l.location_id = v.agreed_delivery_location_id
JOIN dim_currency c ON c.currency_id = v.currency_id
WHERE v.version_rank = 1 AND NOT v.is_deleted
GROUP BY l.country, l.city, c.currency_code
ORDER BY sales_value DESC, delivery_country, delivery_city, c.currency_code
