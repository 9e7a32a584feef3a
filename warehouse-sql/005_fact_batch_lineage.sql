-- Facts record the transform batch that loaded them (`batch_seq`, the `loadColumns` of the
-- schema module, lambdas/kernel/schema/warehouse.ts), so the warehouse can prove which batches
-- it holds even when its ledger is lost: before loading, the load refuses a warehouse whose
-- facts carry a batch that etl.load_log does not record (loading it again would duplicate it),
-- and takes the warehouse back to the last batch the lake still holds when the lake's later
-- batches are other ones (a transform state restored to an earlier version).
--
-- Existing versions are attributed from the ledger: the load appends each batch's facts in one
-- COPY, so the SERIAL surrogate keys number them batch after batch, and each ledger row says
-- how many versions of each fact its batch appended. This holds only when the ledger accounts
-- for exactly the versions the table has; otherwise the column stays NULL for every old
-- version (the load then refuses to rewind and says how to rebuild).
--
-- BRIN: versions are appended in batch order, so one small summary per block range answers
-- "is any version beyond batch N?" without reading the table.

DO $$
DECLARE
  fact record;
BEGIN
  FOR fact IN
    SELECT * FROM (VALUES
      ('fact_sales_order', 'sales_record_id'),
      ('fact_purchase_order', 'purchase_record_id'),
      ('fact_payment', 'payment_record_id')
    ) AS f (name, surrogate)
  LOOP
    EXECUTE format('ALTER TABLE %I ADD COLUMN batch_seq integer', fact.name);
    EXECUTE format(
      $sql$
      WITH counts AS (
        SELECT batch_seq, coalesce((row_counts ->> %L)::bigint, 0) AS n FROM etl.load_log
      ), ranges AS (
        SELECT batch_seq, n, sum(n) OVER (ORDER BY batch_seq) - n AS before FROM counts
      ), slots AS (
        SELECT batch_seq, generate_series(before + 1, before + n) AS position
          FROM ranges
         WHERE n > 0
           AND (SELECT coalesce(sum(n), 0) FROM counts) = (SELECT count(*) FROM %I)
      ), versions AS (
        SELECT %I AS id, row_number() OVER (ORDER BY %I) AS position FROM %I
      )
      UPDATE %I AS f SET batch_seq = slots.batch_seq
        FROM versions JOIN slots USING (position)
       WHERE f.%I = versions.id
      $sql$,
      fact.name, fact.name, fact.surrogate, fact.surrogate, fact.name, fact.name, fact.surrogate
    );
    EXECUTE format('CREATE INDEX %I ON %I USING brin (batch_seq)', fact.name || '_batch_seq_idx', fact.name);
    EXECUTE format(
      'COMMENT ON COLUMN %I.batch_seq IS %L',
      fact.name,
      'Transform batch (etl.load_log.batch_seq) that loaded this version; null only for versions loaded before batches were recorded on facts'
    );
  END LOOP;
END
$$;
