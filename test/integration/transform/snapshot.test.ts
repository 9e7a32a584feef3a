import { syntheticPlan } from '../../../app/totesys/generator';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { sqlString } from '../../../lambdas/kernel/duckdb/duckdb';
import {
  committedTransformSeq,
  readTransformManifest,
} from '../../../lambdas/kernel/lake/documents/manifests';
import { duckdbType, factPartitionOf, sourceTables, warehouseTables } from '../../../lambdas/kernel/schema';
import type { TransformResult } from '../../../lambdas/transform/transform';
import {
  generatedRow,
  generatedRows,
  generatedSnapshotChanges,
  type SimulatedSource,
  simulatedSource,
  touched,
} from '../../support/generated-source';
import { inserts, type RawChange, RawFixture, type SourceRow } from '../../support/raw-fixtures';
import { closeReader, dimensionFile, dimensionRows, factFiles, query, runTransform } from './helpers';

/** DuckDB's name for a type when it reads a Parquet column back (TIMESTAMP_MS reads as TIMESTAMP). */
const readBackType = (type: string): string => (type === 'TIMESTAMP_MS' ? 'TIMESTAMP' : type);

const SCALE = 3_000;
const plan = syntheticPlan(SCALE, 1);
const rows = (table: string) => generatedRows(table, SCALE);
const row = (table: string, id: number) => generatedRow(table, id, SCALE);

describe('transform of a whole generated totesys', () => {
  let fx: RawFixture;
  let result: TransformResult;

  beforeAll(async () => {
    fx = await RawFixture.create();
    await fx.commitRun(generatedSnapshotChanges(SCALE), new Date('2024-11-15T15:00:00.123Z'));
    result = await runTransform(fx);
  });

  afterAll(async () => {
    closeReader();
    await fx.cleanup();
  });

  it('commits one batch that produces every one of the 11 star-schema tables', async () => {
    expect(result).toMatchObject({
      status: 'committed',
      seq: 1,
      ingestSeqs: { from: 0, to: 1 },
      more: false,
    });
    expect(result.facts).toEqual({
      fact_sales_order: plan.salesOrders,
      fact_purchase_order: plan.purchaseOrders,
      fact_payment: plan.transactions,
    });
    expect(result.dimensions).toMatchObject({
      dim_staff: plan.staff,
      dim_location: plan.addresses,
      dim_design: plan.designs,
      dim_currency: 3,
      dim_counterparty: plan.counterparties,
      dim_payment_type: 4,
      dim_transaction: plan.transactions,
    });
    expect(result.quarantined).toEqual([]);
    expect(await committedTransformSeq(fx.lake)).toBe(1);
    const manifest = await readTransformManifest(fx.lake, 1);
    expect(new Set([...manifest.facts, ...manifest.dimensions].map((o) => o.table))).toEqual(
      new Set(warehouseTables.map((t) => t.name)),
    );
  });

  it.each(warehouseTables.map((t) => [t.name, t] as const))(
    'writes %s with exactly the schema columns and types',
    async (name, table) => {
      const source = table.kind === 'fact' ? factFiles(fx, name) : await dimensionFile(fx, name);
      const described = await query(`DESCRIBE SELECT * FROM ${source}`);
      expect(described.map((c) => [c.column_name, c.column_type])).toEqual(
        table.columns.map((c) => [c.name, readBackType(duckdbType(c.type))]),
      );
    },
  );

  it('stores timestamps as Parquet TIMESTAMP(MILLIS) and money as DECIMAL(10,2)', async () => {
    const dt = factPartitionOf(String(row('sales_order', 1).created_at).slice(0, 10));
    const schema = await query(
      `SELECT name, converted_type, precision, scale FROM parquet_schema(${sqlString(`${fx.lake.root}/curated/fact_sales_order/dt=${dt}/*.parquet`)}) WHERE name IN ('observed_at', 'unit_price')`,
    );
    expect(schema).toEqual(
      expect.arrayContaining([
        { name: 'observed_at', converted_type: 'TIMESTAMP_MILLIS', precision: null, scale: null },
        { name: 'unit_price', converted_type: 'DECIMAL', precision: '10', scale: '2' },
      ]),
    );
  });

  it('keeps every value exactly: decimals to the cent, dates, millisecond times, lineage', async () => {
    const source = row('sales_order', 2);
    const [created, createdTime] = String(source.created_at).split('T');
    const [updated, updatedTime] = String(source.last_updated).split('T');
    const [order] = await query(
      `SELECT * FROM ${factFiles(fx, 'fact_sales_order')} WHERE sales_order_id = 2`,
    );
    expect(order).toEqual({
      sales_order_id: 2,
      created_date: created,
      created_time: createdTime,
      last_updated_date: updated,
      last_updated_time: updatedTime,
      sales_staff_id: source.staff_id,
      counterparty_id: source.counterparty_id,
      units_sold: source.units_sold,
      unit_price: source.unit_price,
      currency_id: source.currency_id,
      design_id: source.design_id,
      agreed_payment_date: source.agreed_payment_date,
      agreed_delivery_date: source.agreed_delivery_date,
      agreed_delivery_location_id: source.agreed_delivery_location_id,
      observed_at: '2024-11-15 15:00:00.123',
      is_deleted: false,
    });
  });

  it('sums money exactly as the source does', async () => {
    const expected = rows('payment').reduce(
      (cents, r) => cents + Math.round(Number(r.payment_amount) * 100),
      0,
    );
    const [sum] = await query(
      `SELECT CAST(sum(payment_amount) * 100 AS BIGINT) AS cents FROM ${factFiles(fx, 'fact_payment')}`,
    );
    expect(Number(sum?.cents)).toBe(expected);
  });

  it('keeps booleans and nulls', async () => {
    const paid = await query(
      `SELECT paid, count(*) AS n FROM ${factFiles(fx, 'fact_payment')} GROUP BY paid ORDER BY paid`,
    );
    const source = rows('payment');
    expect(paid.map((r) => [r.paid, Number(r.n)])).toEqual([
      [false, source.filter((r) => r.paid === false).length],
      [true, source.filter((r) => r.paid === true).length],
    ]);
    const bare = rows('address').find((a) => a.address_line_2 === null && a.district === null);
    if (!bare) throw new Error('the generator makes addresses without line 2 and district');
    const [location] = await query(
      `SELECT * FROM ${await dimensionFile(fx, 'dim_location')} WHERE location_id = ${Number(bare.address_id)}`,
    );
    expect(location).toMatchObject({ address_line_2: null, district: null, city: bare.city });
  });

  it('joins staff with their department', async () => {
    const [staff] = await dimensionRows(fx, 'dim_staff', 'staff_id');
    const source = row('staff', 1);
    const department = row('department', Number(source.department_id));
    expect(staff).toEqual({
      staff_id: 1,
      first_name: source.first_name,
      last_name: source.last_name,
      department_name: department.department_name,
      location: department.location,
      email_address: source.email_address,
    });
  });

  it('joins counterparties with their legal address', async () => {
    const [counterparty] = await dimensionRows(fx, 'dim_counterparty', 'counterparty_id');
    const source = row('counterparty', 1);
    const address = row('address', Number(source.legal_address_id));
    expect(counterparty).toEqual({
      counterparty_id: 1,
      counterparty_legal_name: source.counterparty_legal_name,
      counterparty_legal_address_line_1: address.address_line_1,
      counterparty_legal_address_line_2: address.address_line_2,
      counterparty_legal_district: address.district,
      counterparty_legal_city: address.city,
      counterparty_legal_postal_code: address.postal_code,
      counterparty_legal_country: address.country,
      counterparty_legal_phone_number: address.phone,
    });
  });

  it('names currencies from ISO 4217', async () => {
    const currencies = await dimensionRows(fx, 'dim_currency', 'currency_id');
    expect(currencies.map((c) => [c.currency_code, c.currency_name])).toEqual([
      ['GBP', 'British Pound'],
      ['USD', 'US Dollar'],
      ['EUR', 'Euro'],
    ]);
  });

  it('puts every date any fact references into dim_date, and no other', async () => {
    const dimDate = await dimensionFile(fx, 'dim_date');
    const factDates = warehouseTables
      .filter((t) => t.kind === 'fact')
      .flatMap((t) =>
        t.columns
          .filter((c) => c.type === 'date')
          .map((c) => `SELECT ${c.name} AS d FROM ${factFiles(fx, t.name)}`),
      );
    const [missing] = await query(
      `SELECT count(*) AS n FROM (${factDates.join(' UNION ')}) WHERE d NOT IN (SELECT date_id FROM ${dimDate})`,
    );
    const [extra] = await query(
      `SELECT count(*) AS n FROM ${dimDate} WHERE date_id NOT IN (${factDates.join(' UNION ')})`,
    );
    expect([Number(missing?.n), Number(extra?.n)]).toEqual([0, 0]);
    // The first order of the generated data is created when the real data's first one was.
    const [day] = await query(`SELECT * FROM ${dimDate} WHERE date_id = DATE '2022-11-03'`);
    expect(day).toEqual({
      date_id: '2022-11-03',
      year: 2022,
      month: 11,
      day: 3,
      day_of_week: 4,
      day_name: 'Thursday',
      month_name: 'November',
      quarter: 4,
    });
  });

  it('partitions facts by the year of the created date, every version of an order in one partition', async () => {
    const [wrong] = await query(
      `SELECT count(*) AS n FROM read_parquet(${sqlString(`${fx.lake.root}/curated/fact_sales_order/dt=*/*.parquet`)}, hive_partitioning = true) WHERE dt <> date_trunc('year', created_date)`,
    );
    expect(Number(wrong?.n)).toBe(0);
  });

  it('switches the catalog to each new dimension snapshot', async () => {
    const catalog = new LocalCatalog(fx.lake);
    expect(await catalog.currentDimension('dim_staff')).toBe(`curated/dim_staff/snapshot=${result.batchId}/`);
  });

  it('does nothing when no ingest run is waiting', async () => {
    const again = await runTransform(fx);
    expect(again).toMatchObject({ status: 'up-to-date', seq: 1, more: false, facts: {} });
  });
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
