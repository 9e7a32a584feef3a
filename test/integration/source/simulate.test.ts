import { SimulationError } from '../../../app/totesys/errors';
import { simulateChanges } from '../../../app/totesys/simulate';
import { seedSynthetic } from '../../../app/totesys/synthetic';
import { withSource } from '../../support/seed-snapshot-suite';
import { describeSimulatedEffects } from '../../support/simulate-suite';

describeSimulatedEffects('simulateChanges on a generated source', (client) =>
  seedSynthetic(client, { scale: 3_000, seed: 1 }),
);

describe('simulateChanges', () => {
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
