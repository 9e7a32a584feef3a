import {
  closeReader,
  dimensionRows,
  factFiles,
  query,
  runTransform,
} from '../../integration/transform/helpers';
import { inserts, RawFixture } from '../../support/raw-fixtures';
import { describeWholeSnapshotTransform } from '../../support/snapshot-transform-suite';
import { mayRows, realRows, realSnapshotChanges } from '../support/real-data';

describeWholeSnapshotTransform('transform of the real Nov 2024 totesys snapshot', {
  changes: realSnapshotChanges,
  rows: realRows,
  facts: { fact_sales_order: 11187, fact_purchase_order: 4649, fact_payment: 15836 },
  dimensions: {
    dim_staff: 20,
    dim_location: 30,
    dim_design: 473,
    dim_currency: 3,
    dim_counterparty: 20,
    dim_payment_type: 4,
    dim_transaction: 15836,
  },
});

describe('transform of the real May 2024 snapshot, then the Nov 2024 one', () => {
  const MAY_TABLES = ['address', 'counterparty', 'currency', 'department', 'design', 'staff', 'sales_order'];
  let fx: RawFixture;

  beforeAll(async () => {
    fx = await RawFixture.create();
    await fx.commitRun(
      Object.fromEntries(MAY_TABLES.map((t) => [t, inserts(mayRows(t))])),
      new Date('2024-05-21T12:00:00Z'),
    );
    await runTransform(fx);
    // The Nov capture re-delivers every row: most are unchanged, some changed in place.
    const nov = realSnapshotChanges();
    await fx.commitRun(
      Object.fromEntries(
        Object.entries(nov).map(([t, list]) => [t, list.map((c) => ({ ...c, op: 'u' as const }))]),
      ),
      new Date('2024-11-15T15:00:00Z'),
    );
    await runTransform(fx);
  });

  afterAll(async () => {
    closeReader();
    await fx.cleanup();
  });

  it('holds every Nov order once plus one extra version per order changed since May', async () => {
    const [counts] = await query(
      `SELECT count(*) AS versions, count(DISTINCT sales_order_id) AS orders FROM ${factFiles(fx, 'fact_sales_order')}`,
    );
    expect([Number(counts?.versions), Number(counts?.orders)]).toEqual([11187 + 47, 11187]);
  });

  it('ends with dimensions equal to the Nov source', async () => {
    const designs = await dimensionRows(fx, 'dim_design', 'design_id');
    expect(designs).toEqual(
      realRows('design')
        .map((d) => ({
          design_id: d.design_id,
          design_name: d.design_name,
          file_location: d.file_location,
          file_name: d.file_name,
        }))
        .sort((a, b) => Number(a.design_id) - Number(b.design_id)),
    );
  });
});
