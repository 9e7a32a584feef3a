import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ingest } from '../../../lambdas/ingest/ingest';
import { readIngestState } from '../../../lambdas/kernel/lake/documents/ingest-state';
import { IngestStateError } from '../../../lambdas/kernel/lake/errors';
import { INGEST_STATE_KEY } from '../../../lambdas/kernel/lake/layout';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';
import { readRaw } from '../../support/lake-reader';
import { createTestDatabase } from '../../support/pg';
import { createTinySource } from '../../support/source-fixture';

/** Each table keeps its own capture point: a run that cannot read a table does not move it. */
describe('ingest: per-table capture points', () => {
  let db: { url: string; drop: () => Promise<void> };
  let source: Client;
  let lake: LocalLakeStore;

  const run = (over: Partial<Parameters<typeof ingest>[0]> = {}) =>
    ingest({ source, lake, log: silentLog, ...over });
  const designNames = async () => (await readRaw(lake, 'design')).map((r) => r.design_name);

  beforeEach(async () => {
    db = await createTestDatabase('pertable');
    source = new Client({ connectionString: db.url });
    await source.connect();
    await createTinySource(source);
    lake = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'totes-lake-')));
  });

  afterEach(async () => {
    await source.end();
    await db.drop();
  });

  /** A client logged in as a new role with `grants` run for it; dropped by the returned `drop`. */
  async function roleClient(grants: (role: string) => string[]) {
    const role = `r_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    await source.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    for (const grant of grants(role)) await source.query(grant);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'pw';
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    return {
      role,
      client,
      drop: async () => {
        await client.end();
        await source.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      },
    };
  }

  /** Waits until a session of `role` waits for a lock. */
  async function waitUntilBlocked(admin: Client, role: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await admin.query(
        "SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'",
        [role],
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no session of ${role} waited for a lock`);
  }

  it('records a horizon per table and keeps the old one for a table it skipped', async () => {
    await run();
    const first = (await readIngestState(lake)).state;
    expect(first.tables.design?.horizon).toMatch(/^\d+$/);

    await source.query('ALTER TABLE design RENAME TO design_away');
    await source.query('UPDATE sales_order SET units_sold = 1 WHERE sales_order_id = 1');
    const second = await run();
    const state = (await readIngestState(lake)).state;

    expect(second.tables.find((t) => t.table === 'design')?.error?.message).toMatch(/design does not exist/);
    expect(state.tables.design).toEqual(first.tables.design);
    expect(BigInt(state.tables.sales_order?.horizon ?? '0')).toBeGreaterThan(
      BigInt(first.tables.sales_order?.horizon ?? '0'),
    );
  });

  it('delivers a change made while a column was renamed away, once it is back', async () => {
    await run();
    await source.query('ALTER TABLE design RENAME COLUMN file_name TO file_name_old');
    await source.query("UPDATE design SET design_name = 'Granite' WHERE design_id = 1");
    const skipped = await run();
    expect(skipped.tables.find((t) => t.table === 'design')?.error?.message).toMatch(
      /design has no column file_name/,
    );

    await source.query('ALTER TABLE design RENAME COLUMN file_name_old TO file_name');
    const back = await run();
    await run();

    expect(back.tables.find((t) => t.table === 'design')?.ops).toEqual({ c: 0, u: 1, d: 0 });
    expect(await designNames()).toEqual(['Wooden', 'Granite']);
  });

  it('reads a table in full on its first readable run when the first run could not read it', async () => {
    const reader = await roleClient((role) => [
      `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`,
      `REVOKE SELECT ON design FROM ${role}`,
    ]);
    try {
      const first = await ingest({ source: reader.client, lake, log: silentLog });
      expect(first.tables.find((t) => t.table === 'design')?.error).toBeDefined();
      await source.query(`GRANT SELECT ON design TO ${reader.role}`);
      const second = await ingest({ source: reader.client, lake, log: silentLog });
      expect(second.tables.find((t) => t.table === 'design')?.ops).toEqual({ c: 1, u: 0, d: 0 });
      expect(await designNames()).toEqual(['Wooden']);
    } finally {
      await reader.drop();
    }
  });

  it('skips a table whose SELECT is revoked during the run, saying what to grant, and goes on', async () => {
    const reader = await roleClient((role) => [`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`]);
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      // The run has read the catalog and waits for design's lock while SELECT is revoked.
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE design IN ACCESS EXCLUSIVE MODE');
      const running = ingest({ source: reader.client, lake, log: silentLog });
      await waitUntilBlocked(admin, reader.role);
      await admin.query(`REVOKE SELECT ON design FROM ${reader.role}`);
      await admin.query('COMMIT');
      const first = await running;

      const design = first.tables.find((t) => t.table === 'design');
      expect(design?.error?.name).toBe('TableUnreadableError');
      expect(design?.error?.message).toMatch(/grant SELECT on design to that role/);
      expect(first.tables.find((t) => t.table === 'sales_order')?.ops.c).toBe(2);
      expect(first.tables.find((t) => t.table === 'payment')?.ops.c).toBe(1);

      await source.query("UPDATE design SET design_name = 'Granite' WHERE design_id = 1");
      await source.query(`GRANT SELECT ON design TO ${reader.role}`);
      const second = await ingest({ source: reader.client, lake, log: silentLog });
      expect(second.tables.find((t) => t.table === 'design')?.ops).toEqual({ c: 1, u: 0, d: 0 });
      expect(await designNames()).toEqual(['Granite']);
    } finally {
      await admin.end();
      await reader.drop();
    }
  });

  it('skips a table locked past the lock timeout, goes on, and captures its change later', async () => {
    await run();
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query("UPDATE design SET design_name = 'Granite' WHERE design_id = 1");
      await locker.query('LOCK TABLE design IN ACCESS EXCLUSIVE MODE');
      await source.query('UPDATE staff SET first_name = $1 WHERE staff_id = 1', ['Jem']);

      const locked = await run({ lockTimeoutMs: 200 });
      const design = locked.tables.find((t) => t.table === 'design');
      expect(design?.error?.message).toMatch(/held a lock on it for more than 200 ms/);
      expect(locked.tables.find((t) => t.table === 'staff')?.ops.u).toBe(1);
      await locker.query('COMMIT');
    } finally {
      await locker.end();
    }

    const after = await run();
    expect(after.tables.find((t) => t.table === 'design')?.ops.u).toBe(1);
    expect(await designNames()).toEqual(['Wooden', 'Granite']);
  });

  it('keeps the capture point of the tables a run was not asked to read', async () => {
    await run();
    await source.query("UPDATE design SET design_name = 'Granite' WHERE design_id = 1");
    await run({ tables: ['staff'] });
    const later = await run();

    expect(later.tables.find((t) => t.table === 'design')?.ops.u).toBe(1);
    expect(await designNames()).toEqual(['Wooden', 'Granite']);
  });

  it('reads a table of a state written before tables had their own horizon from the global one', async () => {
    await run();
    const { state } = await readIngestState(lake);
    const legacy = {
      ...state,
      tables: Object.fromEntries(
        Object.entries(state.tables).map(([name, { horizon: _unused, ...rest }]) => [name, rest]),
      ),
    };
    await lake.put(INGEST_STATE_KEY, JSON.stringify(legacy));
    await source.query("UPDATE design SET design_name = 'Granite' WHERE design_id = 1");

    const next = await run();
    expect(next.tables.filter((t) => t.rows > 0).map((t) => [t.table, t.ops])).toEqual([
      ['design', { c: 0, u: 1, d: 0 }],
    ]);
    expect((await readIngestState(lake)).state.tables.design?.horizon).toMatch(/^\d+$/);
  });

  it('refuses a state that does not match its contract, naming the key and the field', async () => {
    await run();
    const { state } = await readIngestState(lake);
    await lake.put(
      INGEST_STATE_KEY,
      JSON.stringify({ ...state, tables: { ...state.tables, design: { rowCount: 'one' } } }),
    );

    const failure = run();
    await expect(failure).rejects.toBeInstanceOf(IngestStateError);
    await expect(failure).rejects.toThrow(/state\/ingest\.json .*tables\.design\.rowCount/);
  });
});
