import { Client } from 'pg';
import { warehouseRelations } from '../../../app/analytics/docs/descriptions';
import { silentLog } from '../../../lambdas/kernel/logger';
import { migrate } from '../../../lambdas/load/migrate';
import { createTestDatabase } from '../../support/pg';

describe('the migrated warehouse', () => {
  let db: { url: string; drop: () => Promise<void> };
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase('whdoc');
    client = new Client({ connectionString: db.url });
    await client.connect();
    await migrate({ warehouse: client, log: silentLog });
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('describes every star table, current view and column as the schema module does', async () => {
    const { rows } = await client.query<{
      relation: string;
      column: string | null;
      description: string | null;
    }>(
      `SELECT c.relname AS relation, NULL AS column, obj_description(c.oid, 'pg_class') AS description
         FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v')
       UNION ALL
       SELECT c.relname, a.attname, col_description(c.oid, a.attnum)
         FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v')`,
    );
    const actual = new Map(rows.map((r) => [`${r.relation}.${r.column ?? ''}`, r.description]));
    // A new description needs a new migration: npx tsx app/analytics/docs/print-comments.ts > warehouse-sql/0NN_comments.sql
    const differences = warehouseRelations().flatMap((relation) =>
      [
        [`${relation.name}.`, relation.description] as const,
        ...relation.columns.map((c) => [`${relation.name}.${c.name}`, c.description] as const),
      ]
        .filter(([key, description]) => actual.get(key) !== description)
        .map(
          ([key, description]) =>
            `${key}: warehouse ${JSON.stringify(actual.get(key))}, schema ${JSON.stringify(description)}`,
        ),
    );
    expect(differences).toEqual([]);
    const tables = new Set(
      warehouseRelations()
        .filter((r) => r.kind === 'table')
        .map((r) => r.name),
    );
    const undescribed = rows
      .filter((r) => tables.has(r.relation) && !r.description)
      .map((r) => `${r.relation}.${r.column ?? ''}`);
    expect(undescribed).toEqual([]);
  });

  it('gives the analyst role read access to the star schema, its views and the load ledger', async () => {
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL ROLE totes_analyst');
      await expect(client.query('SELECT count(*) FROM v_sales_current')).resolves.toBeDefined();
      await expect(client.query('SELECT count(*) FROM fact_sales_order_current')).resolves.toBeDefined();
      await expect(
        client.query(`SELECT * FROM last_month_sales_by_country(DATE '2024-11-15')`),
      ).resolves.toBeDefined();
      await expect(client.query('SELECT max(loaded_at) FROM etl.load_log')).resolves.toBeDefined();
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it.each([
    ['write a star table', `INSERT INTO dim_payment_type VALUES (99, 'X')`],
    ['create a table', 'CREATE TABLE public.scratch (n int)'],
    ['change the ledger', 'DELETE FROM etl.load_log'],
    ['read the migration ledger', 'SELECT * FROM etl.schema_migrations'],
  ])('refuses the analyst role to %s', async (_what, sql) => {
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL ROLE totes_analyst');
      await expect(client.query(sql)).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
