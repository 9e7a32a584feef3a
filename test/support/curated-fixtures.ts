import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { CuratedObject, TransformManifest } from '../../lambdas/kernel/lake/documents/manifests';
import {
  dimensionChangesKey,
  dimensionSnapshotPrefix,
  factKey,
  TRANSFORM_STATE_KEY,
  transformManifestKey,
} from '../../lambdas/kernel/lake/layout';
import { LocalLakeStore } from '../../lambdas/kernel/lake/local-lake-store';
import {
  duckdbType,
  factPartitionOf,
  ident,
  type WarehouseTableDef,
  warehouseTable,
} from '../../lambdas/kernel/schema';

/** A curated row: column → value as DuckDB casts it from text/number (money and dates as strings). */
export type CuratedRow = Readonly<Record<string, string | number | boolean | null>>;

/** What one transform batch writes: complete dimension snapshots and new fact versions, by table. */
export interface CuratedBatchInput {
  readonly dimensions?: Readonly<Record<string, readonly CuratedRow[]>>;
  readonly facts?: Readonly<Record<string, readonly CuratedRow[]>>;
  /**
   * The new or changed rows of changed dimensions, listed as the manifest's `dimensionChanges`
   * (transforms since it exists). Omitted: a manifest without the field, as older transforms wrote.
   */
  readonly dimensionChanges?: Readonly<Record<string, readonly CuratedRow[]>>;
  /** Commit the batch in `state/transform.json`. @default true (false = an unfinished batch) */
  readonly commit?: boolean;
  /**
   * Write it as batch `seq` with this id, as a transform whose state was restored to batch
   * `seq - 1` does (numbering continues from there). @default the next seq, an id from it
   */
  readonly rebuild?: { readonly seq: number; readonly batchId: string };
}

/**
 * A local lake in a temp folder holding curated batches exactly as the transform stage writes
 * them (the curated zone contract): Parquet written by DuckDB with `duckdbType()` columns,
 * facts under `dt=` partitions of their created date's year, dimension snapshots under `snapshot=<batch>/`,
 * a `TransformManifest` per batch and `state/transform.json` committing it.
 */
export class CuratedLakeFixture {
  private seq = 0;

  private constructor(
    readonly root: string,
    readonly lake: LocalLakeStore,
  ) {}

  static async create(): Promise<CuratedLakeFixture> {
    const root = await mkdtemp(join(tmpdir(), 'totes-curated-'));
    return new CuratedLakeFixture(root, new LocalLakeStore(join(root, 'lake')));
  }

  /** A scratch folder beside the lake (for the loader's `workDir`). */
  get workDir(): string {
    return join(this.root, 'work');
  }

  /** Writes the next batch (seq 1, 2, …) and, unless told otherwise, commits it. */
  async writeBatch(input: CuratedBatchInput): Promise<TransformManifest> {
    if (input.rebuild) this.seq = input.rebuild.seq - 1;
    const seq = ++this.seq;
    const batchId = input.rebuild?.batchId ?? `20241115T1440${String(seq).padStart(5, '0')}Z-b${seq}`;
    const dimensions: CuratedObject[] = [];
    const facts: CuratedObject[] = [];
    for (const [name, rows] of Object.entries(input.dimensions ?? {})) {
      const key = `${dimensionSnapshotPrefix(name, batchId)}${batchId}-0.parquet`;
      await this.writeParquet(warehouseTable(name), rows, key);
      dimensions.push({ table: name, key, rows: rows.length });
    }
    const changes: CuratedObject[] = [];
    for (const [name, rows] of Object.entries(input.dimensionChanges ?? {})) {
      const key = dimensionChangesKey(name, batchId);
      await this.writeParquet(warehouseTable(name), rows, key);
      changes.push({ table: name, key, rows: rows.length });
    }
    let n = 0;
    for (const [name, rows] of Object.entries(input.facts ?? {})) {
      for (const [dt, part] of groupBy(rows, (r) => factPartitionOf(String(r.created_date)))) {
        const key = factKey(name, dt, batchId, n++);
        await this.writeParquet(warehouseTable(name), part, key);
        facts.push({ table: name, key, rows: part.length });
      }
    }
    const manifest: TransformManifest = {
      seq,
      batchId,
      ingestSeqs: { from: seq - 1, to: seq },
      facts,
      dimensions,
      ...(input.dimensionChanges === undefined ? {} : { dimensionChanges: changes }),
      quarantine: [],
    };
    await this.lake.put(transformManifestKey(seq), JSON.stringify(manifest));
    if (input.commit ?? true) await this.lake.put(TRANSFORM_STATE_KEY, JSON.stringify({ seq, batchId }));
    return manifest;
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  private async writeParquet(
    table: WarehouseTableDef,
    rows: readonly CuratedRow[],
    key: string,
  ): Promise<void> {
    const path = this.lake.localPath(key);
    await mkdir(dirname(path), { recursive: true });
    // Rows travel as JSON lines read with the warehouse columns' DuckDB types: one statement
    // for any number of rows (tests of bulk paths write tens of thousands).
    const json = `${path}.jsonl`;
    await writeFile(json, rows.map((row) => JSON.stringify(fixtureValues(table, row))).join('\n'));
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    try {
      const columns = table.columns.map((c) => `${ident(c.name)}: '${duckdbType(c.type)}'`).join(', ');
      const select = table.columns.map((c) => ident(c.name)).join(', ');
      const source =
        rows.length === 0
          ? `(SELECT ${table.columns.map((c) => `NULL::${duckdbType(c.type)} AS ${ident(c.name)}`).join(', ')} LIMIT 0)`
          : `read_json('${json}', format = 'newline_delimited', columns = {${columns}})`;
      await db.run(
        `COPY (SELECT ${select} FROM ${source}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`,
      );
    } finally {
      db.closeSync();
      instance.closeSync();
      await rm(json, { force: true });
    }
  }
}

/**
 * The row's values in schema order, refusing a row that lacks a NOT NULL column (a typo in a
 * test); a nullable column it lacks is null, so a column added to the schema needs no fixture edit.
 */
function fixtureValues(table: WarehouseTableDef, row: CuratedRow): CuratedRow {
  return Object.fromEntries(
    table.columns.map((c) => {
      const value = row[c.name] !== undefined || !c.nullable ? row[c.name] : null;
      if (value === undefined) throw new Error(`fixture row of ${table.name} lacks ${c.name}`);
      return [c.name, value];
    }),
  );
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The `dim_date` row of a `YYYY-MM-DD` date. */
export function dateRow(date: string): CuratedRow {
  const d = new Date(`${date}T00:00:00Z`);
  const isoDay = ((d.getUTCDay() + 6) % 7) + 1;
  const month = d.getUTCMonth() + 1;
  return {
    date_id: date,
    year: d.getUTCFullYear(),
    month,
    day: d.getUTCDate(),
    day_of_week: isoDay,
    day_name: DAY_NAMES[isoDay - 1] ?? '',
    month_name: MONTH_NAMES[month - 1] ?? '',
    quarter: Math.ceil(month / 3),
  };
}

/** Dates the default fact rows below refer to. */
export const FIXTURE_DATES = ['2024-11-03', '2024-11-15', '2024-11-20', '2024-11-25'] as const;

/** One member of every dimension (id 1), enough for the default facts below to satisfy their keys. */
export function baseDimensions(): Record<string, CuratedRow[]> {
  return {
    dim_date: FIXTURE_DATES.map(dateRow),
    dim_staff: [
      {
        staff_id: 1,
        first_name: 'Jeremie',
        last_name: 'Franey',
        department_name: 'Purchasing',
        location: 'Manchester',
        email_address: 'jeremie.franey@terrifictotes.com',
      },
    ],
    dim_location: [
      {
        location_id: 1,
        address_line_1: '6826 Herzog Via',
        address_line_2: null,
        district: 'Avon',
        city: 'New Patienceburgh',
        postal_code: '28441',
        country: 'Turkey',
        phone: '1803 637401',
      },
    ],
    dim_design: [
      { design_id: 1, design_name: 'Wooden', file_location: '/usr', file_name: 'wooden-20220717-npgz.json' },
    ],
    dim_currency: [{ currency_id: 1, currency_code: 'GBP', currency_name: 'Pound sterling' }],
    dim_counterparty: [
      {
        counterparty_id: 1,
        counterparty_legal_name: 'Fahey and Sons',
        counterparty_legal_address_line_1: '605 Haskell Trafficway',
        counterparty_legal_address_line_2: 'Axel Freeway',
        counterparty_legal_district: '',
        counterparty_legal_city: 'East Bobbie',
        counterparty_legal_postal_code: '88253-4257',
        counterparty_legal_country: 'Heard Island and McDonald Islands',
        counterparty_legal_phone_number: '9687 937447',
      },
    ],
    dim_payment_type: [{ payment_type_id: 1, payment_type_name: 'SALES_RECEIPT' }],
    dim_transaction: [
      { transaction_id: 1, transaction_type: 'SALE', sales_order_id: 1, purchase_order_id: null },
    ],
  };
}

/** A `fact_sales_order` version referring to the base dimensions; `overrides` replace columns. */
export function salesOrder(overrides: CuratedRow = {}): CuratedRow {
  return {
    sales_order_id: 1,
    created_date: '2024-11-03',
    created_time: '14:20:52.186',
    last_updated_date: '2024-11-03',
    last_updated_time: '14:20:52.186',
    sales_staff_id: 1,
    counterparty_id: 1,
    units_sold: 42972,
    unit_price: '3.94',
    currency_id: 1,
    design_id: 1,
    agreed_payment_date: '2024-11-20',
    agreed_delivery_date: '2024-11-25',
    agreed_delivery_location_id: 1,
    observed_at: '2024-11-03 14:25:00.000',
    is_deleted: false,
    ...overrides,
  };
}

/** A `fact_purchase_order` version referring to the base dimensions. */
export function purchaseOrder(overrides: CuratedRow = {}): CuratedRow {
  return {
    purchase_order_id: 1,
    created_date: '2024-11-03',
    created_time: '14:20:52.187',
    last_updated_date: '2024-11-03',
    last_updated_time: '14:20:52.187',
    staff_id: 1,
    counterparty_id: 1,
    item_code: 'ZDOI5EA',
    item_quantity: 371,
    item_unit_price: '361.39',
    currency_id: 1,
    agreed_delivery_date: '2024-11-20',
    agreed_payment_date: '2024-11-25',
    agreed_delivery_location_id: 1,
    observed_at: '2024-11-03 14:25:00.000',
    is_deleted: false,
    ...overrides,
  };
}

/** A `fact_payment` version referring to the base dimensions. */
export function payment(overrides: CuratedRow = {}): CuratedRow {
  return {
    payment_id: 1,
    created_date: '2024-11-03',
    created_time: '14:20:52.187',
    last_updated_date: '2024-11-03',
    last_updated_time: '14:20:52.187',
    transaction_id: 1,
    counterparty_id: 1,
    payment_amount: '552548.62',
    currency_id: 1,
    payment_type_id: 1,
    paid: false,
    payment_date: '2024-11-20',
    observed_at: '2024-11-03 14:25:00.000',
    is_deleted: false,
    ...overrides,
  };
}
