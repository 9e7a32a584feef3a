-- Question: What do we spend on purchases, by supplier and item, per currency?
-- Parameters: none
-- Answer: one row per supplier (counterparty), item code and currency, largest spend first:
--   counterparty_id INTEGER, supplier_name VARCHAR, item_code VARCHAR, currency_code VARCHAR,
--   purchase_orders BIGINT, item_quantity BIGINT,
--   spend DECIMAL(18,2) (sum of item_quantity * item_unit_price, in that currency).
-- Counts the current state: the latest version of every purchase order that is not deleted.
WITH versions AS (
  SELECT
    f.purchase_order_id,
    f.counterparty_id,
    f.item_code,
    f.item_quantity,
    f.item_unit_price,
    f.currency_id,
    f.is_deleted,
    row_number() OVER (
      PARTITION BY f.purchase_order_id
      ORDER BY f.observed_at DESC, f.last_updated_date DESC, f.last_updated_time DESC
    ) AS version_rank
  FROM fact_purchase_order f
)
SELECT
  v.counterparty_id,
  cp.counterparty_legal_name AS supplier_name,
  v.item_code,
  c.currency_code,
  count(*) AS purchase_orders,
  CAST(sum(v.item_quantity) AS BIGINT) AS item_quantity,
  CAST(sum(v.item_quantity * v.item_unit_price) AS DECIMAL(18, 2)) AS spend
FROM versions v
JOIN dim_counterparty cp ON cp.counterparty_id = v.counterparty_id
JOIN dim_currency c ON c.currency_id = v.currency_id
WHERE v.version_rank = 1 AND NOT v.is_deleted
GROUP BY v.counterparty_id, cp.counterparty_legal_name, v.item_code, c.currency_code
ORDER BY spend DESC, v.counterparty_id, v.item_code, c.currency_code
