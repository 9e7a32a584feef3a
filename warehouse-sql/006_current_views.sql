-- One current-state rule on every surface. Each fact gets `<fact>_current`: the latest version
-- of every source row that is not deleted, with the fact's columns (without is_deleted) and its
-- money measure, under the same name and with the same columns as the Athena views of the Glue
-- catalog and the local lake's DuckDB views. The three CREATE VIEW statements are the output of
-- lambdas/kernel/catalog/current-views.ts (test/unit/analytics/current-views.test.ts checks it):
-- newest observed_at first; on a tie the source's last_updated of the version, then a deletion.
--
-- Everything QuickSight and `totes report` read from 003 and 004 is rebuilt on these views, so
-- no view picks versions by itself any more (the surrogate key used to break ties here, which
-- the lake does not have). v_sales_current and friends keep their names and columns, except the
-- surrogate keys; v_design_sales now ranks designs by sales value per currency.

CREATE OR REPLACE VIEW "fact_sales_order_current" AS
SELECT
  "sales_order_id",
  "created_date",
  "created_time",
  "last_updated_date",
  "last_updated_time",
  "sales_staff_id",
  "counterparty_id",
  "units_sold",
  "unit_price",
  "currency_id",
  "design_id",
  "agreed_payment_date",
  "agreed_delivery_date",
  "agreed_delivery_location_id",
  "observed_at",
  CAST("units_sold" * "unit_price" AS DECIMAL(18, 2)) AS "sale_value"
FROM (
  SELECT
    *,
    row_number() OVER (PARTITION BY "sales_order_id" ORDER BY "observed_at" DESC, "last_updated_date" DESC, "last_updated_time" DESC, "is_deleted" DESC) AS "version_rank"
  FROM "fact_sales_order"
) AS versions
WHERE "version_rank" = 1 AND NOT "is_deleted";

CREATE OR REPLACE VIEW "fact_purchase_order_current" AS
SELECT
  "purchase_order_id",
  "created_date",
  "created_time",
  "last_updated_date",
  "last_updated_time",
  "staff_id",
  "counterparty_id",
  "item_code",
  "item_quantity",
  "item_unit_price",
  "currency_id",
  "agreed_delivery_date",
  "agreed_payment_date",
  "agreed_delivery_location_id",
  "observed_at",
  CAST("item_quantity" * "item_unit_price" AS DECIMAL(18, 2)) AS "purchase_value"
FROM (
  SELECT
    *,
    row_number() OVER (PARTITION BY "purchase_order_id" ORDER BY "observed_at" DESC, "last_updated_date" DESC, "last_updated_time" DESC, "is_deleted" DESC) AS "version_rank"
  FROM "fact_purchase_order"
) AS versions
WHERE "version_rank" = 1 AND NOT "is_deleted";

CREATE OR REPLACE VIEW "fact_payment_current" AS
SELECT
  "payment_id",
  "created_date",
  "created_time",
  "last_updated_date",
  "last_updated_time",
  "transaction_id",
  "counterparty_id",
  "payment_amount",
  "currency_id",
  "payment_type_id",
  "paid",
  "payment_date",
  "observed_at"
FROM (
  SELECT
    *,
    row_number() OVER (PARTITION BY "payment_id" ORDER BY "observed_at" DESC, "last_updated_date" DESC, "last_updated_time" DESC, "is_deleted" DESC) AS "version_rank"
  FROM "fact_payment"
) AS versions
WHERE "version_rank" = 1 AND NOT "is_deleted";
-- The index the current views read in version order (replaces the surrogate-key order of 001).
DROP INDEX fact_sales_order_version_idx;
DROP INDEX fact_purchase_order_version_idx;
DROP INDEX fact_payment_version_idx;
CREATE INDEX fact_sales_order_version_idx ON fact_sales_order
  (sales_order_id, observed_at DESC, last_updated_date DESC, last_updated_time DESC, is_deleted DESC);
CREATE INDEX fact_purchase_order_version_idx ON fact_purchase_order
  (purchase_order_id, observed_at DESC, last_updated_date DESC, last_updated_time DESC, is_deleted DESC);
CREATE INDEX fact_payment_version_idx ON fact_payment
  (payment_id, observed_at DESC, last_updated_date DESC, last_updated_time DESC, is_deleted DESC);

-- The views and functions of 003 and 004, superseded below.
DROP FUNCTION payments_due_and_overdue(date) CASCADE;
DROP FUNCTION last_month_sales_by_country(date) CASCADE;
DROP VIEW v_sales_current, v_purchases_current, v_payments_current, v_sales_order_history,
  v_fact_version_counts CASCADE;

-- QuickSight star datasets: the current views with the names of their dimensions.
CREATE VIEW v_sales_current AS
SELECT
  f.sales_order_id,
  f.created_date,
  f.created_time,
  f.last_updated_date,
  f.last_updated_time,
  f.sales_staff_id,
  s.first_name || ' ' || s.last_name AS sales_staff_name,
  s.department_name,
  f.counterparty_id,
  cp.counterparty_legal_name,
  f.units_sold,
  f.unit_price,
  f.sale_value,
  f.currency_id,
  cu.currency_code,
  f.design_id,
  d.design_name,
  f.agreed_payment_date,
  f.agreed_delivery_date,
  f.agreed_delivery_location_id,
  l.city AS delivery_city,
  l.country AS delivery_country,
  f.observed_at
FROM fact_sales_order_current f
JOIN dim_staff s ON s.staff_id = f.sales_staff_id
JOIN dim_counterparty cp ON cp.counterparty_id = f.counterparty_id
JOIN dim_currency cu ON cu.currency_id = f.currency_id
JOIN dim_design d ON d.design_id = f.design_id
JOIN dim_location l ON l.location_id = f.agreed_delivery_location_id;

CREATE VIEW v_purchases_current AS
SELECT
  f.purchase_order_id,
  f.created_date,
  f.created_time,
  f.last_updated_date,
  f.last_updated_time,
  f.staff_id,
  s.first_name || ' ' || s.last_name AS staff_name,
  s.department_name,
  f.counterparty_id,
  cp.counterparty_legal_name,
  f.item_code,
  f.item_quantity,
  f.item_unit_price,
  f.purchase_value,
  f.currency_id,
  cu.currency_code,
  f.agreed_delivery_date,
  f.agreed_payment_date,
  f.agreed_delivery_location_id,
  l.city AS delivery_city,
  l.country AS delivery_country,
  f.observed_at
FROM fact_purchase_order_current f
JOIN dim_staff s ON s.staff_id = f.staff_id
JOIN dim_counterparty cp ON cp.counterparty_id = f.counterparty_id
JOIN dim_currency cu ON cu.currency_id = f.currency_id
JOIN dim_location l ON l.location_id = f.agreed_delivery_location_id;

CREATE VIEW v_payments_current AS
SELECT
  f.payment_id,
  f.created_date,
  f.created_time,
  f.last_updated_date,
  f.last_updated_time,
  f.transaction_id,
  t.transaction_type,
  f.counterparty_id,
  cp.counterparty_legal_name,
  f.payment_amount,
  f.currency_id,
  cu.currency_code,
  f.payment_type_id,
  pt.payment_type_name,
  f.paid,
  f.payment_date,
  f.observed_at
FROM fact_payment_current f
JOIN dim_transaction t ON t.transaction_id = f.transaction_id
JOIN dim_counterparty cp ON cp.counterparty_id = f.counterparty_id
JOIN dim_currency cu ON cu.currency_id = f.currency_id
JOIN dim_payment_type pt ON pt.payment_type_id = f.payment_type_id;

-- The business questions, one for one with athena-queries/ (test/integration/analytics checks
-- both surfaces give the same answers). Money is summed per currency, never across currencies.

-- athena-queries/sales_by_month.sql
CREATE VIEW v_sales_by_month AS
SELECT
  date_trunc('month', created_date)::date AS month,
  currency_code,
  count(*) AS orders,
  sum(units_sold)::bigint AS units_sold,
  sum(sale_value)::numeric(18,2) AS sales_value
FROM v_sales_current
GROUP BY 1, currency_code;

-- athena-queries/top_designs.sql (every design, ranked by sales value per currency; the query
-- keeps ten per currency). Design names repeat, so the id is part of every answer.
CREATE VIEW v_design_sales AS
WITH by_design AS (
  SELECT
    currency_code,
    design_id,
    design_name,
    count(*) AS orders,
    sum(units_sold)::bigint AS units_sold,
    sum(sale_value)::numeric(18,2) AS sales_value
  FROM v_sales_current
  GROUP BY currency_code, design_id, design_name
)
SELECT
  currency_code,
  row_number() OVER (PARTITION BY currency_code ORDER BY sales_value DESC, design_id) AS sales_rank,
  design_id,
  design_name,
  orders,
  units_sold,
  sales_value
FROM by_design;

-- athena-queries/top_counterparties.sql (every counterparty, ranked per currency; the query keeps five)
CREATE VIEW v_counterparty_sales AS
WITH by_counterparty AS (
  SELECT
    counterparty_id,
    counterparty_legal_name,
    currency_code,
    count(*) AS orders,
    sum(units_sold)::bigint AS units_sold,
    sum(sale_value)::numeric(18,2) AS sales_value
  FROM v_sales_current
  GROUP BY counterparty_id, counterparty_legal_name, currency_code
)
SELECT
  currency_code,
  row_number() OVER (PARTITION BY currency_code ORDER BY sales_value DESC, counterparty_id) AS sales_rank,
  counterparty_id,
  counterparty_legal_name,
  orders,
  units_sold,
  sales_value
FROM by_counterparty;

-- athena-queries/sales_by_delivery_location.sql
CREATE VIEW v_sales_by_delivery_location AS
SELECT
  delivery_country,
  delivery_city,
  currency_code,
  count(*) AS orders,
  sum(units_sold)::bigint AS units_sold,
  sum(sale_value)::numeric(18,2) AS sales_value
FROM v_sales_current
GROUP BY delivery_country, delivery_city, currency_code;

-- athena-queries/staff_performance.sql
CREATE VIEW v_staff_performance AS
SELECT
  sales_staff_id AS staff_id,
  sales_staff_name AS staff_name,
  department_name,
  currency_code,
  count(*) AS orders,
  count(DISTINCT counterparty_id) AS counterparties,
  sum(units_sold)::bigint AS units_sold,
  sum(sale_value)::numeric(18,2) AS sales_value
FROM v_sales_current
GROUP BY sales_staff_id, sales_staff_name, department_name, currency_code;

-- athena-queries/purchase_spend_by_supplier_item.sql
CREATE VIEW v_purchase_spend_by_supplier_item AS
SELECT
  counterparty_id,
  counterparty_legal_name AS supplier_name,
  item_code,
  currency_code,
  count(*) AS purchase_orders,
  sum(item_quantity)::bigint AS item_quantity,
  sum(purchase_value)::numeric(18,2) AS spend
FROM v_purchases_current
GROUP BY counterparty_id, counterparty_legal_name, item_code, currency_code;

-- athena-queries/payments_due_and_overdue.sql: unpaid payments as of a day ('overdue' when
-- payment_date is before it, else 'due'). SALE payments are owed to us, PURCHASE ones by us.
CREATE FUNCTION payments_due_and_overdue(as_of date)
RETURNS TABLE (
  transaction_type text,
  status text,
  currency_code text,
  payments bigint,
  amount numeric(18,2),
  oldest_payment_date date
)
LANGUAGE sql STABLE
AS $$
  SELECT
    p.transaction_type,
    CASE WHEN p.payment_date < as_of THEN 'overdue' ELSE 'due' END,
    p.currency_code,
    count(*),
    sum(p.payment_amount)::numeric(18,2),
    min(p.payment_date)
  FROM v_payments_current p
  WHERE NOT p.paid
  GROUP BY 1, 2, 3
$$;

CREATE VIEW v_payments_due_and_overdue AS
SELECT current_date AS as_of, * FROM payments_due_and_overdue(current_date);

-- athena-queries/unpaid_payments_ageing.sql: unpaid payments by how many days past their
-- payment date they are on as_of: 'not yet due' (due on or after as_of), then 1-30, 31-60,
-- 61-90 and over 90 days overdue; bucket_order sorts the buckets.
CREATE FUNCTION unpaid_payments_ageing(as_of date)
RETURNS TABLE (
  transaction_type text,
  bucket_order integer,
  ageing_bucket text,
  currency_code text,
  payments bigint,
  amount numeric(18,2)
)
LANGUAGE sql STABLE
AS $$
  WITH aged AS (
    SELECT p.*, as_of - p.payment_date AS days_overdue
    FROM v_payments_current p
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
    b.transaction_type,
    b.bucket_order,
    (ARRAY['not yet due', '1-30 days overdue', '31-60 days overdue', '61-90 days overdue', 'over 90 days overdue'])[b.bucket_order + 1],
    b.currency_code,
    count(*),
    sum(b.payment_amount)::numeric(18,2)
  FROM bucketed b
  GROUP BY b.transaction_type, b.bucket_order, b.currency_code
$$;

CREATE VIEW v_unpaid_payments_ageing AS
SELECT current_date AS as_of, * FROM unpaid_payments_ageing(current_date);

-- athena-queries/days_order_to_payment.sql: paid payments, days from the order's created date.
CREATE VIEW v_days_order_to_payment AS
WITH order_dates AS (
  SELECT 'SALE' AS transaction_type, sales_order_id AS order_id, created_date FROM fact_sales_order_current
  UNION ALL
  SELECT 'PURCHASE', purchase_order_id, created_date FROM fact_purchase_order_current
),
paid AS (
  SELECT t.transaction_type, p.payment_date - o.created_date AS days
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
  round(avg(days), 2)::double precision AS avg_days,
  min(days)::bigint AS min_days,
  max(days)::bigint AS max_days
FROM paid
GROUP BY transaction_type;

-- athena-queries/sales_order_history.sql: every observed version of every sales order, oldest
-- first in the current views' order, with today's dimension names (the function-free form:
-- filter on sales_order_id).
CREATE VIEW v_sales_order_history AS
SELECT
  f.sales_order_id,
  row_number() OVER (
    PARTITION BY f.sales_order_id
    ORDER BY f.observed_at, f.last_updated_date, f.last_updated_time, f.is_deleted
  ) AS version,
  f.observed_at,
  f.is_deleted,
  f.last_updated_date,
  f.last_updated_time,
  s.first_name || ' ' || s.last_name AS staff_name,
  cp.counterparty_legal_name,
  f.design_id,
  d.design_name,
  f.units_sold,
  f.unit_price,
  cu.currency_code,
  f.agreed_delivery_date,
  f.agreed_payment_date,
  l.city AS delivery_city
FROM fact_sales_order f
LEFT JOIN dim_staff s ON s.staff_id = f.sales_staff_id
LEFT JOIN dim_counterparty cp ON cp.counterparty_id = f.counterparty_id
LEFT JOIN dim_design d ON d.design_id = f.design_id
LEFT JOIN dim_currency cu ON cu.currency_id = f.currency_id
LEFT JOIN dim_location l ON l.location_id = f.agreed_delivery_location_id;

-- athena-queries/current_vs_history_counts.sql
CREATE VIEW v_fact_version_counts AS
WITH history AS (
  SELECT 'fact_sales_order' AS fact_table, sales_order_id AS id FROM fact_sales_order
  UNION ALL
  SELECT 'fact_purchase_order', purchase_order_id FROM fact_purchase_order
  UNION ALL
  SELECT 'fact_payment', payment_id FROM fact_payment
),
per_id AS (
  SELECT fact_table, id, count(*) AS versions FROM history GROUP BY fact_table, id
),
current_rows AS (
  SELECT 'fact_sales_order' AS fact_table, count(*) AS n FROM fact_sales_order_current
  UNION ALL
  SELECT 'fact_purchase_order', count(*) FROM fact_purchase_order_current
  UNION ALL
  SELECT 'fact_payment', count(*) FROM fact_payment_current
),
totals AS (
  SELECT
    fact_table,
    sum(versions)::bigint AS history_rows,
    count(*) AS source_ids,
    count(*) FILTER (WHERE versions > 1) AS changed_ids
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
JOIN current_rows c ON c.fact_table = t.fact_table;

-- athena-queries/last_month_sales_by_country.sql: sales created in the month before as_of's.
CREATE FUNCTION last_month_sales_by_country(as_of date)
RETURNS TABLE (
  month date,
  delivery_country text,
  currency_code text,
  orders bigint,
  units_sold bigint,
  sales_value numeric(18,2)
)
LANGUAGE sql STABLE
AS $$
  SELECT
    (date_trunc('month', as_of) - interval '1 month')::date,
    s.delivery_country,
    s.currency_code,
    count(*),
    sum(s.units_sold)::bigint,
    sum(s.sale_value)::numeric(18,2)
  FROM v_sales_current s
  WHERE s.created_date >= (date_trunc('month', as_of) - interval '1 month')::date
    AND s.created_date < date_trunc('month', as_of)::date
  GROUP BY s.delivery_country, s.currency_code
$$;

CREATE VIEW v_last_month_sales_by_country AS
SELECT * FROM last_month_sales_by_country(current_date);

-- Sales by month and delivery country: the dataset behind a QuickSight "last month" filter.
CREATE VIEW v_sales_by_month_and_country AS
SELECT
  date_trunc('month', created_date)::date AS month,
  delivery_country,
  currency_code,
  count(*) AS orders,
  sum(units_sold)::bigint AS units_sold,
  sum(sale_value)::numeric(18,2) AS sales_value
FROM v_sales_current
GROUP BY 1, delivery_country, currency_code;
