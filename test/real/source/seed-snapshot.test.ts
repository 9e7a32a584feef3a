import type { Client } from 'pg';
import { SeedConflictError } from '../../../app/totesys/errors';
import { createSourceSchema, seedFromSnapshot } from '../../../app/totesys/seed';
import { connectPg } from '../../../lambdas/kernel/db/connect';
import { createTestDatabase } from '../../support/pg';
import { GREEN_DIR, MAY_DIR, NOV_DIR } from '../support/real-data';

const AIDAN = NOV_DIR;
const GREEN = GREEN_DIR;
const ARAN = MAY_DIR;

async function withSource(run: (client: Client) => Promise<void>): Promise<void> {
  const db = await createTestDatabase('seed');
  const client = await connectPg(db.url, 'source');
  try {
    await createSourceSchema(client);
    await run(client);
  } finally {
    await client.end();
    await db.drop();
  }
}

async function counts(client: Client): Promise<Record<string, number>> {
  const { rows } = await client.query<{ t: string; n: number }>(
    `SELECT 'address' t, count(*)::int n FROM address UNION ALL SELECT 'counterparty', count(*)::int FROM counterparty
     UNION ALL SELECT 'currency', count(*)::int FROM currency UNION ALL SELECT 'department', count(*)::int FROM department
     UNION ALL SELECT 'design', count(*)::int FROM design UNION ALL SELECT 'payment', count(*)::int FROM payment
     UNION ALL SELECT 'payment_type', count(*)::int FROM payment_type
     UNION ALL SELECT 'purchase_order', count(*)::int FROM purchase_order
     UNION ALL SELECT 'sales_order', count(*)::int FROM sales_order UNION ALL SELECT 'staff', count(*)::int FROM staff
     UNION ALL SELECT 'transaction', count(*)::int FROM "transaction"`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/** Each row's values without its audit columns, and its last_updated, by primary key. */
async function versions(
  client: Client,
  table: string,
  pk: string,
): Promise<Map<number, { values: string; lu: string }>> {
  const { rows } = await client.query<{ id: number; values: string; lu: string }>(
    `SELECT ${pk} AS id, (to_jsonb(t) - 'created_at' - 'last_updated')::text AS values, last_updated::text AS lu
       FROM ${table} t`,
  );
  return new Map(rows.map((r) => [r.id, { values: r.values, lu: r.lu }]));
}

function changedInPlace(
  before: Map<number, { values: string; lu: string }>,
  after: Map<number, { values: string; lu: string }>,
): number[] {
  return [...before].flatMap(([id, old]) => {
    const now = after.get(id);
    return now && now.values !== old.values && now.lu === old.lu ? [id] : [];
  });
}

describe('seedFromSnapshot on the real exports', () => {
  it('loads the Nov 2024 JSON Lines snapshot with the row counts its README states', async () => {
    await withSource(async (client) => {
      const result = await seedFromSnapshot(client, AIDAN);
      expect(result.missing).toEqual([]);
      expect(await counts(client)).toEqual({
        address: 30,
        counterparty: 20,
        currency: 3,
        department: 8,
        design: 473,
        payment: 15836,
        payment_type: 4,
        purchase_order: 4649,
        sales_order: 11187,
        staff: 20,
        transaction: 15836,
      });
    });
  });

  it('keeps money exact to the cent and timestamps exact to the millisecond', async () => {
    await withSource(async (client) => {
      await seedFromSnapshot(client, AIDAN);
      const so = await client.query(
        `SELECT unit_price::text AS price, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS created
           FROM sales_order WHERE sales_order_id = 2`,
      );
      expect(so.rows[0]).toEqual({ price: '3.94', created: '2022-11-03 14:20:52.186' });
      const pay = await client.query(
        `SELECT payment_amount::text AS amount FROM payment WHERE payment_id = 2`,
      );
      expect(pay.rows[0]).toEqual({ amount: '552548.62' });
      const sum = await client.query(`SELECT sum(payment_amount)::text AS total FROM payment`);
      expect(sum.rows[0].total).toMatch(/^\d+\.\d{2}$/);
    });
  });

  it('loads the greenseahawk snapshot, whose payment table is missing, and timestamps exported without fractional seconds', async () => {
    await withSource(async (client) => {
      const result = await seedFromSnapshot(client, GREEN);
      expect(result.missing).toEqual(['payment']);
      expect(await counts(client)).toEqual({
        address: 30,
        counterparty: 20,
        currency: 3,
        department: 8,
        design: 472,
        payment: 0,
        payment_type: 4,
        purchase_order: 4640,
        sales_order: 11175,
        staff: 20,
        transaction: 15815,
      });
      // 23 sales orders were exported as "…:SS" with no fraction: they hold .000 exactly.
      const whole = await client.query(
        `SELECT count(*)::int AS n FROM sales_order WHERE date_trunc('second', created_at) = created_at`,
      );
      expect(whole.rows[0].n).toBeGreaterThanOrEqual(23);
    });
  });

  it('loads the May 2024 JSON-array snapshot with string money and space-separated timestamps', async () => {
    await withSource(async (client) => {
      const result = await seedFromSnapshot(client, ARAN);
      expect(result.tables.map((t) => t.table)).toEqual([
        'address',
        'counterparty',
        'currency',
        'department',
        'design',
        'staff',
        'sales_order',
      ]);
      const c = await counts(client);
      expect([c.sales_order, c.design, c.address, c.counterparty, c.staff, c.department, c.currency]).toEqual(
        [8307, 377, 30, 20, 20, 8, 3],
      );
      const so = await client.query(
        `SELECT unit_price::text AS price, to_char(last_updated, 'YYYY-MM-DD HH24:MI:SS.MS') AS updated
           FROM sales_order WHERE sales_order_id = 2`,
      );
      expect(so.rows[0]).toEqual({ price: '3.94', updated: '2022-11-03 14:20:52.186' });
    });
  });

  it('moves every serial sequence past the largest loaded id', async () => {
    await withSource(async (client) => {
      await seedFromSnapshot(client, ARAN);
      const inserted = await client.query(
        `INSERT INTO currency (currency_code) VALUES ('JPY') RETURNING currency_id`,
      );
      expect(inserted.rows[0].currency_id).toBe(4);
      const max = await client.query(`SELECT max(sales_order_id) AS m FROM sales_order`);
      const next = await client.query(
        `SELECT nextval(pg_get_serial_sequence('sales_order', 'sales_order_id'))::int AS n`,
      );
      expect(next.rows[0].n).toBe(max.rows[0].m + 1);
    });
  });

  it('refuses to load over existing rows without --upsert, leaving the database unchanged', async () => {
    await withSource(async (client) => {
      await seedFromSnapshot(client, ARAN);
      await expect(seedFromSnapshot(client, ARAN)).rejects.toBeInstanceOf(SeedConflictError);
      expect((await counts(client)).sales_order).toBe(8307);
    });
  });

  it('upserts the Nov snapshot over the May one keeping in-place changes with last_updated as in the file', async () => {
    await withSource(async (client) => {
      await seedFromSnapshot(client, ARAN);
      const before = {
        sales_order: await versions(client, 'sales_order', 'sales_order_id'),
        design: await versions(client, 'design', 'design_id'),
      };
      const result = await seedFromSnapshot(client, AIDAN, { upsert: true });
      expect(result.tables.find((t) => t.table === 'sales_order')?.inserted).toBe(11187 - 8307);
      expect(await counts(client)).toMatchObject({ sales_order: 11187, design: 473, payment: 15836 });
      const inPlace = {
        sales_order: changedInPlace(
          before.sales_order,
          await versions(client, 'sales_order', 'sales_order_id'),
        ),
        design: changedInPlace(before.design, await versions(client, 'design', 'design_id')),
      };
      // The counts: 47 sales orders and 43 designs changed while last_updated stayed put.
      expect(inPlace.sales_order).toHaveLength(47);
      expect(inPlace.design).toHaveLength(43);
      const probe = await client.query(
        `SELECT agreed_delivery_date AS d, to_char(last_updated, 'YYYY-MM-DD HH24:MI:SS.MS') AS lu
           FROM sales_order WHERE sales_order_id = 133`,
      );
      expect(probe.rows[0]).toEqual({ d: '2024-09-03', lu: '2022-12-19 17:30:09.990' });
    });
  });

  it('rewrites only the rows an upsert changes, so an identical replay creates no row versions', async () => {
    await withSource(async (client) => {
      await seedFromSnapshot(client, AIDAN);
      const replay = await seedFromSnapshot(client, AIDAN, { upsert: true });
      expect(replay.tables.every((t) => t.inserted === 0 && t.updated === 0)).toBe(true);
    });
  });
});
