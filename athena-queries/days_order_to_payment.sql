-- Question: On average, how many days pass from an order being placed to its payment?
-- Parameters: none
-- Answer: one row per transaction type (SALE: sales order -> payment; PURCHASE: purchase
--   order -> payment): transaction_type VARCHAR, payments BIGINT (paid payments whose order
--   is known), avg_days DOUBLE (rounded to 0.01), min_days BIGINT, max_days BIGINT.
-- Days are date_diff('day', order created_date, payment_date). Counts the current state of
-- payments and orders (the <fact>_current views); only paid payments.
WITH order_dates AS (
  SELECT 'SALE' AS transaction_type, sales_order_id AS order_id, created_date
  FROM fact_sales_order_current
  UNION ALL
  SELECT 'PURCHASE' AS transaction_type, purchase_order_id AS order_id, created_date
  FROM fact_purchase_order_current
),
paid AS (
  SELECT
    t.transaction_type,
    date_diff('day', o.created_date, p.payment_date) AS days
  FROM fact_payment_current p
  JOIN dim_transaction t ON t.transaction_id = p.transaction_id
  JOIN order_dates o
    ON o.transaction_type = t.transaction_type
   AND o.order_id = COALESCE(t.sales_order_id, t.purchase_order_id)
  WHERE p.paid
)
SELECT
  transaction_type,
  count(*) AS payments,
  round(avg(CAST(days AS DOUBLE)), 2) AS avg_days,
  CAST(min(days) AS BIGINT) AS min_days,
  CAST(max(days) AS BIGINT) AS max_days
FROM paid
GROUP BY transaction_type
ORDER BY transaction_type
