-- A read-only role for people and BI tools (psql, DBeaver, QuickSight, dbt): it reads every
-- table, current view and question view of `public` and the load ledger, and changes nothing.
-- It is a group role (NOLOGIN): grant it to a login user. Locally `totes up` creates the user
-- `analyst` in it (password in <TOTES_HOME>/pgpass); on AWS an administrator creates one per
-- tool, e.g.
--   CREATE ROLE quicksight LOGIN PASSWORD '…' IN ROLE totes_analyst;
--   ALTER ROLE quicksight SET default_transaction_read_only = on;
-- (docs/analyst-guide.md, "Connect to the warehouse").

-- Roles belong to the whole server, not to one database: a second warehouse database on the
-- same server (tests, a rebuild beside the old one) finds the role already there. A migrating
-- user without CREATEROLE (a least-privilege owner) cannot create it: the grants then wait for an
-- administrator to create the role, and the warning says so; nothing else depends on it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'totes_analyst') THEN
    BEGIN
      CREATE ROLE totes_analyst NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL;
      WHEN insufficient_privilege THEN
        RAISE WARNING 'role totes_analyst not created: % lacks CREATEROLE. An administrator can run CREATE ROLE totes_analyst NOLOGIN, then the grants of warehouse-sql/007_analyst_role.sql', current_user;
        RETURN;
    END;
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO totes_analyst', current_database());
  GRANT USAGE ON SCHEMA public TO totes_analyst;
  GRANT SELECT ON ALL TABLES IN SCHEMA public TO totes_analyst;
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO totes_analyst;
  -- Tables, views and functions that later migrations create are readable too.
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO totes_analyst;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO totes_analyst;
  -- The load ledger says how fresh the warehouse is (dbt source freshness reads it).
  GRANT USAGE ON SCHEMA etl TO totes_analyst;
  GRANT SELECT ON etl.load_log TO totes_analyst;
END
$$;

-- Before PostgreSQL 15 every role could create tables in `public`; nobody but its owner should.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

COMMENT ON TABLE etl.load_log IS 'The load ledger: one row per transform batch applied to the warehouse, written in the same transaction as its rows';
COMMENT ON COLUMN etl.load_log.batch_seq IS 'Number of the transform batch (1, 2, …); batches are applied in this order, each once';
COMMENT ON COLUMN etl.load_log.batch_id IS 'Id of the transform batch in the lake (its manifest)';
COMMENT ON COLUMN etl.load_log.loaded_at IS 'When the batch was committed to the warehouse';
COMMENT ON COLUMN etl.load_log.row_counts IS 'Rows the batch wrote per warehouse table, e.g. {"fact_sales_order": 150}';
