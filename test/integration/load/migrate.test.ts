import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { silentLog } from '../../../lambdas/kernel/logger';
import { warehouseTables } from '../../../lambdas/kernel/schema';
import { MigrationChangedError, SchemaDriftError } from '../../../lambdas/load/errors';
import { DEFAULT_MIGRATIONS_DIR, migrate, readMigrations } from '../../../lambdas/load/migrate';
import { checkWarehouseSchema } from '../../../lambdas/load/schema-check';
import { createTestDatabase } from '../../support/pg';

/** Every migration of the repository, in order (other tasks add their own after ours). */
const migrationNames = async (): Promise<string[]> =>
  (await readMigrations(DEFAULT_MIGRATIONS_DIR)).map((m) => m.name);

describe('warehouse migrations', () => {
  let db: { url: string; drop: () => Promise<void> };
  let client: Client;

  beforeEach(async () => {
    db = await createTestDatabase('mig');
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterEach(async () => {
    await client.end();
    await db.drop();
  });

  it('creates exactly the star schema of the schema module, which the DDL check accepts', async () => {
    const result = await migrate({ warehouse: client, log: silentLog });
    expect(result.applied).toEqual(await migrationNames());
    expect(result.applied.slice(0, 3)).toEqual([
      '001_star_schema.sql',
      '002_etl_ledger.sql',
      '003_current_views.sql',
    ]);
    await expect(checkWarehouseSchema(client)).resolves.toBeUndefined();
    const { rows } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual(warehouseTables.map((t) => t.name).sort());
  });

  it('records each migration with its checksum and applies nothing the second time', async () => {
    await migrate({ warehouse: client, log: silentLog });
    const again = await migrate({ warehouse: client, log: silentLog });
    expect(again.applied).toEqual([]);
    const { rows } = await client.query('SELECT name, checksum FROM etl.schema_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(await migrationNames());
    expect(rows[0].checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives facts foreign keys to every dimension the schema module references', async () => {
    await migrate({ warehouse: client, log: silentLog });
    const { rows } = await client.query<{ table_name: string; column_name: string; ref: string }>(
      `SELECT kcu.table_name, kcu.column_name, ccu.table_name AS ref
         FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
         JOIN information_schema.constraint_column_usage ccu USING (constraint_schema, constraint_name)
        WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'`,
    );
    const actual = rows.map((r) => `${r.table_name}.${r.column_name}->${r.ref}`).sort();
    const expected = warehouseTables
      .flatMap((t) =>
        t.columns.flatMap((c) => (c.references ? [`${t.name}.${c.name}->${c.references.table}`] : [])),
      )
      .sort();
    expect(actual).toEqual(expected);
  });

  it('reports a drifted column by table and column', async () => {
    await migrate({ warehouse: client, log: silentLog });
    await client.query('ALTER TABLE dim_location ALTER COLUMN postal_code TYPE varchar(20)');
    await client.query('ALTER TABLE fact_payment DROP COLUMN paid CASCADE');
    await client.query('ALTER TABLE dim_currency ADD COLUMN symbol text');
    await client.query('ALTER TABLE fact_purchase_order DROP CONSTRAINT fact_purchase_order_staff_id_fkey');
    const error = await checkWarehouseSchema(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaDriftError);
    expect((error as SchemaDriftError).problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dim_location\.postal_code: type is character varying, expected text/),
        expect.stringMatching(/^fact_payment\.paid: column is missing/),
        expect.stringMatching(/^dim_currency\.symbol: column is not in the schema module/),
        'fact_purchase_order.staff_id: foreign key fact_purchase_order_staff_id_fkey to dim_staff(staff_id) is missing',
      ]),
    );
    expect((error as Error).message).toContain('dim_location.postal_code');
  });

  describe('with a copy of the migrations', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'totes-mig-'));
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses to run when an applied migration has changed, naming it', async () => {
      await migrate({ warehouse: client, log: silentLog, dir });
      await writeFile(join(dir, '002_etl_ledger.sql'), '-- edited\nSELECT 1;\n');
      await writeFile(join(dir, '999_more.sql'), 'CREATE TABLE never_created (x integer);');
      const error = await migrate({ warehouse: client, log: silentLog, dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationChangedError);
      expect((error as Error).message).toMatch(/002_etl_ledger\.sql changed after it was applied/);
      const { rows } = await client.query(`SELECT to_regclass('public.never_created') AS t`);
      expect(rows[0].t).toBeNull();
    });

    it('applies a new migration and rolls back one that fails, leaving it pending', async () => {
      await migrate({ warehouse: client, log: silentLog, dir });
      const before = (await migrationNames()).length;
      await writeFile(join(dir, '901_ok.sql'), 'CREATE TABLE extra_ok (x integer);');
      await writeFile(
        join(dir, '902_bad.sql'),
        'CREATE TABLE extra_bad (x integer); SELECT no_such_function();',
      );
      await expect(migrate({ warehouse: client, log: silentLog, dir })).rejects.toThrow(
        /902_bad\.sql failed/,
      );
      const { rows } = await client.query(
        `SELECT to_regclass('public.extra_ok') AS ok, to_regclass('public.extra_bad') AS bad,
                (SELECT count(*)::int FROM etl.schema_migrations) AS applied`,
      );
      expect(rows[0]).toEqual({ ok: 'extra_ok', bad: null, applied: before + 1 });
    });

    it('lets two concurrent runners apply each migration once', async () => {
      const other = new Client({ connectionString: db.url });
      await other.connect();
      try {
        const [a, b] = await Promise.all([
          migrate({ warehouse: client, log: silentLog, dir }),
          migrate({ warehouse: other, log: silentLog, dir }),
        ]);
        expect([...a.applied, ...b.applied].sort()).toEqual(await migrationNames());
      } finally {
        await other.end();
      }
    });
  });
});
