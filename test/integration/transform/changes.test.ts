import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { sqlString } from '../../../lambdas/kernel/duckdb/duckdb';
import {
  committedTransformSeq,
  readTransformManifest,
} from '../../../lambdas/kernel/lake/documents/manifests';
import { readTransformState } from '../../../lambdas/kernel/lake/documents/transform-state';
import type { LakeStore, PutCondition } from '../../../lambdas/kernel/lake/lake-store';
import { dimensionChangesKey, quarantineKey, TRANSFORM_STATE_KEY } from '../../../lambdas/kernel/lake/layout';
import { generatedRow, generatedRows, referenceSources } from '../../support/generated-source';
import { inserts, type RawChange, RawFixture } from '../../support/raw-fixtures';
import { closeReader, dimensionRows, factFiles, query, runTransform } from './helpers';

/** Every dimension source table in full, plus sales orders 2, 3 and 4 (generated rows). */
function baseRun(): Record<string, RawChange[]> {
  return {
    ...Object.fromEntries(referenceSources.map((t) => [t, inserts(generatedRows(t))])),
    sales_order: inserts([2, 3, 4].map((id) => generatedRow('sales_order', id))),
  };
}

const order = (id: number) => generatedRow('sales_order', id);
/** The department of staff member 1, and how many staff it has. */
const department = generatedRow('department', Number(generatedRow('staff', 1).department_id));
const departmentStaff = generatedRows('staff').filter(
  (s) => s.department_id === department.department_id,
).length;
/** The legal address of counterparty 1. */
const legalAddress = generatedRow('address', Number(generatedRow('counterparty', 1).legal_address_id));

const at = (minute: number) => new Date(Date.UTC(2024, 10, 16, 9, minute, 0, 250));

async function salesVersions(fx: RawFixture, id: number) {
  return query(
    `SELECT units_sold, unit_price, is_deleted, strftime(observed_at, '%Y-%m-%d %H:%M:%S.%g') AS observed_at FROM ${factFiles(fx, 'fact_sales_order')} WHERE sales_order_id = ${id} ORDER BY observed_at`,
  );
}

async function quarantineLines(fx: RawFixture, table: string, batchId: string | undefined) {
  const text = await readFile(fx.lake.localPath(quarantineKey(table, batchId ?? '')), 'utf8');
  return text
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('transform of changes', () => {
  let fx: RawFixture;

  beforeEach(async () => {
    fx = await RawFixture.create();
    await fx.commitRun(baseRun(), at(0));
    await runTransform(fx);
  });

  afterEach(async () => {
    await fx.cleanup();
  });

  afterAll(() => closeReader());

  it('points a dimension back at its committed snapshot even when nothing is waiting', async () => {
    const catalog = new LocalCatalog(fx.lake);
    const committed = await catalog.currentDimension('dim_design');
    await catalog.switchDimension('dim_design', 'curated/dim_design/snapshot=unpublished/');

    const result = await runTransform(fx);

    expect(result.status).toBe('up-to-date');
    expect(await catalog.currentDimension('dim_design')).toBe(committed);
  });

  it('adds a version when a row changes, even with an unchanged last_updated', async () => {
    const changed = { ...order(2), units_sold: 50000 };
    await fx.commitRun({ sales_order: [{ op: 'u', row: changed }] }, at(1));
    const result = await runTransform(fx);
    expect(result.facts).toEqual({ fact_sales_order: 1 });
    expect(await salesVersions(fx, 2)).toEqual([
      {
        units_sold: order(2).units_sold,
        unit_price: order(2).unit_price,
        is_deleted: false,
        observed_at: '2024-11-16 09:00:00.250',
      },
      {
        units_sold: 50000,
        unit_price: order(2).unit_price,
        is_deleted: false,
        observed_at: '2024-11-16 09:01:00.250',
      },
    ]);
  });

  it('adds nothing for an unchanged re-delivery', async () => {
    await fx.commitRun({ sales_order: [{ op: 'u', row: order(3) }] }, at(1));
    const result = await runTransform(fx);
    expect(result).toMatchObject({ status: 'committed', facts: {}, dimensions: {} });
    expect(await salesVersions(fx, 3)).toHaveLength(1);
  });

  it('records a delete as an is_deleted version carrying the last known values', async () => {
    await fx.commitRun({ sales_order: [{ op: 'd', row: { sales_order_id: 4 } }] }, at(1));
    await runTransform(fx);
    await fx.commitRun({ sales_order: [{ op: 'd', row: { sales_order_id: 4 } }] }, at(2));
    await runTransform(fx);
    const versions = await salesVersions(fx, 4);
    expect(versions.map((v) => [v.units_sold, v.unit_price, v.is_deleted])).toEqual([
      [order(4).units_sold, order(4).unit_price, false],
      [order(4).units_sold, order(4).unit_price, true],
    ]);
  });

  it('keeps every distinct version seen within one batch, in order', async () => {
    const row = order(2);
    await fx.commitRun({ sales_order: [{ op: 'u', row: { ...row, units_sold: 1 } }] }, at(1));
    await fx.commitRun({ sales_order: [{ op: 'u', row: { ...row, units_sold: 1 } }] }, at(2));
    await fx.commitRun({ sales_order: [{ op: 'u', row: { ...row, units_sold: 2 } }] }, at(3));
    const result = await runTransform(fx);
    expect(result.ingestSeqs).toEqual({ from: 1, to: 4 });
    expect((await salesVersions(fx, 2)).map((v) => v.units_sold)).toEqual([order(2).units_sold, 1, 2]);
  });

  it("re-emits a department's staff when the department changes", async () => {
    const renamed = { ...department, department_name: 'Procurement' };
    await fx.commitRun({ department: [{ op: 'u', row: renamed }] }, at(1));
    const result = await runTransform(fx);
    expect(result.dimensions).toEqual({ dim_staff: 20 });
    const staff = await dimensionRows(fx, 'dim_staff', 'staff_id');
    expect(staff[0]).toMatchObject({ staff_id: 1, department_name: 'Procurement' });
    expect(staff.filter((s) => s.department_name === 'Procurement')).toHaveLength(departmentStaff);
  });

  it('re-emits the counterparties and the location of a changed address', async () => {
    await fx.commitRun({ address: [{ op: 'u', row: { ...legalAddress, city: 'Leeds' } }] }, at(1));
    const result = await runTransform(fx);
    expect(Object.keys(result.dimensions).sort()).toEqual(['dim_counterparty', 'dim_location']);
    const [counterparty] = await dimensionRows(fx, 'dim_counterparty', 'counterparty_id');
    expect(counterparty).toMatchObject({ counterparty_id: 1, counterparty_legal_city: 'Leeds' });
    const locations = await dimensionRows(fx, 'dim_location', 'location_id');
    expect(locations.find((l) => l.location_id === legalAddress.address_id)).toMatchObject({ city: 'Leeds' });
  });

  it('lists the first snapshot of each dimension as its changed rows', async () => {
    const manifest = await readTransformManifest(fx.lake, 1);
    expect(manifest.dimensionChanges).toEqual(manifest.dimensions);
  });

  it('publishes only the new or changed rows of a dimension, outside its snapshot folder', async () => {
    const renamed = { ...generatedRow('design', 3), design_name: 'Renamed' };
    await fx.commitRun({ design: [{ op: 'u', row: renamed }] }, at(1));
    const result = await runTransform(fx);
    const manifest = await readTransformManifest(fx.lake, 2);
    expect(result.dimensions).toEqual({ dim_design: generatedRows('design').length });
    expect(manifest.dimensionChanges).toEqual([
      { table: 'dim_design', key: dimensionChangesKey('dim_design', result.batchId ?? ''), rows: 1 },
    ]);
    const key = manifest.dimensionChanges?.[0]?.key ?? '';
    expect(key.startsWith('curated/dim_design/')).toBe(false);
    const changed = await query(
      `SELECT design_id, design_name FROM read_parquet(${sqlString(fx.lake.localPath(key))})`,
    );
    expect(changed).toEqual([{ design_id: 3, design_name: 'Renamed' }]);
    const designs = await dimensionRows(fx, 'dim_design', 'design_id');
    expect(designs).toHaveLength(generatedRows('design').length);
    expect(designs.find((d) => d.design_id === 3)).toMatchObject({ design_name: 'Renamed' });
  });

  it('publishes the staff of a changed department as the changed rows of dim_staff', async () => {
    const renamed = { ...department, department_name: 'Procurement' };
    await fx.commitRun({ department: [{ op: 'u', row: renamed }] }, at(1));
    await runTransform(fx);
    const [changes] = (await readTransformManifest(fx.lake, 2)).dimensionChanges ?? [];
    expect(changes).toMatchObject({ table: 'dim_staff', rows: departmentStaff });
  });

  it('rebuilds dim_transaction for the changed transactions only, keeping every other row', async () => {
    const [first, second, third] = generatedRows('transaction');
    if (!first || !second || !third) throw new Error('the generator makes transactions');
    await fx.commitRun({ transaction: inserts([first, second]) }, at(1));
    expect((await runTransform(fx)).dimensions).toEqual({ dim_transaction: 2 });

    await fx.commitRun(
      {
        transaction: [
          { op: 'u', row: { ...first, last_updated: '2024-11-16T09:02:00.000' } },
          { op: 'u', row: { ...second, purchase_order_id: 4 } },
          { op: 'c', row: third },
        ],
      },
      at(2),
    );
    const result = await runTransform(fx);
    expect(result.dimensions).toEqual({ dim_transaction: 3 });
    const [changes] = (await readTransformManifest(fx.lake, 3)).dimensionChanges ?? [];
    const changed = await query(
      `SELECT transaction_id, purchase_order_id FROM read_parquet(${sqlString(fx.lake.localPath(changes?.key ?? ''))}) ORDER BY 1`,
    );
    expect(changed).toEqual([
      { transaction_id: second.transaction_id, purchase_order_id: 4 },
      { transaction_id: third.transaction_id, purchase_order_id: third.purchase_order_id },
    ]);
    const all = await dimensionRows(fx, 'dim_transaction', 'transaction_id');
    expect(all.map((t) => t.transaction_id)).toEqual(
      [first, second, third].map((t) => t.transaction_id).sort((a, b) => Number(a) - Number(b)),
    );

    await fx.commitRun(
      { transaction: [{ op: 'u', row: { ...first, last_updated: '2024-11-16T09:03:00.000' } }] },
      at(3),
    );
    expect((await runTransform(fx)).dimensions).toEqual({});
  });

  it('keeps the dimension row of a deleted source row', async () => {
    await fx.commitRun({ design: [{ op: 'd', row: { design_id: 3 } }] }, at(1));
    const result = await runTransform(fx);
    expect(result.dimensions).toEqual({});
    const designs = await dimensionRows(fx, 'dim_design', 'design_id');
    expect(designs.find((d) => d.design_id === 3)).toMatchObject({
      design_name: generatedRow('design', 3).design_name,
    });
  });

  it('quarantines bad rows with their reason and goes on with the rest', async () => {
    const row = (id: number) => ({ ...order(2), sales_order_id: id });
    await fx.commitRun(
      {
        sales_order: [
          { op: 'c', row: row(100), raw: { units_sold: null } },
          { op: 'c', row: row(101), raw: { agreed_payment_date: '2024-13-45' } },
          { op: 'c', row: row(102), raw: { agreed_delivery_date: 'soon' } },
          { op: 'c', row: row(103), raw: { unit_price: '123456789.00' } },
          { op: 'c', row: row(104), raw: { created_at: 'yesterday' } },
          { op: 'c', row: row(105) },
        ],
      },
      at(1),
    );
    const result = await runTransform(fx);
    expect(result.facts).toEqual({ fact_sales_order: 1 });
    expect(result.quarantined).toEqual([
      { table: 'sales_order', reason: 'invalid_date', column: 'agreed_delivery_date', rows: 1 },
      { table: 'sales_order', reason: 'invalid_date', column: 'agreed_payment_date', rows: 1 },
      { table: 'sales_order', reason: 'invalid_money', column: 'unit_price', rows: 1 },
      { table: 'sales_order', reason: 'invalid_timestamp', column: 'created_at', rows: 1 },
      { table: 'sales_order', reason: 'not_null', column: 'units_sold', rows: 1 },
    ]);
    const lines = await quarantineLines(fx, 'sales_order', result.batchId);
    expect(lines.map((l) => [l.key, l.reason, l.column])).toEqual([
      [100, 'not_null', 'units_sold'],
      [101, 'invalid_date', 'agreed_payment_date'],
      [102, 'invalid_date', 'agreed_delivery_date'],
      [103, 'invalid_money', 'unit_price'],
      [104, 'invalid_timestamp', 'created_at'],
    ]);
    expect(lines[1]).toMatchObject({
      table: 'sales_order',
      batch_id: result.batchId,
      detail: expect.stringContaining('date'),
      row: {
        sales_order_id: 101,
        agreed_payment_date: '2024-13-45',
        unit_price: order(2).unit_price,
        _op: 'c',
      },
    });
    const manifest = await readTransformManifest(fx.lake, result.seq);
    expect(manifest.quarantine).toEqual([
      { table: 'sales_order', key: quarantineKey('sales_order', result.batchId ?? ''), rows: 5 },
    ]);
  });

  it('holds a fact whose dimension row has not arrived and emits it once it does', async () => {
    const early = { ...order(2), sales_order_id: 200, design_id: 9999 };
    await fx.commitRun({ sales_order: [{ op: 'c', row: early }] }, at(1));
    const held = await runTransform(fx);
    expect(held.facts).toEqual({});
    expect(held.held).toEqual({ sales_order: 1 });
    expect(held.quarantined).toEqual([
      { table: 'sales_order', reason: 'missing_dimension_row', column: 'design_id', rows: 1 },
    ]);

    await fx.commitRun({ currency: [{ op: 'u', row: generatedRow('currency', 1) }] }, at(2));
    const stillHeld = await runTransform(fx);
    expect(stillHeld).toMatchObject({ facts: {}, held: { sales_order: 1 }, quarantined: [] });

    const design = { ...generatedRow('design', 3), design_id: 9999, design_name: 'Late' };
    await fx.commitRun({ design: [{ op: 'c', row: design }] }, at(3));
    const released = await runTransform(fx);
    expect(released).toMatchObject({
      facts: { fact_sales_order: 1 },
      held: { sales_order: 0 },
      quarantined: [],
    });
    expect(released.dimensions).toMatchObject({ dim_design: generatedRows('design').length + 1 });
    expect(await salesVersions(fx, 200)).toHaveLength(1);
  });

  it('reruns a batch that crashed before its commit with the same result and no leftovers', async () => {
    await fx.commitRun(
      {
        department: [{ op: 'u', row: { ...department, department_name: 'Procurement' } }],
        sales_order: [{ op: 'u', row: { ...order(3), units_sold: 7 } }],
      },
      at(1),
    );
    const crashing: LakeStore = Object.assign(Object.create(fx.lake) as LakeStore, {
      putIf: async (key: string, body: Buffer | string, condition: PutCondition) => {
        if (key === TRANSFORM_STATE_KEY) throw new Error('simulated crash before the commit');
        return fx.lake.putIf(key, body, condition);
      },
    });
    await expect(runTransform(fx, { lake: crashing })).rejects.toThrow('simulated crash');
    expect(await committedTransformSeq(fx.lake)).toBe(1);
    const crashedPointer = await new LocalCatalog(fx.lake).currentDimension('dim_staff');

    const rerun = await runTransform(fx);
    expect(rerun).toMatchObject({
      status: 'committed',
      seq: 2,
      facts: { fact_sales_order: 1 },
      dimensions: { dim_staff: 20 },
    });
    expect(await new LocalCatalog(fx.lake).currentDimension('dim_staff')).toBe(
      `curated/dim_staff/snapshot=${rerun.batchId}/`,
    );
    expect(crashedPointer).not.toBe(`curated/dim_staff/snapshot=${rerun.batchId}/`);
    expect((await salesVersions(fx, 3)).map((v) => v.units_sold)).toEqual([order(3).units_sold, 7]);
    const crashedBatch = crashedPointer?.match(/snapshot=(.+)\/$/)?.[1] ?? 'none';
    const leftovers: string[] = [];
    for await (const key of fx.lake.list('')) if (key.includes(crashedBatch)) leftovers.push(key);
    expect(leftovers).toEqual([]);
  });

  it('merges the memory of a fact source into a new base after 16 delta files, still de-duplicating', async () => {
    const lengths: number[] = [];
    for (let minute = 1; minute <= 17; minute++) {
      const row = { ...order(2), units_sold: minute };
      await fx.commitRun({ sales_order: [{ op: 'u', row }] }, at(minute));
      await runTransform(fx);
      lengths.push((await readTransformState(fx.lake)).state.current.sales_order?.length ?? 0);
    }
    expect(lengths.slice(13)).toEqual([15, 16, 1, 2]);
    await fx.commitRun({ sales_order: [{ op: 'u', row: { ...order(2), units_sold: 17 } }] }, at(30));
    expect((await runTransform(fx)).facts).toEqual({});
    expect(await salesVersions(fx, 2)).toHaveLength(18);
    expect(await salesVersions(fx, 3)).toHaveLength(1);
  });

  it('works on a remote lake by downloading inputs and uploading every output', async () => {
    const local = fx.lake;
    const remote: LakeStore = {
      url: 's3://bucket/lake',
      put: (key, body) => local.put(key, body),
      putIf: (key, body, condition) => local.putIf(key, body, condition),
      get: (key) => local.get(key),
      download: (key, path) => local.download(key, path),
      upload: (path, key) => local.upload(path, key),
      copy: (from, to) => local.copy(from, to),
      list: (prefix) => local.list(prefix),
      delete: (key) => local.delete(key),
      localPath: () => undefined,
    };
    const download = jest.spyOn(remote, 'download');
    await fx.commitRun({ sales_order: [{ op: 'u', row: { ...order(3), units_sold: 5 } }] }, at(1));
    const result = await runTransform(fx, { lake: remote });
    expect(result.facts).toEqual({ fact_sales_order: 1 });
    expect(download.mock.calls.map(([key]) => key.split('/')[0])).toEqual(
      expect.arrayContaining(['raw', 'state']),
    );
    expect((await salesVersions(fx, 3)).map((v) => v.units_sold)).toEqual([order(3).units_sold, 5]);
    expect(await readdir(join(fx.dir, 'work'))).toEqual([]);
  });

  it('consumes at most maxIngestRuns per batch and says when more remain', async () => {
    for (const minute of [1, 2, 3]) {
      await fx.commitRun(
        { sales_order: [{ op: 'u', row: { ...order(2), units_sold: minute } }] },
        at(minute),
      );
    }
    const first = await runTransform(fx, { maxIngestRuns: 2 });
    expect(first).toMatchObject({
      ingestSeqs: { from: 1, to: 3 },
      more: true,
      facts: { fact_sales_order: 2 },
    });
    const second = await runTransform(fx, { maxIngestRuns: 2 });
    expect(second).toMatchObject({
      ingestSeqs: { from: 3, to: 4 },
      more: false,
      facts: { fact_sales_order: 1 },
    });
  });
});

describe('transform of a first batch', () => {
  let fx: RawFixture;

  beforeEach(async () => {
    fx = await RawFixture.create();
  });

  afterEach(async () => {
    await fx.cleanup();
  });

  afterAll(() => closeReader());

  it('keeps every version of a row seen more than once before its first batch', async () => {
    const row = order(2);
    await fx.commitRun({ ...baseRun(), sales_order: inserts([row]) }, at(0));
    await fx.commitRun({ sales_order: [{ op: 'u', row: { ...row, units_sold: 7 } }] }, at(1));
    const result = await runTransform(fx);
    expect(result.facts).toEqual({ fact_sales_order: 2 });
    expect((await salesVersions(fx, 2)).map((v) => v.units_sold)).toEqual([order(2).units_sold, 7]);
  });

  it('quarantines a delete of a row it has never seen, and writes the rest', async () => {
    await fx.commitRun(
      {
        ...baseRun(),
        sales_order: [...inserts([order(2)]), { op: 'd', row: { sales_order_id: 9 } }],
      },
      at(0),
    );
    const result = await runTransform(fx);
    expect(result.facts).toEqual({ fact_sales_order: 1 });
    expect(result.quarantined).toEqual([
      { table: 'sales_order', reason: 'unknown_row_deleted', column: 'sales_order_id', rows: 1 },
    ]);
    expect(await salesVersions(fx, 9)).toEqual([]);
  });
});
