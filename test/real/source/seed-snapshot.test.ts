import { seedFromSnapshot } from '../../../app/totesys/seed';
import {
  changedInPlace,
  counts,
  describeSeedRules,
  versions,
  withSource,
} from '../../support/seed-snapshot-suite';
import { GREEN_DIR, MAY_DIR, NOV_DIR } from '../support/real-data';

const AIDAN = NOV_DIR;
const GREEN = GREEN_DIR;
const ARAN = MAY_DIR;

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
});

describeSeedRules('seedFromSnapshot rules on the real exports', {
  partial: (work) => work(ARAN),
  partialSalesOrders: 8307,
  complete: (work) => work(AIDAN),
});
