import type { Client } from 'pg';
import { CHANGE_KINDS, simulateChanges } from '../../app/totesys/simulate';
import { sourceTables } from '../../lambdas/kernel/schema';
import { withSource } from './seed-snapshot-suite';

interface RowState {
  readonly values: string;
  readonly lastUpdated: string;
}
type DbState = Map<string, Map<number, RowState>>;

/** Every row of every source table: its values without `last_updated`, and `last_updated`. */
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

/**
 * `simulateChanges` reports exactly the rows it touched, with how `last_updated` moved, on a
 * source `seed` fills. One suite for both data sets: generated (`test/integration/source/`)
 * and the real exports (`test/real/source/`).
 */
export function describeSimulatedEffects(title: string, seed: (client: Client) => Promise<unknown>): void {
  describe(title, () => {
    it('makes every kind of change and reports exactly the rows it touched, with how last_updated moved', async () => {
      await withSource(async (client) => {
        await seed(client);
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
            if (!prior || prior.values !== row.values || prior.lastUpdated !== row.lastUpdated)
              changed.add(id);
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
  });
}
