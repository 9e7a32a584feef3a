-- QuickSight datasets for the business questions. The three star datasets are the current-state
-- views of 003 (v_sales_current, v_purchases_current, v_payments_current); these views and
-- functions answer the same questions as the named Athena queries in athena-queries/, one for
-- one, over the same current state, so both surfaces agree (test/integration/analytics checks
-- it on the real totesys data). Money is summed per currency: never across currencies.
--
-- A question with a parameter is a function taking it (QuickSight custom SQL can call it with a
-- dataset parameter) plus a view that asks it for today, which is what a dashboard wants.

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

-- athena-queries/top_designs.sql (every design, ranked; the query keeps the first ten)
CREATE VIEW v_design_sales AS
WITH by_design AS (
  SELECT design_id, design_name, count(*) AS orders, sum(units_sold)::bigint AS units_sold
  FROM v_sales_current
  GROUP BY design_id, design_name
)
SELECT
  row_number() OVER (ORDER BY units_sold DESC, design_id) AS sales_rank,
  design_id,
  design_name,
  orders,
  units_sold
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

-- athena-queries/days_order_to_payment.sql: paid payments, days from the order's created date.
CREATE VIEW v_days_order_to_payment AS
WITH order_dates AS (
  SELECT 'SALE' AS transaction_type, sales_order_id AS order_id, created_date FROM v_sales_current
  UNION ALL
  SELECT 'PURCHASE', purchase_order_id, created_date FROM v_purchases_current
),
paid AS (
  SELECT p.transaction_type, p.payment_date - o.created_date AS days
  FROM v_payments_current p
  JOIN dim_transaction t ON t.transaction_id = p.transaction_id
  JOIN order_dates o
    ON o.transaction_type = p.transaction_type
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

-- athena-queries/sales_order_history.sql: every observed version of every sales order, with
-- today's dimension names (filter on sales_order_id; the function does it for one order).
CREATE VIEW v_sales_order_history AS
SELECT
  f.sales_order_id,
  row_number() OVER (
    PARTITION BY f.sales_order_id ORDER BY f.observed_at, f.last_updated_date, f.last_updated_time, f.sales_record_id
  ) AS version,
  f.observed_at,
  f.is_deleted,
  f.last_updated_date,
  f.last_updated_time,
  s.first_name || ' ' || s.last_name AS staff_name,
  cp.counterparty_legal_name,
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
WITH versions AS (
  SELECT 'fact_sales_order' AS fact_table, sales_order_id AS id, is_deleted,
    row_number() OVER (PARTITION BY sales_order_id ORDER BY observed_at DESC, sales_record_id DESC) AS version_rank,
    count(*) OVER (PARTITION BY sales_order_id) AS versions
  FROM fact_sales_order
  UNION ALL
  SELECT 'fact_purchase_order', purchase_order_id, is_deleted,
    row_number() OVER (PARTITION BY purchase_order_id ORDER BY observed_at DESC, purchase_record_id DESC),
    count(*) OVER (PARTITION BY purchase_order_id)
  FROM fact_purchase_order
  UNION ALL
  SELECT 'fact_payment', payment_id, is_deleted,
    row_number() OVER (PARTITION BY payment_id ORDER BY observed_at DESC, payment_record_id DESC),
    count(*) OVER (PARTITION BY payment_id)
  FROM fact_payment
)
SELECT
  fact_table,
  count(*) AS history_rows,
  count(*) FILTER (WHERE version_rank = 1) AS source_ids,
  count(*) FILTER (WHERE version_rank = 1 AND NOT is_deleted) AS current_rows,
  count(*) FILTER (WHERE version_rank = 1 AND is_deleted) AS deleted_ids,
  count(*) FILTER (WHERE version_rank = 1 AND versions > 1) AS changed_ids
FROM versions
GROUP BY fact_table;

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
