/**
 * The warehouse counterpart of each named Athena query: the view (or function, for a query
 * with parameters) of the warehouse migrations (warehouse-sql/006) that answers the same question, as parameterised SQL
 * returning the same columns in the same order.
 */
export const warehouseAnswers: Readonly<Record<string, string>> = {
  sales_by_month: 'SELECT * FROM v_sales_by_month ORDER BY month, currency_code',
  top_designs: 'SELECT * FROM v_design_sales WHERE sales_rank <= 10 ORDER BY currency_code, sales_rank',
  top_counterparties:
    'SELECT * FROM v_counterparty_sales WHERE sales_rank <= 5 ORDER BY currency_code, sales_rank',
  sales_by_delivery_location: 'SELECT * FROM v_sales_by_delivery_location',
  staff_performance: 'SELECT * FROM v_staff_performance',
  purchase_spend_by_supplier_item: 'SELECT * FROM v_purchase_spend_by_supplier_item',
  payments_due_and_overdue: 'SELECT * FROM payments_due_and_overdue($1)',
  unpaid_payments_ageing: 'SELECT * FROM unpaid_payments_ageing($1)',
  days_order_to_payment: 'SELECT * FROM v_days_order_to_payment',
  sales_order_history:
    'SELECT version, observed_at, is_deleted, last_updated_date, last_updated_time, staff_name, counterparty_legal_name, design_id, design_name, units_sold, unit_price, currency_code, agreed_delivery_date, agreed_payment_date, delivery_city FROM v_sales_order_history WHERE sales_order_id = $1',
  current_vs_history_counts: 'SELECT * FROM v_fact_version_counts',
  last_month_sales_by_country: 'SELECT * FROM last_month_sales_by_country($1)',
};
