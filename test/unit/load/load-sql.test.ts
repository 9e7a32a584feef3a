import { warehouseTable } from '../../../lambdas/kernel/schema';
import { createStagingSql, upsertDimensionSql } from '../../../lambdas/load/apply-dimensions';
import {
  addForeignKeySql,
  createIndexSql,
  dropForeignKeySql,
  dropIndexSql,
  foreignKeys,
} from '../../../lambdas/load/apply-facts';
import { parquetToCsvSql, versionOrder } from '../../../lambdas/load/csv-pipeline';
import { analyzeSql, copySql } from '../../../lambdas/load/table-batch';

describe('load SQL', () => {
  it('stages with warehouse types and no constraints, dropped at commit', () => {
    expect(createStagingSql(warehouseTable('dim_currency'))).toBe(
      'CREATE TEMP TABLE "stage_dim_currency" ("currency_id" integer, "currency_code" text, "currency_name" text) ON COMMIT DROP',
    );
    const fact = createStagingSql(warehouseTable('fact_sales_order'));
    expect(fact).toContain('"unit_price" numeric(10,2)');
    expect(fact).toContain('"created_time" time(3)');
    expect(fact).toContain('"observed_at" timestamp(3)');
    expect(fact).not.toContain('sales_record_id');
    expect(fact).not.toMatch(/NOT NULL|PRIMARY KEY|REFERENCES/);
  });

  it('copies CSV into the staging columns in schema order', () => {
    expect(copySql(warehouseTable('dim_payment_type'))).toBe(
      'COPY "stage_dim_payment_type" ("payment_type_id", "payment_type_name") FROM STDIN (FORMAT csv)',
    );
  });

  it('copies fact versions straight into the fact table with their surrogate key and batch', () => {
    const sql = copySql(warehouseTable('fact_payment'), 'table');
    expect(sql).toMatch(/^COPY "fact_payment" \("payment_record_id", "payment_id", /);
    expect(sql).toMatch(/"is_deleted", "batch_seq"\) FROM STDIN \(FORMAT csv\)$/);
  });

  it('freezes only a COPY into the table itself', () => {
    expect(copySql(warehouseTable('dim_currency'), 'table', { freeze: true })).toMatch(
      /FROM STDIN \(FORMAT csv, FREEZE\)$/,
    );
    expect(copySql(warehouseTable('dim_currency'), 'staging', { freeze: true })).toMatch(
      /FROM STDIN \(FORMAT csv\)$/,
    );
  });

  it('refuses to stage a table that has warehouse-only columns (staging holds the curated ones)', () => {
    expect(() => copySql(warehouseTable('fact_payment'), 'staging')).toThrow(/batch_seq/);
  });

  it('upserts a dimension on its natural key, updating only rows whose values differ', () => {
    expect(upsertDimensionSql(warehouseTable('dim_currency'))).toBe(
      'INSERT INTO "dim_currency" AS t ("currency_id", "currency_code", "currency_name") ' +
        'SELECT "currency_id", "currency_code", "currency_name" FROM "stage_dim_currency" ' +
        'ON CONFLICT ("currency_id") DO UPDATE SET "currency_code" = EXCLUDED."currency_code", "currency_name" = EXCLUDED."currency_name" ' +
        'WHERE (t."currency_code", t."currency_name") IS DISTINCT FROM (EXCLUDED."currency_code", EXCLUDED."currency_name")',
    );
  });

  it('orders fact versions by source id, then observation time', () => {
    expect(versionOrder(warehouseTable('fact_sales_order'))).toEqual(['sales_order_id', 'observed_at']);
  });

  it('analyses a table by its quoted name', () => {
    expect(analyzeSql(warehouseTable('fact_payment'))).toBe('ANALYZE "fact_payment"');
  });

  it('reads named columns from Parquet, quoting file paths as literals', () => {
    const sql = parquetToCsvSql(
      warehouseTable('dim_design'),
      ["/tmp/o'brien/a.parquet", '/tmp/b.parquet'],
      '/tmp/x.csv',
      { seq: 7 },
    );
    expect(sql).toBe(
      `COPY (SELECT "design_id", "design_name", "file_location", "file_name" FROM read_parquet(['/tmp/o''brien/a.parquet', '/tmp/b.parquet'], hive_partitioning = false)) TO '/tmp/x.csv' (FORMAT csv, HEADER false, USE_TMP_FILE false)`,
    );
  });

  it('numbers fact versions from the reserved key in version order', () => {
    const sql = parquetToCsvSql(warehouseTable('fact_purchase_order'), ['/a.parquet'], '/x.csv', {
      seq: 3,
      firstKey: 101,
    });
    expect(sql).toContain(
      'SELECT row_number() OVER (ORDER BY "purchase_order_id", "observed_at") + 100 AS "purchase_record_id", "purchase_order_id", ',
    );
    expect(sql).toContain(`hive_partitioning = false)) TO '/x.csv'`);
  });

  it('writes curated fact CSV (no load values) in version order', () => {
    expect(parquetToCsvSql(warehouseTable('fact_purchase_order'), ['/a.parquet'], '/x.csv')).toContain(
      `hive_partitioning = false) ORDER BY "purchase_order_id", "observed_at") TO '/x.csv'`,
    );
  });

  it('writes each fact version with the batch that loads it, after the curated columns', () => {
    expect(
      parquetToCsvSql(warehouseTable('fact_payment'), ['/a.parquet'], '/x.csv', { seq: 12, firstKey: 1 }),
    ).toContain('"is_deleted", 12::INTEGER AS "batch_seq" FROM read_parquet(');
  });

  it('drops and rebuilds a plain index by its own definition, a key through its constraint', () => {
    const table = warehouseTable('fact_payment');
    const version = {
      name: 'fact_payment_version_idx',
      definition: 'CREATE INDEX fact_payment_version_idx ON public.fact_payment USING btree (payment_id)',
      constraint: null,
    };
    const key = {
      name: 'fact_payment_pkey',
      definition: 'unused',
      constraint: 'PRIMARY KEY (payment_record_id)',
    };
    expect(dropIndexSql(table, version)).toBe('DROP INDEX "fact_payment_version_idx"');
    expect(createIndexSql(table, version)).toBe(version.definition);
    expect(dropIndexSql(table, key)).toBe('ALTER TABLE "fact_payment" DROP CONSTRAINT "fact_payment_pkey"');
    expect(createIndexSql(table, key)).toBe(
      'ALTER TABLE "fact_payment" ADD CONSTRAINT "fact_payment_pkey" PRIMARY KEY (payment_record_id)',
    );
  });

  it('refuses an index name that is not a plain identifier', () => {
    const table = warehouseTable('fact_payment');
    expect(() =>
      dropIndexSql(table, { name: 'x"; DROP TABLE y; --', definition: '', constraint: null }),
    ).toThrow(/unsafe SQL identifier/);
  });

  it("derives the facts' foreign keys, with PostgreSQL's default names, from the schema module", () => {
    const fks = foreignKeys(warehouseTable('fact_payment'));
    expect(fks.map((fk) => `${fk.column}->${fk.refTable}`)).toEqual([
      'created_date->dim_date',
      'last_updated_date->dim_date',
      'transaction_id->dim_transaction',
      'counterparty_id->dim_counterparty',
      'currency_id->dim_currency',
      'payment_type_id->dim_payment_type',
      'payment_date->dim_date',
    ]);
    const currency = fks.find((fk) => fk.column === 'currency_id');
    if (!currency) throw new Error('no currency_id foreign key');
    expect(dropForeignKeySql(currency)).toBe(
      'ALTER TABLE "fact_payment" DROP CONSTRAINT "fact_payment_currency_id_fkey"',
    );
    expect(addForeignKeySql(currency)).toBe(
      'ALTER TABLE "fact_payment" ADD CONSTRAINT "fact_payment_currency_id_fkey" FOREIGN KEY ("currency_id") REFERENCES "dim_currency" ("currency_id")',
    );
    expect(foreignKeys(warehouseTable('dim_transaction'))).toEqual([]);
  });
});
