-- Question: Which payments are still unpaid, and how much of that is overdue as of a given day?
-- Parameters:
--   1. as_of DATE: the day to judge against, e.g. '2024-11-15' (in Athena pass the quoted text).
-- Answer: one row per transaction type (SALE = owed to us, PURCHASE = owed by us), status and
--   currency: transaction_type VARCHAR, status VARCHAR ('overdue' when payment_date is before
--   as_of, else 'due'), currency_code VARCHAR, payments BIGINT, amount DECIMAL(18,2),
--   oldest_payment_date DATE.
-- Counts the current state (fact_payment_current). unpaid_payments_ageing splits the overdue
-- ones by age.
WITH params AS (
  SELECT CAST(? AS DATE) AS as_of
),
unpaid AS (
  SELECT
    p.*,
    CASE WHEN p.payment_date < params.as_of THEN 'overdue' ELSE 'due' END AS status
  FROM fact_payment_current p
  CROSS JOIN params
  WHERE NOT p.paid
)
SELECT
  t.transaction_type,
  u.status,
  c.currency_code,
  count(*) AS payments,
  CAST(sum(u.payment_amount) AS DECIMAL(18, 2)) AS amount,
  min(u.payment_date) AS oldest_payment_date
FROM unpaid u
JOIN dim_transaction t ON t.transaction_id = u.transaction_id
JOIN dim_currency c ON c.currency_id = u.currency_id
GROUP BY t.transaction_type, u.status, c.currency_code
ORDER BY t.transaction_type, u.status, c.currency_code
