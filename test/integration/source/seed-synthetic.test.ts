import type { Client } from 'pg';
import { SeedConflictError } from '../../../app/totesys/errors';
import { seedSynthetic } from '../../../app/totesys/synthetic';
import { sourceTables } from '../../../lambdas/kernel/schema';
import { withSource } from '../../support/seed-snapshot-suite';

/** An md5 of every row of every table, in key order. */
async function checksums(client: Client): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of sourceTables) {
    const { rows } = await client.query(
      `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x."${t.primaryKey}"), '')) AS sum FROM "${t.name}" x`,
    );
    out[t.name] = rows[0].sum;
  }
  return out;
}

async function scalar<T = number>(client: Client, sql: string): Promise<T> {
  const { rows } = await client.query(sql);
  return Object.values(rows[0] as object)[0] as T;
}

describe('seedSynthetic', () => {
  it('generates the same rows for the same seed and different rows for another seed', async () => {
    const seeded = (seed: number) =>
      withSource(async (c) => {
        await seedSynthetic(c, { scale: 3000, seed });
        return checksums(c);
      });
    const a = await seeded(5);
    const b = await seeded(5);
    const other = await seeded(6);
    expect(b).toEqual(a);
    expect(other.sales_order).not.toBe(a.sales_order);
    expect(other.payment).not.toBe(a.payment);
  });

  it('honours the scale with the real ratios: 0.4156 purchase orders per sale, one transaction and one payment per order', async () => {
    await withSource(async (client) => {
      const result = await seedSynthetic(client, { scale: 20_000, seed: 1 });
      expect(result.plan).toMatchObject({ salesOrders: 20_000, purchaseOrders: 8312, transactions: 28_312 });
      expect(await scalar(client, 'SELECT count(*)::int FROM sales_order')).toBe(20_000);
      expect(await scalar(client, 'SELECT count(*)::int FROM purchase_order')).toBe(8312);
      expect(await scalar(client, 'SELECT count(*)::int FROM "transaction"')).toBe(28_312);
      expect(await scalar(client, 'SELECT count(*)::int FROM payment')).toBe(28_312);
      expect(
        await scalar(
          client,
          `SELECT count(*)::int FROM sales_order s
             FULL JOIN (SELECT sales_order_id, count(*) n FROM "transaction" WHERE sales_order_id IS NOT NULL
                         GROUP BY 1) t USING (sales_order_id)
            WHERE t.n IS DISTINCT FROM 1 OR s.sales_order_id IS NULL`,
        ),
      ).toBe(0);
      expect(
        await scalar(
          client,
          `SELECT count(*)::int FROM purchase_order p
             FULL JOIN (SELECT purchase_order_id, count(*) n FROM "transaction" WHERE purchase_order_id IS NOT NULL
                         GROUP BY 1) t USING (purchase_order_id)
            WHERE t.n IS DISTINCT FROM 1 OR p.purchase_order_id IS NULL`,
        ),
      ).toBe(0);
      expect(await scalar(client, 'SELECT count(DISTINCT transaction_id)::int FROM payment')).toBe(28_312);
      expect(
        await scalar(
          client,
          `SELECT array[(SELECT count(*) FROM address), (SELECT count(*) FROM counterparty), (SELECT count(*) FROM currency),
                        (SELECT count(*) FROM department), (SELECT count(*) FROM payment_type), (SELECT count(*) FROM staff)]::int[]`,
        ),
      ).toEqual([30, 20, 3, 8, 4, 20]);
    });
  });

  it('keeps every foreign key declared and valid after the load', async () => {
    await withSource(async (client) => {
      const before = await scalar(client, `SELECT count(*)::int FROM pg_constraint WHERE contype = 'f'`);
      await seedSynthetic(client, { scale: 2000, seed: 2 });
      expect(await scalar(client, `SELECT count(*)::int FROM pg_constraint WHERE contype = 'f'`)).toBe(
        before,
      );
      expect(
        await scalar(client, `SELECT bool_and(convalidated) FROM pg_constraint WHERE contype = 'f'`),
      ).toBe(true);
      await expect(
        client.query(`UPDATE payment SET transaction_id = 999999 WHERE payment_id = 1`),
      ).rejects.toThrow(/foreign key/);
    });
  });

  it('gives values the real data shape: amounts settle the order, dates days after creation, nulls where totesys has them', async () => {
    await withSource(async (client) => {
      await seedSynthetic(client, { scale: 10_000, seed: 3 });
      const mismatched = await scalar(
        client,
        `SELECT count(*)::int FROM payment p JOIN "transaction" t USING (transaction_id)
           LEFT JOIN sales_order s ON s.sales_order_id = t.sales_order_id
           LEFT JOIN purchase_order o ON o.purchase_order_id = t.purchase_order_id
          WHERE p.payment_amount <> coalesce(s.units_sold * s.unit_price, o.item_quantity * o.item_unit_price)
             OR p.created_at <> coalesce(s.created_at, o.created_at)
             OR p.currency_id <> coalesce(s.currency_id, o.currency_id)
             OR p.payment_type_id <> CASE WHEN t.transaction_type = 'SALE' THEN 1 ELSE 3 END`,
      );
      expect(mismatched).toBe(0);
      const shape = (
        await client.query(
          `SELECT min(units_sold) >= 1000 AND max(units_sold) < 100000 AS units,
                  min(unit_price) >= 2 AND max(unit_price) <= 4 AS price,
                  min(agreed_delivery_date::date - created_at::date) >= 0 AND max(agreed_delivery_date::date - created_at::date) <= 7 AS delivery,
                  min(agreed_payment_date::date - created_at::date) >= 0 AND max(agreed_payment_date::date - created_at::date) <= 6 AS payment,
                  min(created_at) >= '2022-11-03' AND max(created_at) < '2024-11-16' AS span,
                  bool_and(last_updated = created_at) AS untouched
             FROM sales_order`,
        )
      ).rows[0];
      expect(shape).toEqual({
        units: true,
        price: true,
        delivery: true,
        payment: true,
        span: true,
        untouched: true,
      });
      const paid = await scalar<number>(client, `SELECT avg(paid::int)::float FROM payment`);
      expect(paid).toBeGreaterThan(0.55);
      expect(paid).toBeLessThan(0.67);
      // Paying bumps last_updated; an unpaid payment was never touched after creation.
      expect(await scalar(client, `SELECT bool_and((last_updated > created_at) = paid) FROM payment`)).toBe(
        true,
      );
      expect(
        await scalar(client, `SELECT count(*)::int FROM address WHERE address_line_2 IS NULL`),
      ).toBeGreaterThan(10);
      expect(
        await scalar(client, `SELECT count(*)::int FROM address WHERE district IS NULL`),
      ).toBeGreaterThan(3);
    });
  });

  it('moves sequences past the generated ids and refuses a non-empty source', async () => {
    await withSource(async (client) => {
      await seedSynthetic(client, { scale: 500, seed: 4 });
      expect(
        await scalar(client, `SELECT nextval(pg_get_serial_sequence('payment', 'payment_id'))::int`),
      ).toBe(500 + 207 + 1);
      await expect(seedSynthetic(client, { scale: 10, seed: 4 })).rejects.toBeInstanceOf(SeedConflictError);
    });
  });
});
