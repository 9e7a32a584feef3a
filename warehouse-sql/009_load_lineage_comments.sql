-- Descriptions of the columns added after 008 (005's batch_seq), generated from the schema module by
-- app/analytics/docs/comments.ts; test/integration/analytics/warehouse-comments.test.ts checks that
-- the migrated warehouse describes every column as lambdas/kernel/schema/warehouse.ts does.

COMMENT ON COLUMN "fact_sales_order"."batch_seq" IS 'Transform batch (etl.load_log.batch_seq) that loaded this version; null only for versions loaded before batches were recorded on facts';
COMMENT ON COLUMN "fact_purchase_order"."batch_seq" IS 'Transform batch (etl.load_log.batch_seq) that loaded this version; null only for versions loaded before batches were recorded on facts';
COMMENT ON COLUMN "fact_payment"."batch_seq" IS 'Transform batch (etl.load_log.batch_seq) that loaded this version; null only for versions loaded before batches were recorded on facts';
