-- Question: How old are the unpaid payments on a given day, in ageing buckets?
-- Parameters:
--   1. as_of DATE: the day to age them against, e.g. '2024-11-15' (in Athena pass the quoted
--      text; pass today's date for today's ageing).
-- Answer: one row per transaction type (SALE = owed to us, PURCHASE = owed by us), bucket and
--   currency, by type then bucket: transaction_type VARCHAR, bucket_order INTEGER (0 = not yet
--   due … 4 = oldest), ageing_bucket VARCHAR ('not yet due' for a payment_date on or after
--   as_of, '1-30 days overdue', '31-60 days overdue', '61-90 days overdue',
--   'over 90 days overdue'), currency_code VARCHAR, payments BIGINT, amount DECIMAL(18,2).
-- Counts the current state (fact_payment_current), unpaid payments only.
WITH params AS (
  SELECT CAST(? AS DATE) AS as_of
),
aged AS (
  SELECT
    p.transaction_id,
    p.currency_id,
    p.payment_amount,
    date_diff('day', p.payment_date, params.as_of) AS days_overdue
  FROM fact_payment_current p
  CROSS JOIN params
  WHERE NOT p.paid
),
bucketed AS (
  SELECT
    a.*,
    CASE
      WHEN a.days_overdue <= 0 THEN 0
      WHEN a.days_overdue <= 30 THEN 1
      WHEN a.days_overdue <= 60 THEN 2
      WHEN a.days_overdue <= 90 THEN 3
      ELSE 4
    END AS bucket_order
  FROM aged a
)
SELECT
  t.transaction_type,
  b.bucket_order,
  CASE b.bucket_order
    WHEN 0 THEN 'not yet due'
    WHEN 1 THEN '1-30 days overdue'
    WHEN 2 THEN '31-60 days overdue'
    WHEN 3 THEN '61-90 days overdue'
    ELSE 'over 90 days overdue'
  END AS ageing_bucket,
  c.currency_code,
  count(*) AS payments,
  CAST(sum(b.payment_amount) AS DECIMAL(18, 2)) AS amount
FROM bucketed b
JOIN dim_transaction t ON t.transaction_id = b.transaction_id
JOIN dim_currency c ON c.currency_id = b.currency_id
GROUP BY t.transaction_type, b.bucket_order, c.currency_code
ORDER BY t.transaction_type, b.bucket_order, c.currency_code
