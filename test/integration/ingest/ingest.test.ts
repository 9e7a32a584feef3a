import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ingest } from '../../../lambdas/ingest/ingest';
import { PreconditionFailedError } from '../../../lambdas/kernel/errors';
import { committedIngestSeq, readIngestManifest } from '../../../lambdas/kernel/lake/documents/manifests';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';
import { readRaw } from '../../support/lake-reader';
import { createTestDatabase } from '../../support/pg';
import { createTinySource } from '../../support/source-fixture';

describe('ingest (change capture) on a real PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  let source: Client;
  let lake: LocalLakeStore;

  const run = (over: Partial<Parameters<typeof ingest>[0]> = {}) =>
    ingest({ source, lake, log: silentLog, ...over });

  beforeEach(async () => {
    db = await createTestDatabase('ingest');
    source = new Client({ connectionString: db.url });
    await source.connect();
    await createTinySource(source);
    lake = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'totes-lake-')));
  });

  afterEach(async () => {
    await source.end();
    await db.drop();
  });

  it('captures every row of every table on the first run, values exact', async () => {
    const result = await run();

    expect(result.changed).toBe(true);
    expect(result.seq).toBe(1);
    expect(result.tables.map((t) => [t.table, t.ops.c])).toEqual(
      expect.arrayContaining([
        ['address', 2],
        ['sales_order', 2],
        ['transaction', 3],
        ['payment', 1],
      ]),
    );
    const orders = await readRaw(lake, 'sales_order');
    expect(orders[0]).toEqual({
      _op: 'c',
      _run_id: result.runId,
      _extracted_at: result.extractedAt,
      sales_order_id: 1,
      created_at: '2022-11-03T14:20:52.186',
      last_updated: '2022-11-03T14:20:52.186',
      design_id: 1,
      staff_id: 1,
      counterparty_id: 1,
      units_sold: 42972,
      unit_price: '3.94',
      currency_id: 1,
      agreed_delivery_date: '2022-11-07',
      agreed_payment_date: '2022-11-08',
      agreed_delivery_location_id: 2,
    });
    expect(orders[1]).toMatchObject({ unit_price: '0.10', created_at: '2022-11-03T14:20:52.000' });
    expect((await readRaw(lake, 'payment'))[0]).toMatchObject({ payment_amount: '552548.62', paid: false });
    expect((await readRaw(lake, 'address'))[0]).toMatchObject({ address_line_2: null });
    const manifest = await readIngestManifest(lake, 1);
    expect(manifest.objects).toHaveLength(11);
  });

  it('re-delivers nothing when the source is unchanged', async () => {
    const first = await run();
    const second = await run();

    expect(second.changed).toBe(false);
    expect(second.seq).toBe(first.seq);
    expect(await committedIngestSeq(lake)).toBe(1);
    expect(await readRaw(lake, 'sales_order')).toHaveLength(2);
  });

  it('captures an update that bumps last_updated exactly once', async () => {
    await run();
    await source.query(
      `UPDATE payment SET paid = true, last_updated = '2024-01-01 10:00:00.5' WHERE payment_id = 1`,
    );
    const second = await run();
    await run();

    const payments = await readRaw(lake, 'payment');
    expect(payments.filter((p) => p._run_id === second.runId)).toEqual([
      expect.objectContaining({ _op: 'u', paid: true, last_updated: '2024-01-01T10:00:00.500' }),
    ]);
    expect(payments).toHaveLength(2);
  });

  it('captures an in-place edit that leaves last_updated untouched', async () => {
    await run();
    await source.query(`UPDATE sales_order SET units_sold = 43000 WHERE sales_order_id = 1`);
    const second = await run();

    const changes = (await readRaw(lake, 'sales_order')).filter((r) => r._run_id === second.runId);
    expect(changes).toEqual([
      expect.objectContaining({
        _op: 'u',
        sales_order_id: 1,
        units_sold: 43000,
        last_updated: '2022-11-03T14:20:52.186',
      }),
    ]);
    expect(second.tables.find((t) => t.table === 'design')?.rows).toBe(0);
  });

  it('captures an insert as a create', async () => {
    await run();
    await source.query(
      `INSERT INTO design (design_name, file_location, file_name) VALUES ('Granite', '/private', 'granite-x.json')`,
    );
    const second = await run();

    expect((await readRaw(lake, 'design')).filter((r) => r._run_id === second.runId)).toEqual([
      expect.objectContaining({ _op: 'c', design_id: 2, design_name: 'Granite' }),
    ]);
  });

  it('records a delete as a tombstone and the ON DELETE SET NULL side effect as an update', async () => {
    await run();
    await source.query('DELETE FROM sales_order WHERE sales_order_id = 2');
    const second = await run();

    const orders = (await readRaw(lake, 'sales_order')).filter((r) => r._run_id === second.runId);
    expect(orders).toEqual([
      { _op: 'd', _run_id: second.runId, _extracted_at: second.extractedAt, sales_order_id: 2 },
    ]);
    const transactions = (await readRaw(lake, 'transaction')).filter((r) => r._run_id === second.runId);
    expect(transactions).toEqual([
      expect.objectContaining({ _op: 'u', transaction_id: 3, sales_order_id: null }),
    ]);
  });

  it('finds a delete even when the same run inserts rows', async () => {
    await run();
    await source.query('DELETE FROM sales_order WHERE sales_order_id = 2');
    await source.query(
      `INSERT INTO sales_order (design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
       VALUES (1, 1, 1, 5, 1.00, 1, '2024-01-02', '2024-01-03', 1)`,
    );
    const second = await run();

    expect(second.tables.find((t) => t.table === 'sales_order')?.ops).toEqual({ c: 1, u: 0, d: 1 });
  });

  it('reads every key only after a delete, or every reconcileEvery runs', async () => {
    const sinceReconcile = async () => {
      const state = JSON.parse((await lake.get('state/ingest.json'))?.body.toString() ?? '{}');
      return state.tables.sales_order.runsSinceReconcile as number;
    };
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      await run({ reconcileEvery: 3 });
      seen.push(await sinceReconcile());
    }
    await source.query('DELETE FROM sales_order WHERE sales_order_id = 2');
    await run({ reconcileEvery: 3 });
    seen.push(await sinceReconcile());

    expect(seen).toEqual([0, 1, 2, 0, 0]);
  });

  it('loses nothing when it crashes between writing raw objects and saving its state', async () => {
    await run();
    await source.query(`UPDATE design SET file_name = 'wooden-v2.json' WHERE design_id = 1`);
    const crashing: LakeStore = Object.assign(Object.create(lake) as LakeStore, {
      putIf: async () => {
        throw new Error('simulated crash before the state is saved');
      },
    });
    await expect(run({ lake: crashing })).rejects.toThrow(/simulated crash/);
    expect(await committedIngestSeq(lake)).toBe(1);

    const retry = await run();

    expect(retry.seq).toBe(2);
    const manifest = await readIngestManifest(lake, 2);
    expect(manifest.runId).toBe(retry.runId);
    const designs = (await readRaw(lake, 'design')).filter((r) => r._run_id === retry.runId);
    expect(designs).toEqual([expect.objectContaining({ _op: 'u', file_name: 'wooden-v2.json' })]);
  });

  it('refuses to commit over a state another run committed meanwhile', async () => {
    await run();
    const stale = await lake.get('state/ingest.json');
    await run({ clock: () => new Date('2030-01-01T00:00:00Z') });
    const racing: LakeStore = Object.assign(Object.create(lake) as LakeStore, {
      get: async (key: string) => (key === 'state/ingest.json' ? stale : lake.get(key)),
      putIf: lake.putIf.bind(lake),
    });
    await expect(run({ lake: racing })).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  it('catches rows committed by a transaction that was open during the previous read', async () => {
    await run();
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO currency (currency_code, created_at, last_updated) VALUES ('EUR', now() - interval '1 hour', now() - interval '1 hour')`,
      );
      await run();
      await writer.query('COMMIT');
    } finally {
      await writer.end();
    }
    const third = await run();

    expect((await readRaw(lake, 'currency')).filter((r) => r._run_id === third.runId)).toEqual([
      expect.objectContaining({ _op: 'c', currency_code: 'EUR' }),
    ]);
  });

  it('works with a read-only role', async () => {
    const role = `reader_${Date.now()}`;
    await source.query(`CREATE ROLE ${role} LOGIN PASSWORD 'reader-pw'`);
    await source.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'reader-pw';
    const reader = new Client({ connectionString: url.toString() });
    await reader.connect();
    try {
      const result = await ingest({ source: reader, lake, log: silentLog });
      expect(result.tables.every((t) => t.error === undefined)).toBe(true);
      expect(await readRaw(lake, 'staff')).toHaveLength(1);
    } finally {
      await reader.end();
      await source.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });

  it('lands a hostile value as data', async () => {
    const hostile = `Robert'); DROP TABLE staff; -- "\\ \n\t`;
    await source.query('UPDATE department SET manager = $1 WHERE department_id = 1', [hostile]);
    await run();

    expect((await readRaw(lake, 'department'))[0]).toMatchObject({ manager: hostile });
    expect((await source.query('SELECT count(*)::int AS n FROM staff')).rows[0].n).toBe(1);
  });

  it('keeps a column the schema does not know in raw and reports it', async () => {
    await source.query(`ALTER TABLE currency ADD COLUMN symbol text DEFAULT '£'`);
    const result = await run();

    expect(result.tables.find((t) => t.table === 'currency')?.extraColumns).toEqual(['symbol']);
    expect((await readRaw(lake, 'currency'))[0]).toMatchObject({ currency_code: 'GBP', symbol: '£' });
  });

  it('skips a table that lost a column, names it, and captures the others', async () => {
    await source.query('ALTER TABLE design DROP COLUMN file_location');
    const result = await run();

    const design = result.tables.find((t) => t.table === 'design');
    expect(design?.error?.message).toMatch(/design has no column file_location/);
    expect(await readRaw(lake, 'design')).toHaveLength(0);
    expect(await readRaw(lake, 'sales_order')).toHaveLength(2);
  });
});
