import { syntheticPlan } from '../../../app/totesys/generator';
import { sourceTables } from '../../../lambdas/kernel/schema';
import {
  generatedRows,
  generatedSnapshotChanges,
  type SimulatedSource,
  simulatedSource,
  touched,
} from '../../support/generated-source';
import { inserts, type RawChange, RawFixture, type SourceRow } from '../../support/raw-fixtures';
import { describeWholeSnapshotTransform } from '../../support/snapshot-transform-suite';
import { closeReader, dimensionRows, factFiles, query, runTransform } from './helpers';

const SCALE = 3_000;
const plan = syntheticPlan(SCALE, 1);
const rows = (table: string) => generatedRows(table, SCALE);

describeWholeSnapshotTransform('transform of a whole generated totesys', {
  changes: () => generatedSnapshotChanges(SCALE),
  rows,
  facts: {
    fact_sales_order: plan.salesOrders,
    fact_purchase_order: plan.purchaseOrders,
    fact_payment: plan.transactions,
  },
  dimensions: {
    dim_staff: plan.staff,
    dim_location: plan.addresses,
    dim_design: plan.designs,
    dim_currency: 3,
    dim_counterparty: plan.counterparties,
    dim_payment_type: 4,
    dim_transaction: plan.transactions,
  },
});

/**
 * The change history of a real totesys, made by the project's simulator: the first capture
 * is the seeded source; the second re-delivers every row as it is after the simulated changes
 * (as a later full export does) and deletes the rows that are gone. Some rows changed with
 * last_updated untouched; deleted sales orders rewrote their transactions through
 * ON DELETE SET NULL, also without touching last_updated.
 */
describe('transform of a generated source, then of the same source after simulated changes', () => {
  let source: SimulatedSource;
  let fx: RawFixture;

  /** Every row of `after` as an update, and a delete for each row of `before` that is gone. */
  function redelivery(before: readonly SourceRow[], after: readonly SourceRow[], pk: string): RawChange[] {
    const kept = new Set(after.map((r) => r[pk]));
    return [
      ...after.map((row) => ({ op: 'u' as const, row })),
      ...before.filter((r) => !kept.has(r[pk])).map((r) => ({ op: 'd' as const, row: { [pk]: r[pk] } })),
    ];
  }

  beforeAll(async () => {
    source = await simulatedSource({ scale: 1_000, changes: 250 });
    fx = await RawFixture.create();
    await fx.commitRun(
      Object.fromEntries(sourceTables.map((t) => [t.name, inserts(source.before[t.name] ?? [])])),
      new Date('2024-11-15T12:00:00Z'),
    );
    await runTransform(fx);
    await fx.commitRun(
      Object.fromEntries(
        sourceTables.map((t) => [
          t.name,
          redelivery(source.before[t.name] ?? [], source.after[t.name] ?? [], t.primaryKey),
        ]),
      ),
      new Date('2024-11-16T12:00:00Z'),
    );
    await runTransform(fx);
  });

  afterAll(async () => {
    closeReader();
    await fx.cleanup();
    await source.cleanup();
  });

  it('holds every order once, plus one version per change: edits with and without last_updated, inserts, deletes', async () => {
    const sim = source.simulation;
    const updated = touched(sim, 'sales_order', 'update');
    const inserted = touched(sim, 'sales_order', 'insert');
    const deleted = touched(sim, 'sales_order', 'delete');
    expect([updated.length, inserted.length, deleted.length].every((n) => n > 0)).toBe(true);
    const [counts] = await query(
      `SELECT count(*) AS versions, count(DISTINCT sales_order_id) AS orders, count(*) FILTER (WHERE is_deleted) AS deleted FROM ${factFiles(fx, 'fact_sales_order')}`,
    );
    const before = source.before.sales_order?.length ?? 0;
    expect([Number(counts?.versions), Number(counts?.orders), Number(counts?.deleted)]).toEqual([
      before + updated.length + inserted.length + deleted.length,
      before + inserted.length,
      deleted.length,
    ]);
  });

  it('keeps the old and the new version of an order edited in place, with the same last_updated', async () => {
    const [id] = touched(source.simulation, 'sales_order', 'update', { bumpsLastUpdated: false });
    const versions = await query(
      `SELECT last_updated_date, last_updated_time, units_sold, design_id, sales_staff_id, agreed_delivery_date, agreed_delivery_location_id
         FROM ${factFiles(fx, 'fact_sales_order')} WHERE sales_order_id = ${id} ORDER BY observed_at`,
    );
    expect(versions).toHaveLength(2);
    const [first, second] = versions;
    expect([second?.last_updated_date, second?.last_updated_time]).toEqual([
      first?.last_updated_date,
      first?.last_updated_time,
    ]);
    expect(second).not.toEqual(first);
  });

  it('rewrites the transactions of deleted orders without their sales order, as ON DELETE SET NULL did', async () => {
    const orphaned = touched(source.simulation, 'transaction', 'update', { bumpsLastUpdated: false });
    expect(orphaned.length).toBeGreaterThan(0);
    const transactions = await dimensionRows(fx, 'dim_transaction', 'transaction_id');
    const rewritten = transactions.filter((t) => orphaned.includes(Number(t.transaction_id)));
    expect(rewritten.map((t) => [t.transaction_type, t.sales_order_id])).toEqual(
      orphaned.map(() => ['SALE', null]),
    );
  });

  it('ends with dimensions equal to the changed source', async () => {
    const designs = await dimensionRows(fx, 'dim_design', 'design_id');
    expect(designs).toEqual(
      (source.after.design ?? []).map((d) => ({
        design_id: d.design_id,
        design_name: d.design_name,
        file_location: d.file_location,
        file_name: d.file_name,
      })),
    );
    expect(
      touched(source.simulation, 'design', 'update', { bumpsLastUpdated: false }).length,
    ).toBeGreaterThan(0);
  });

  it('adds a version of each payment marked paid', async () => {
    const paid = touched(source.simulation, 'payment', 'update');
    const [counts] = await query(
      `SELECT count(*) FILTER (WHERE paid) AS paid, count(*) AS versions FROM ${factFiles(fx, 'fact_payment')} WHERE payment_id IN (${paid.join(', ')})`,
    );
    expect([Number(counts?.paid), Number(counts?.versions)]).toEqual([paid.length, 2 * paid.length]);
  });
});
