-- QuickSight views: the current state of each fact, i.e. the latest observed version of every
-- source row that has not been deleted, with the names of its dimensions. "Latest" is the
-- newest observed_at; the surrogate key (load order) breaks a tie.

CREATE VIEW v_sales_current AS
WITH latest AS (
  SELECT DISTINCT ON (sales_order_id) *
  FROM fact_sales_order
  ORDER BY sales_order_id, observed_at DESC, sales_record_id DESC
)
SELECT
  f.sales_record_id,
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
  f.units_sold * f.unit_price AS sale_value,
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
FROM latest f
JOIN dim_staff s ON s.staff_id = f.sales_staff_id
JOIN dim_counterparty cp ON cp.counterparty_id = f.counterparty_id
JOIN dim_currency cu ON cu.currency_id = f.currency_id
JOIN dim_design d ON d.design_id = f.design_id
JOIN dim_location l ON l.location_id = f.agreed_delivery_location_id
WHERE NOT f.is_deleted;

CREATE VIEW v_purchases_current AS
WITH latest AS (
  SELECT DISTINCT ON (purchase_order_id) *
  FROM fact_purchase_order
  ORDER BY purchase_order_id, observed_at DESC, purchase_record_id DESC
)
SELECT
  f.purchase_record_id,
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
  f.item_quantity * f.item_unit_price AS purchase_value,
  f.currency_id,
  cu.currency_code,
  f.agreed_delivery_date,
  f.agreed_payment_date,
  f.agreed_delivery_location_id,
  l.city AS delivery_city,
  l.country AS delivery_country,
  f.observed_at
FROM latest f
JOIN dim_staff s ON s.staff_id = f.staff_id
JOIN dim_counterparty cp ON cp.counterparty_id = f.counterparty_id
JOIN dim_currency cu ON cu.currency_id = f.currency_id
JOIN dim_location l ON l.location_id = f.agreed_delivery_location_id
WHERE NOT f.is_deleted;

CREATE VIEW v_payments_current AS
WITH latest AS (
  SELECT DISTINCT ON (payment_id) *
  FROM fact_payment
  ORDER BY payment_id, observed_at DESC, payment_record_id DESC
)
SELECT
  f.payment_record_id,
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
FROM latest f
JOIN dim_transaction t ON t.transaction_id = f.transaction_id
JOIN dim_counterparty cp ON cp.counterparty_id = f.counterparty_id
JOIN dim_currency cu ON cu.currency_id = f.currency_id
JOIN dim_payment_type pt ON pt.payment_type_id = f.payment_type_id
WHERE NOT f.is_deleted;
