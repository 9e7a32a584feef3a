import { LocalCatalog } from '../../lambdas/kernel/catalog/local-catalog';
import { sqlString } from '../../lambdas/kernel/duckdb/duckdb';
import { committedTransformSeq, readTransformManifest } from '../../lambdas/kernel/lake/documents/manifests';
import {
  duckdbType,
  FACT_PARTITION,
  factPartitionOf,
  lineage,
  sourceTable,
  warehouseTables,
} from '../../lambdas/kernel/schema';
import type { TransformResult } from '../../lambdas/transform/transform';
import {
  closeReader,
  dimensionFile,
  dimensionRows,
  factFiles,
  query,
  runTransform,
} from '../integration/transform/helpers';
import { type RawChange, RawFixture, type SourceRow } from './raw-fixtures';

/** DuckDB's name for a type when it reads a Parquet column back (TIMESTAMP_MS reads as TIMESTAMP). */
const readBackType = (type: string): string => (type === 'TIMESTAMP_MS' ? 'TIMESTAMP' : type);

/** A whole totesys snapshot, as one capture of every row, and what its star tables must hold. */
export interface WholeSnapshot {
  /** Every row of every table, as inserts. */
  changes(): Record<string, RawChange[]>;
  /** The rows of one source table, in the raw contract. */
  rows(table: string): SourceRow[];
  /** Rows of each fact, and of each dimension but `dim_date`. */
  readonly facts: Readonly<Record<string, number>>;
  readonly dimensions: Readonly<Record<string, number>>;
}

/**
 * The transform of one whole snapshot: one batch, every star table with its schema's columns
 * and types, every value exact, the joins and calendar right. One suite for both data sets:
 * generated (`test/integration/transform/snapshot.test.ts`) and the real Nov 2024 export
 * (`test/real/transform/real-snapshot.test.ts`).
 */
export function describeWholeSnapshotTransform(title: string, data: WholeSnapshot): void {
  const row = (table: string, id: number): SourceRow => {
    const pk = sourceTable(table).primaryKey;
    const found = data.rows(table).find((r) => r[pk] === id);
    if (!found) throw new Error(`the snapshot has no ${table} row ${id}`);
    return found;
  };

  describe(title, () => {
    let fx: RawFixture;
    let result: TransformResult;

    beforeAll(async () => {
      fx = await RawFixture.create();
      await fx.commitRun(data.changes(), new Date('2024-11-15T15:00:00.123Z'));
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
      expect(result.facts).toEqual(data.facts);
      expect(result.dimensions).toMatchObject(data.dimensions);
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
      const split = (column: string) => String(source[column]).split('T') as [string, string];
      // Every column as its lineage in the schema module says, so a column added there is checked too.
      const expected = Object.fromEntries(
        lineage('fact_sales_order').columns.map(({ name, source: from }) => {
          switch (from.kind) {
            case 'date_of':
              return [name, split(from.column)[0]];
            case 'time_of':
              return [name, split(from.column)[1]];
            case 'observed_at':
              return [name, '2024-11-15 15:00:00.123'];
            case 'deleted':
              return [name, false];
            default:
              return [name, 'column' in from ? source[from.column] : undefined];
          }
        }),
      );
      const [order] = await query(
        `SELECT * FROM ${factFiles(fx, 'fact_sales_order')} WHERE sales_order_id = 2`,
      );
      expect(order).toEqual(expected);
      // The renamed column and the audit split, spelled out.
      expect(order).toMatchObject({
        sales_staff_id: source.staff_id,
        created_date: String(source.created_at).slice(0, 10),
        created_time: String(source.created_at).slice(11),
        is_deleted: false,
      });
    });

    it('sums money exactly as the source does', async () => {
      const expected = data
        .rows('payment')
        .reduce((cents, r) => cents + Math.round(Number(r.payment_amount) * 100), 0);
      const [sum] = await query(
        `SELECT CAST(sum(payment_amount) * 100 AS BIGINT) AS cents FROM ${factFiles(fx, 'fact_payment')}`,
      );
      expect(Number(sum?.cents)).toBe(expected);
    });

    it('keeps booleans and nulls', async () => {
      const paid = await query(
        `SELECT paid, count(*) AS n FROM ${factFiles(fx, 'fact_payment')} GROUP BY paid ORDER BY paid`,
      );
      const source = data.rows('payment');
      expect(paid.map((r) => [r.paid, Number(r.n)])).toEqual([
        [false, source.filter((r) => r.paid === false).length],
        [true, source.filter((r) => r.paid === true).length],
      ]);
      const bare = data.rows('address').find((a) => a.address_line_2 === null && a.district === null);
      if (!bare) throw new Error('the snapshot has no address without line 2 and district');
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
      // Both data sets start on the real data's first order day.
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

    it(`partitions facts by the ${FACT_PARTITION.grain} of the created date, every version of an order in one partition`, async () => {
      const [wrong] = await query(
        `SELECT count(*) AS n FROM read_parquet(${sqlString(`${fx.lake.root}/curated/fact_sales_order/dt=*/*.parquet`)}, hive_partitioning = true) WHERE dt <> date_trunc('${FACT_PARTITION.grain}', created_date)`,
      );
      expect(Number(wrong?.n)).toBe(0);
    });

    it('switches the catalog to each new dimension snapshot', async () => {
      const catalog = new LocalCatalog(fx.lake);
      expect(await catalog.currentDimension('dim_staff')).toBe(
        `curated/dim_staff/snapshot=${result.batchId}/`,
      );
    });

    it('does nothing when no ingest run is waiting', async () => {
      const again = await runTransform(fx);
      expect(again).toMatchObject({ status: 'up-to-date', seq: 1, more: false, facts: {} });
    });
  });
}
