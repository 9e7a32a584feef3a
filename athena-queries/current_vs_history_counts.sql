-- Question: How much history does each fact table hold next to its current state?
-- Parameters: none
-- Answer: one row per fact table: fact_table VARCHAR, history_rows BIGINT (every observed
--   version), source_ids BIGINT (distinct source rows ever seen), current_rows BIGINT (latest
--   version not deleted), deleted_ids BIGINT (latest version is a deletion),
--   changed_ids BIGINT (source rows seen in more than one version).
--   Always source_ids = current_rows + deleted_ids.
WITH sales AS (
  SELECT
    sales_order_id AS id,
    is_deleted,
    row_number() OVER (
      PARTITION BY sales_order_id ORDER BY observed_at DESC, last_updated_date DESC, last_updated_time DESC
    ) AS version_rank,
    count(*) OVER (PARTITION BY sales_order_id) AS versions
  FROM fact_sales_order
),
purchases AS (
  SELECT
    purchase_order_id AS id,
    is_deleted,
    row_number() OVER (
      PARTITION BY purchase_order_id ORDER BY observed_at DESC, last_updated_date DESC, last_updated_time DESC
    ) AS version_rank,
    count(*) OVER (PARTITION BY purchase_order_id) AS versions
  FROM fact_purchase_order
),
payments AS (
  SELECT
    payment_id AS id,
    is_deleted,
    row_number() OVER (
      PARTITION BY payment_id ORDER BY observed_at DESC, last_updated_date DESC, last_updated_time DESC
    ) AS version_rank,
    count(*) OVER (PARTITION BY payment_id) AS versions
  FROM fact_payment
),
all_versions AS (
  SELECT 'fact_sales_order' AS fact_table, * FROM sales
  UNION ALL
  SELECT 'fact_purchase_order' AS fact_table, * FROM purchases
  UNION ALL
  SELECT 'fact_payment' AS fact_table, * FROM payments
)
SELECT
  fact_table,
  count(*) AS history_rows,
  sum(CASE WHEN version_rank = 1 THEN 1 ELSE 0 END) AS source_ids,
  sum(CASE WHEN version_rank = 1 AND NOT is_deleted THEN 1 ELSE 0 END) AS current_rows,
  sum(CASE WHEN version_rank = 1 AND is_deleted THEN 1 ELSE 0 END) AS deleted_ids,
  sum(CASE WHEN version_rank = 1 AND versions > 1 THEN 1 ELSE 0 END) AS changed_ids
FROM all_versions
GROUP BY fact_table
ORDER BY fact_table
