import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { sqlString } from '../../../lambdas/kernel/duckdb/duckdb';
import {
  committedTransformSeq,
  readTransformManifest,
} from '../../../lambdas/kernel/lake/documents/manifests';
import { duckdbType, warehouseTables } from '../../../lambdas/kernel/schema';
import type { TransformResult } from '../../../lambdas/transform/transform';
import {
  closeReader,
  dimensionFile,
  dimensionRows,
  factFiles,
  query,
  runTransform,
} from '../../integration/transform/helpers';
import { inserts, RawFixture } from '../../support/raw-fixtures';
import { mayRows, realRows, realSnapshotChanges } from '../support/real-data';

/** DuckDB's name for a type when it reads a Parquet column back (TIMESTAMP_MS reads as TIMESTAMP). */
const readBackType = (type: string): string => (type === 'TIMESTAMP_MS' ? 'TIMESTAMP' : type);

describe('transform of the real Nov 2024 totesys snapshot', () => {
  let fx: RawFixture;
  let result: TransformResult;

  beforeAll(async () => {
    fx = await RawFixture.create();
    await fx.commitRun(realSnapshotChanges(), new Date('2024-11-15T15:00:00.123Z'));
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
    expect(result.facts).toEqual({ fact_sales_order: 11187, fact_purchase_order: 4649, fact_payment: 15836 });
    expect(result.dimensions).toMatchObject({
      dim_staff: 20,
      dim_location: 30,
      dim_design: 473,
      dim_currency: 3,
      dim_counterparty: 20,
      dim_payment_type: 4,
      dim_transaction: 15836,
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
    const schema = await query(
      `SELECT name, converted_type, precision, scale FROM parquet_schema(${sqlString(`${fx.lake.root}/curated/fact_sales_order/dt=2022-11-01/*.parquet`)}) WHERE name IN ('observed_at', 'unit_price')`,
    );
    expect(schema).toEqual(
      expect.arrayContaining([
        { name: 'observed_at', converted_type: 'TIMESTAMP_MILLIS', precision: null, scale: null },
        { name: 'unit_price', converted_type: 'DECIMAL', precision: '10', scale: '2' },
      ]),
    );
  });

  it('keeps every value exactly: decimals to the cent, dates, millisecond times, lineage', async () => {
    const [order] = await query(
      `SELECT * FROM ${factFiles(fx, 'fact_sales_order')} WHERE sales_order_id = 2`,
    );
    expect(order).toEqual({
      sales_order_id: 2,
      created_date: '2022-11-03',
      created_time: '14:20:52.186',
      last_updated_date: '2022-11-03',
      last_updated_time: '14:20:52.186',
      sales_staff_id: 19,
      counterparty_id: 8,
      units_sold: 42972,
      unit_price: '3.94',
      currency_id: 2,
      design_id: 3,
      agreed_payment_date: '2022-11-08',
      agreed_delivery_date: '2022-11-07',
      agreed_delivery_location_id: 8,
      observed_at: '2024-11-15 15:00:00.123',
      is_deleted: false,
    });
  });

  it('sums money exactly as the source does', async () => {
    const expected = realRows('payment').reduce(
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
    const source = realRows('payment');
    expect(paid.map((r) => [r.paid, Number(r.n)])).toEqual([
      [false, source.filter((r) => r.paid === false).length],
      [true, source.filter((r) => r.paid === true).length],
    ]);
    const [location] = await query(
      `SELECT * FROM ${await dimensionFile(fx, 'dim_location')} WHERE location_id = 2`,
    );
    expect(location).toMatchObject({ address_line_2: null, district: null, city: 'Aliso Viejo' });
  });

  it('joins staff with their department', async () => {
    const [staff] = await dimensionRows(fx, 'dim_staff', 'staff_id');
    expect(staff).toEqual({
      staff_id: 1,
      first_name: 'Jeremie',
      last_name: 'Franey',
      department_name: 'Purchasing',
      location: 'Manchester',
      email_address: 'jeremie.franey@terrifictotes.com',
    });
  });

  it('joins counterparties with their legal address', async () => {
    const [counterparty] = await dimensionRows(fx, 'dim_counterparty', 'counterparty_id');
    const address = realRows('address').find((a) => a.address_id === 15);
    expect(counterparty).toEqual({
      counterparty_id: 1,
      counterparty_legal_name: 'Fahey and Sons',
      counterparty_legal_address_line_1: address?.address_line_1,
      counterparty_legal_address_line_2: address?.address_line_2,
      counterparty_legal_district: address?.district,
      counterparty_legal_city: address?.city,
      counterparty_legal_postal_code: address?.postal_code,
      counterparty_legal_country: address?.country,
      counterparty_legal_phone_number: address?.phone,
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

  it('partitions facts by the month of the created date, every version of an order in one partition', async () => {
    const [wrong] = await query(
      `SELECT count(*) AS n FROM read_parquet(${sqlString(`${fx.lake.root}/curated/fact_sales_order/dt=*/*.parquet`)}, hive_partitioning = true) WHERE dt <> date_trunc('month', created_date)`,
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
