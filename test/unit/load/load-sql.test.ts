import {
  addForeignKeySql,
  appendFactSql,
  copySql,
  createStagingSql,
  dropForeignKeySql,
  foreignKeys,
  parquetToCsvSql,
  upsertDimensionSql,
} from '../../../lambdas/load/load-sql';
import { warehouseTable } from '../../../lambdas/shared/schema';

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

  it('upserts a dimension on its natural key, updating only rows whose values differ', () => {
    expect(upsertDimensionSql(warehouseTable('dim_currency'))).toBe(
      'INSERT INTO "dim_currency" AS t ("currency_id", "currency_code", "currency_name") ' +
        'SELECT "currency_id", "currency_code", "currency_name" FROM "stage_dim_currency" ' +
        'ON CONFLICT ("currency_id") DO UPDATE SET "currency_code" = EXCLUDED."currency_code", "currency_name" = EXCLUDED."currency_name" ' +
        'WHERE (t."currency_code", t."currency_name") IS DISTINCT FROM (EXCLUDED."currency_code", EXCLUDED."currency_name")',
    );
  });

  it('appends facts without the surrogate key, numbered in version order', () => {
    const sql = appendFactSql(warehouseTable('fact_payment'));
    expect(sql).toMatch(/^INSERT INTO "fact_payment" \("payment_id", /);
    expect(sql).not.toContain('payment_record_id');
    expect(sql).not.toMatch(/ON CONFLICT|VALUES/);
    expect(sql).toMatch(/ORDER BY "payment_id", "observed_at"$/);
  });

  it('reads named columns from Parquet, quoting file paths as literals', () => {
    const sql = parquetToCsvSql(
      warehouseTable('dim_design'),
      ["/tmp/o'brien/a.parquet", '/tmp/b.parquet'],
      '/tmp/x.csv',
    );
    expect(sql).toBe(
      `COPY (SELECT "design_id", "design_name", "file_location", "file_name" FROM read_parquet(['/tmp/o''brien/a.parquet', '/tmp/b.parquet'], hive_partitioning = false)) TO '/tmp/x.csv' (FORMAT csv, HEADER false)`,
    );
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
