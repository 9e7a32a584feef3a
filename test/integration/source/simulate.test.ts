import type { Client } from 'pg';
import { SimulationError } from '../../../app/totesys/errors';
import { createSourceSchema } from '../../../app/totesys/seed';
import { CHANGE_KINDS, simulateChanges } from '../../../app/totesys/simulate';
import { seedSynthetic } from '../../../app/totesys/synthetic';
import { connectPg } from '../../../lambdas/kernel/db/connect';
import { sourceTables } from '../../../lambdas/kernel/schema';
import { createTestDatabase } from '../../support/pg';

interface RowState {
  readonly values: string;
  readonly lastUpdated: string;
}
type DbState = Map<string, Map<number, RowState>>;

async function withSource<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const db = await createTestDatabase('sim');
  const client = await connectPg(db.url, 'source');
  try {
    await createSourceSchema(client);
    return await run(client);
  } finally {
    await client.end();
    await db.drop();
  }
}

async function state(client: Client): Promise<DbState> {
  const out: DbState = new Map();
  for (const t of sourceTables) {
    const { rows } = await client.query<{ id: number; values: string; lu: string }>(
      `SELECT "${t.primaryKey}" AS id, (to_jsonb(x) - 'last_updated')::text AS values, last_updated::text AS lu
         FROM "${t.name}" x`,
    );
    out.set(t.name, new Map(rows.map((r) => [r.id, { values: r.values, lastUpdated: r.lu }])));
  }
  return out;
}

describe('simulateChanges', () => {
  it('makes every kind of change and reports exactly the rows it touched, with how last_updated moved', async () => {
    await withSource(async (client) => {
      await seedSynthetic(client, { scale: 3_000, seed: 1 });
      const before = await state(client);
      const result = await simulateChanges(client, { changes: 300, seed: 11, transactions: 3 });
      const after = await state(client);

      for (const kind of CHANGE_KINDS) expect(result.counts[kind]).toBeGreaterThan(0);
      expect(Object.values(result.counts).reduce((a, b) => a + b, 0) + result.skipped).toBe(300);

      for (const table of sourceTables.map((t) => t.name)) {
        const old = before.get(table) as Map<number, RowState>;
        const now = after.get(table) as Map<number, RowState>;
        const effects = result.effects.filter((e) => e.table === table);
        const reported = new Map<number, (typeof effects)[number]>();
        for (const e of effects) {
          for (const key of e.keys) {
            expect(reported.has(key)).toBe(false); // one effect per row
            reported.set(key, e);
          }
        }
        const changed = new Set<number>();
        for (const [id, row] of now) {
          const prior = old.get(id);
          if (!prior || prior.values !== row.values || prior.lastUpdated !== row.lastUpdated) changed.add(id);
        }
        for (const id of old.keys()) if (!now.has(id)) changed.add(id);
        expect([...changed].sort((a, b) => a - b)).toEqual([...reported.keys()].sort((a, b) => a - b));

        for (const [id, effect] of reported) {
          const prior = old.get(id);
          const row = now.get(id);
          if (effect.op === 'insert') {
            expect(prior).toBeUndefined();
            expect(row).toBeDefined();
          } else if (effect.op === 'delete') {
            expect(prior).toBeDefined();
            expect(row).toBeUndefined();
          } else {
            expect(row?.values).not.toBe(prior?.values);
            if (effect.bumpsLastUpdated) expect(row?.lastUpdated).not.toBe(prior?.lastUpdated);
            else expect(row?.lastUpdated).toBe(prior?.lastUpdated);
          }
        }
      }

      const orphaned = result.effects.find(
        (e) => e.kind === 'sales_order_delete' && e.table === 'transaction',
      );
      expect(orphaned?.keys.length).toBeGreaterThan(0);
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM "transaction" WHERE transaction_id = ANY($1) AND sales_order_id IS NULL`,
        [orphaned?.keys],
      );
      expect(rows[0].n).toBe(orphaned?.keys.length);
    });
  });

  it('creates orders whose transaction and payment settle them exactly', async () => {
    await withSource(async (client) => {
      await seedSynthetic(client, { scale: 500, seed: 1 });
      const result = await simulateChanges(client, { changes: 60, seed: 3 });
      const payments = result.effects
        .filter((e) => e.table === 'payment' && e.op === 'insert')
        .flatMap((e) => e.keys);
      expect(payments.length).toBeGreaterThan(0);
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM payment p JOIN "transaction" t USING (transaction_id)
           LEFT JOIN sales_order s ON s.sales_order_id = t.sales_order_id
           LEFT JOIN purchase_order o ON o.purchase_order_id = t.purchase_order_id
          WHERE p.payment_id = ANY($1)
            AND p.payment_amount = coalesce(s.units_sold * s.unit_price, o.item_quantity * o.item_unit_price)
            AND NOT p.paid`,
        [payments],
      );
      expect(rows[0].n).toBe(payments.length);
    });
  });

  it('makes the same changes for the same seed on the same source', async () => {
    const run = () =>
      withSource(async (client) => {
        await seedSynthetic(client, { scale: 300, seed: 1 });
        return simulateChanges(client, { changes: 40, seed: 9 });
      });
    expect(await run()).toEqual(await run());
  });

  it('refuses to simulate on an empty source and says to seed it', async () => {
    await withSource(async (client) => {
      await expect(simulateChanges(client, { changes: 5 })).rejects.toThrow(SimulationError);
      await expect(simulateChanges(client, { changes: 5 })).rejects.toThrow(/seed the source first/);
    });
  });
});
