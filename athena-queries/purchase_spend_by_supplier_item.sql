-- Question: What do we spend on purchases, by supplier and item, per currency?
-- Parameters: none
-- Answer: one row per supplier (counterparty), item code and currency, largest spend first:
--   counterparty_id INTEGER, supplier_name VARCHAR, item_code VARCHAR, currency_code VARCHAR,
--   purchase_orders BIGINT, item_quantity BIGINT,
--   spend DECIMAL(18,2) (sum of purchase_value = item_quantity * item_unit_price, in that currency).
-- Counts the current state (fact_purchase_order_current).
SELECT
  p.counterparty_id,
  cp.counterparty_legal_name AS supplier_name,
  p.item_code,
  c.currency_code,
  count(*) AS purchase_orders,
  CAST(sum(p.item_quantity) AS BIGINT) AS item_quantity,
  CAST(sum(p.purchase_value) AS DECIMAL(18, 2)) AS spend
FROM fact_purchase_order_current p
JOIN dim_counterparty cp ON cp.counterparty_id = p.counterparty_id
JOIN dim_currency c ON c.currency_id = p.currency_id
GROUP BY p.counterparty_id, cp.counterparty_legal_name, p.item_code, c.currency_code
ORDER BY spend DESC, p.counterparty_id, p.item_code, c.currency_code
