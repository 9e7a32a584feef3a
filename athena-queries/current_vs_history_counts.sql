-- Question: How much history does each fact table hold next to its current state?
-- Parameters: none
-- Answer: one row per fact table: fact_table VARCHAR, history_rows BIGINT (every observed
--   version), source_ids BIGINT (distinct source rows ever seen), current_rows BIGINT (rows of
--   its <fact>_current view), deleted_ids BIGINT (source rows whose latest version is a
--   deletion), changed_ids BIGINT (source rows seen in more than one version).
--   Always source_ids = current_rows + deleted_ids.
WITH history AS (
  SELECT 'fact_sales_order' AS fact_table, sales_order_id AS id FROM fact_sales_order
  UNION ALL
  SELECT 'fact_purchase_order' AS fact_table, purchase_order_id AS id FROM fact_purchase_order
  UNION ALL
  SELECT 'fact_payment' AS fact_table, payment_id AS id FROM fact_payment
),
per_id AS (
  SELECT fact_table, id, count(*) AS versions FROM history GROUP BY fact_table, id
),
current_rows AS (
  SELECT 'fact_sales_order' AS fact_table, count(*) AS n FROM fact_sales_order_current
  UNION ALL
  SELECT 'fact_purchase_order' AS fact_table, count(*) AS n FROM fact_purchase_order_current
  UNION ALL
  SELECT 'fact_payment' AS fact_table, count(*) AS n FROM fact_payment_current
),
totals AS (
  SELECT
    fact_table,
    CAST(sum(versions) AS BIGINT) AS history_rows,
    count(*) AS source_ids,
    sum(CASE WHEN versions > 1 THEN 1 ELSE 0 END) AS changed_ids
  FROM per_id
  GROUP BY fact_table
)
SELECT
  t.fact_table,
  t.history_rows,
  t.source_ids,
  c.n AS current_rows,
  t.source_ids - c.n AS deleted_ids,
  t.changed_ids
FROM totals t
JOIN current_rows c ON c.fact_table = t.fact_table
ORDER BY t.fact_table
