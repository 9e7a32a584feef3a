-- Descriptions of every star table, column and current view, generated from the schema module
-- (lambdas/kernel/schema/warehouse.ts, lambdas/kernel/catalog/current-views.ts) by
-- app/analytics/docs/comments.ts. psql shows them with \d+, DBeaver and QuickSight beside each
-- column; dbt reads the same descriptions from the generated sources.yml.

COMMENT ON TABLE "dim_date" IS 'Every date any fact refers to';
COMMENT ON COLUMN "dim_date"."date_id" IS 'The calendar date';
COMMENT ON COLUMN "dim_date"."year" IS 'Calendar year';
COMMENT ON COLUMN "dim_date"."month" IS 'Month number: 1 = January … 12 = December';
COMMENT ON COLUMN "dim_date"."day" IS 'Day of the month';
COMMENT ON COLUMN "dim_date"."day_of_week" IS 'ISO day of week: 1 = Monday … 7 = Sunday';
COMMENT ON COLUMN "dim_date"."day_name" IS 'Day name in English, e.g. Monday';
COMMENT ON COLUMN "dim_date"."month_name" IS 'Month name in English, e.g. January';
COMMENT ON COLUMN "dim_date"."quarter" IS 'Calendar quarter: 1 … 4';

COMMENT ON TABLE "dim_staff" IS 'Staff with their department (staff ⋈ department)';
COMMENT ON COLUMN "dim_staff"."staff_id" IS 'totesys staff_id';
COMMENT ON COLUMN "dim_staff"."first_name" IS 'First name';
COMMENT ON COLUMN "dim_staff"."last_name" IS 'Last name';
COMMENT ON COLUMN "dim_staff"."department_name" IS 'Name of the staff member''s department';
COMMENT ON COLUMN "dim_staff"."location" IS 'Department location';
COMMENT ON COLUMN "dim_staff"."email_address" IS 'Work e-mail address';

COMMENT ON TABLE "dim_location" IS 'Addresses (delivery locations); location_id = address_id';
COMMENT ON COLUMN "dim_location"."location_id" IS 'totesys address_id of the address';
COMMENT ON COLUMN "dim_location"."address_line_1" IS 'First line of the address';
COMMENT ON COLUMN "dim_location"."address_line_2" IS 'Second line of the address, if any';
COMMENT ON COLUMN "dim_location"."district" IS 'District, if any';
COMMENT ON COLUMN "dim_location"."city" IS 'City';
COMMENT ON COLUMN "dim_location"."postal_code" IS 'Postal code';
COMMENT ON COLUMN "dim_location"."country" IS 'Country';
COMMENT ON COLUMN "dim_location"."phone" IS 'Phone number at the address';

COMMENT ON TABLE "dim_design" IS 'Tote designs';
COMMENT ON COLUMN "dim_design"."design_id" IS 'totesys design_id';
COMMENT ON COLUMN "dim_design"."design_name" IS 'Design name; names repeat, so tell designs apart by design_id';
COMMENT ON COLUMN "dim_design"."file_location" IS 'Folder of the design''s file';
COMMENT ON COLUMN "dim_design"."file_name" IS 'File name of the design''s file';

COMMENT ON TABLE "dim_currency" IS 'Currencies with their ISO 4217 names';
COMMENT ON COLUMN "dim_currency"."currency_id" IS 'totesys currency_id';
COMMENT ON COLUMN "dim_currency"."currency_code" IS 'ISO 4217 code, e.g. GBP';
COMMENT ON COLUMN "dim_currency"."currency_name" IS 'English name of the currency; null for a code that is not ISO 4217';

COMMENT ON TABLE "dim_counterparty" IS 'Counterparties with their legal address (counterparty ⋈ address)';
COMMENT ON COLUMN "dim_counterparty"."counterparty_id" IS 'totesys counterparty_id';
COMMENT ON COLUMN "dim_counterparty"."counterparty_legal_name" IS 'Legal name of the counterparty';
COMMENT ON COLUMN "dim_counterparty"."counterparty_legal_address_line_1" IS 'First line of the legal address';
COMMENT ON COLUMN "dim_counterparty"."counterparty_legal_address_line_2" IS 'Second line of the legal address, if any';
COMMENT ON COLUMN "dim_counterparty"."counterparty_legal_district" IS 'District of the legal address, if any';
COMMENT ON COLUMN "dim_counterparty"."counterparty_legal_city" IS 'City of the legal address';
COMMENT ON COLUMN "dim_counterparty"."counterparty_legal_postal_code" IS 'Postal code of the legal address';
COMMENT ON COLUMN "dim_counterparty"."counterparty_legal_country" IS 'Country of the legal address';
COMMENT ON COLUMN "dim_counterparty"."counterparty_legal_phone_number" IS 'Phone number of the legal address';

COMMENT ON TABLE "dim_payment_type" IS 'Payment types';
COMMENT ON COLUMN "dim_payment_type"."payment_type_id" IS 'totesys payment_type_id';
COMMENT ON COLUMN "dim_payment_type"."payment_type_name" IS 'e.g. SALES_RECEIPT, PURCHASE_PAYMENT';

COMMENT ON TABLE "dim_transaction" IS 'Transactions: a sale or a purchase, with the order it settles';
COMMENT ON COLUMN "dim_transaction"."transaction_id" IS 'totesys transaction_id';
COMMENT ON COLUMN "dim_transaction"."transaction_type" IS 'SALE or PURCHASE';
COMMENT ON COLUMN "dim_transaction"."sales_order_id" IS 'Null for purchases, or once the sales order was deleted';
COMMENT ON COLUMN "dim_transaction"."purchase_order_id" IS 'Null for sales, or once the purchase order was deleted';

COMMENT ON TABLE "fact_sales_order" IS 'Every observed version of every sales order';
COMMENT ON COLUMN "fact_sales_order"."sales_record_id" IS 'Warehouse key of this version, numbered in load order; facts are joined and filtered by their source id';
COMMENT ON COLUMN "fact_sales_order"."sales_order_id" IS 'totesys sales_order_id: the order this is a version of';
COMMENT ON COLUMN "fact_sales_order"."created_date" IS 'Date the source row was created';
COMMENT ON COLUMN "fact_sales_order"."created_time" IS 'Time of day the source row was created';
COMMENT ON COLUMN "fact_sales_order"."last_updated_date" IS 'Date of the source row last_updated of this version';
COMMENT ON COLUMN "fact_sales_order"."last_updated_time" IS 'Time of day of last_updated of this version';
COMMENT ON COLUMN "fact_sales_order"."sales_staff_id" IS 'Member of the sales staff who made the sale (dim_staff)';
COMMENT ON COLUMN "fact_sales_order"."counterparty_id" IS 'The buyer (dim_counterparty)';
COMMENT ON COLUMN "fact_sales_order"."units_sold" IS 'Number of totes sold';
COMMENT ON COLUMN "fact_sales_order"."unit_price" IS 'Price of one tote, in the currency of currency_id';
COMMENT ON COLUMN "fact_sales_order"."currency_id" IS 'Currency of unit_price (dim_currency)';
COMMENT ON COLUMN "fact_sales_order"."design_id" IS 'Design sold (dim_design)';
COMMENT ON COLUMN "fact_sales_order"."agreed_payment_date" IS 'Date the buyer agreed to pay by';
COMMENT ON COLUMN "fact_sales_order"."agreed_delivery_date" IS 'Date delivery was agreed for';
COMMENT ON COLUMN "fact_sales_order"."agreed_delivery_location_id" IS 'Where the order is delivered (dim_location)';
COMMENT ON COLUMN "fact_sales_order"."observed_at" IS 'When the pipeline captured this version from totesys (UTC)';
COMMENT ON COLUMN "fact_sales_order"."is_deleted" IS 'True for the version recording that the source row was deleted';

COMMENT ON TABLE "fact_purchase_order" IS 'Every observed version of every purchase order';
COMMENT ON COLUMN "fact_purchase_order"."purchase_record_id" IS 'Warehouse key of this version, numbered in load order; facts are joined and filtered by their source id';
COMMENT ON COLUMN "fact_purchase_order"."purchase_order_id" IS 'totesys purchase_order_id: the order this is a version of';
COMMENT ON COLUMN "fact_purchase_order"."created_date" IS 'Date the source row was created';
COMMENT ON COLUMN "fact_purchase_order"."created_time" IS 'Time of day the source row was created';
COMMENT ON COLUMN "fact_purchase_order"."last_updated_date" IS 'Date of the source row last_updated of this version';
COMMENT ON COLUMN "fact_purchase_order"."last_updated_time" IS 'Time of day of last_updated of this version';
COMMENT ON COLUMN "fact_purchase_order"."staff_id" IS 'Member of staff who placed the order (dim_staff)';
COMMENT ON COLUMN "fact_purchase_order"."counterparty_id" IS 'The supplier (dim_counterparty)';
COMMENT ON COLUMN "fact_purchase_order"."item_code" IS 'Supplier''s code of the item bought';
COMMENT ON COLUMN "fact_purchase_order"."item_quantity" IS 'Number of items bought';
COMMENT ON COLUMN "fact_purchase_order"."item_unit_price" IS 'Price of one item, in the currency of currency_id';
COMMENT ON COLUMN "fact_purchase_order"."currency_id" IS 'Currency of item_unit_price (dim_currency)';
COMMENT ON COLUMN "fact_purchase_order"."agreed_delivery_date" IS 'Date delivery was agreed for';
COMMENT ON COLUMN "fact_purchase_order"."agreed_payment_date" IS 'Date we agreed to pay by';
COMMENT ON COLUMN "fact_purchase_order"."agreed_delivery_location_id" IS 'Where the order is delivered (dim_location)';
COMMENT ON COLUMN "fact_purchase_order"."observed_at" IS 'When the pipeline captured this version from totesys (UTC)';
COMMENT ON COLUMN "fact_purchase_order"."is_deleted" IS 'True for the version recording that the source row was deleted';

COMMENT ON TABLE "fact_payment" IS 'Every observed version of every payment';
COMMENT ON COLUMN "fact_payment"."payment_record_id" IS 'Warehouse key of this version, numbered in load order; facts are joined and filtered by their source id';
COMMENT ON COLUMN "fact_payment"."payment_id" IS 'totesys payment_id: the payment this is a version of';
COMMENT ON COLUMN "fact_payment"."created_date" IS 'Date the source row was created';
COMMENT ON COLUMN "fact_payment"."created_time" IS 'Time of day the source row was created';
COMMENT ON COLUMN "fact_payment"."last_updated_date" IS 'Date of the source row last_updated of this version';
COMMENT ON COLUMN "fact_payment"."last_updated_time" IS 'Time of day of last_updated of this version';
COMMENT ON COLUMN "fact_payment"."transaction_id" IS 'The sale or purchase this payment settles (dim_transaction)';
COMMENT ON COLUMN "fact_payment"."counterparty_id" IS 'Who pays us or whom we pay (dim_counterparty)';
COMMENT ON COLUMN "fact_payment"."payment_amount" IS 'Amount, in the currency of currency_id';
COMMENT ON COLUMN "fact_payment"."currency_id" IS 'Currency of payment_amount (dim_currency)';
COMMENT ON COLUMN "fact_payment"."payment_type_id" IS 'Kind of payment (dim_payment_type)';
COMMENT ON COLUMN "fact_payment"."paid" IS 'True once the payment has been made';
COMMENT ON COLUMN "fact_payment"."payment_date" IS 'Date the payment is or was due';
COMMENT ON COLUMN "fact_payment"."observed_at" IS 'When the pipeline captured this version from totesys (UTC)';
COMMENT ON COLUMN "fact_payment"."is_deleted" IS 'True for the version recording that the source row was deleted';

COMMENT ON VIEW "fact_sales_order_current" IS 'Current state of fact_sales_order: the latest version of every sales_order_id that is not deleted';
COMMENT ON COLUMN "fact_sales_order_current"."sales_order_id" IS 'totesys sales_order_id: the order this is a version of';
COMMENT ON COLUMN "fact_sales_order_current"."created_date" IS 'Date the source row was created';
COMMENT ON COLUMN "fact_sales_order_current"."created_time" IS 'Time of day the source row was created';
COMMENT ON COLUMN "fact_sales_order_current"."last_updated_date" IS 'Date of the source row last_updated of this version';
COMMENT ON COLUMN "fact_sales_order_current"."last_updated_time" IS 'Time of day of last_updated of this version';
COMMENT ON COLUMN "fact_sales_order_current"."sales_staff_id" IS 'Member of the sales staff who made the sale (dim_staff)';
COMMENT ON COLUMN "fact_sales_order_current"."counterparty_id" IS 'The buyer (dim_counterparty)';
COMMENT ON COLUMN "fact_sales_order_current"."units_sold" IS 'Number of totes sold';
COMMENT ON COLUMN "fact_sales_order_current"."unit_price" IS 'Price of one tote, in the currency of currency_id';
COMMENT ON COLUMN "fact_sales_order_current"."currency_id" IS 'Currency of unit_price (dim_currency)';
COMMENT ON COLUMN "fact_sales_order_current"."design_id" IS 'Design sold (dim_design)';
COMMENT ON COLUMN "fact_sales_order_current"."agreed_payment_date" IS 'Date the buyer agreed to pay by';
COMMENT ON COLUMN "fact_sales_order_current"."agreed_delivery_date" IS 'Date delivery was agreed for';
COMMENT ON COLUMN "fact_sales_order_current"."agreed_delivery_location_id" IS 'Where the order is delivered (dim_location)';
COMMENT ON COLUMN "fact_sales_order_current"."observed_at" IS 'When the pipeline captured this version from totesys (UTC)';
COMMENT ON COLUMN "fact_sales_order_current"."sale_value" IS 'units_sold × unit_price, in the order''s currency (never sum across currencies)';

COMMENT ON VIEW "fact_purchase_order_current" IS 'Current state of fact_purchase_order: the latest version of every purchase_order_id that is not deleted';
COMMENT ON COLUMN "fact_purchase_order_current"."purchase_order_id" IS 'totesys purchase_order_id: the order this is a version of';
COMMENT ON COLUMN "fact_purchase_order_current"."created_date" IS 'Date the source row was created';
COMMENT ON COLUMN "fact_purchase_order_current"."created_time" IS 'Time of day the source row was created';
COMMENT ON COLUMN "fact_purchase_order_current"."last_updated_date" IS 'Date of the source row last_updated of this version';
COMMENT ON COLUMN "fact_purchase_order_current"."last_updated_time" IS 'Time of day of last_updated of this version';
COMMENT ON COLUMN "fact_purchase_order_current"."staff_id" IS 'Member of staff who placed the order (dim_staff)';
COMMENT ON COLUMN "fact_purchase_order_current"."counterparty_id" IS 'The supplier (dim_counterparty)';
COMMENT ON COLUMN "fact_purchase_order_current"."item_code" IS 'Supplier''s code of the item bought';
COMMENT ON COLUMN "fact_purchase_order_current"."item_quantity" IS 'Number of items bought';
COMMENT ON COLUMN "fact_purchase_order_current"."item_unit_price" IS 'Price of one item, in the currency of currency_id';
COMMENT ON COLUMN "fact_purchase_order_current"."currency_id" IS 'Currency of item_unit_price (dim_currency)';
COMMENT ON COLUMN "fact_purchase_order_current"."agreed_delivery_date" IS 'Date delivery was agreed for';
COMMENT ON COLUMN "fact_purchase_order_current"."agreed_payment_date" IS 'Date we agreed to pay by';
COMMENT ON COLUMN "fact_purchase_order_current"."agreed_delivery_location_id" IS 'Where the order is delivered (dim_location)';
COMMENT ON COLUMN "fact_purchase_order_current"."observed_at" IS 'When the pipeline captured this version from totesys (UTC)';
COMMENT ON COLUMN "fact_purchase_order_current"."purchase_value" IS 'item_quantity × item_unit_price, in the order''s currency (never sum across currencies)';

COMMENT ON VIEW "fact_payment_current" IS 'Current state of fact_payment: the latest version of every payment_id that is not deleted';
COMMENT ON COLUMN "fact_payment_current"."payment_id" IS 'totesys payment_id: the payment this is a version of';
COMMENT ON COLUMN "fact_payment_current"."created_date" IS 'Date the source row was created';
COMMENT ON COLUMN "fact_payment_current"."created_time" IS 'Time of day the source row was created';
COMMENT ON COLUMN "fact_payment_current"."last_updated_date" IS 'Date of the source row last_updated of this version';
COMMENT ON COLUMN "fact_payment_current"."last_updated_time" IS 'Time of day of last_updated of this version';
COMMENT ON COLUMN "fact_payment_current"."transaction_id" IS 'The sale or purchase this payment settles (dim_transaction)';
COMMENT ON COLUMN "fact_payment_current"."counterparty_id" IS 'Who pays us or whom we pay (dim_counterparty)';
COMMENT ON COLUMN "fact_payment_current"."payment_amount" IS 'Amount, in the currency of currency_id';
COMMENT ON COLUMN "fact_payment_current"."currency_id" IS 'Currency of payment_amount (dim_currency)';
COMMENT ON COLUMN "fact_payment_current"."payment_type_id" IS 'Kind of payment (dim_payment_type)';
COMMENT ON COLUMN "fact_payment_current"."paid" IS 'True once the payment has been made';
COMMENT ON COLUMN "fact_payment_current"."payment_date" IS 'Date the payment is or was due';
COMMENT ON COLUMN "fact_payment_current"."observed_at" IS 'When the pipeline captured this version from totesys (UTC)';
