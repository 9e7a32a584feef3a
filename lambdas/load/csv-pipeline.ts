import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Client } from 'pg';
import type { CuratedObject } from '../kernel/lake/documents/manifests';
import type { LakeStore } from '../kernel/lake/lake-store';
import { ident, type WarehouseTableDef } from '../kernel/schema';
import { type PendingCsv, startCsv } from './csv-copy';

/**
 * DuckDB renders CSV on one thread: COPY is the slower side of the pipe, and a second DuckDB
 * thread only spins while the pipe is full (measured at 1M: +4.7 s of CPU over 4.2 M rows, taken
 * from the PostgreSQL backend on a 2-core machine). The memory limit bounds the sort of a
 * fact batch into version order; beyond it DuckDB spills to `spill`.
 */
const duckSettings = (spill: string): Record<string, string> => ({
  threads: '1',
  memory_limit: '256MB',
  temp_directory: spill,
});

/** The DuckDB that renders a load's CSV, with its spill folder; `close` removes both. */
export interface CsvRenderer {
  readonly duckdb: DuckDBConnection;
  close(): Promise<void>;
}

/** Opens the DuckDB that renders CSV for COPY (see {@link duckSettings}), spilling under `workDir`. */
export async function openRenderer(workDir: string): Promise<CsvRenderer> {
  const spill = await mkdtemp(join(workDir, 'duckdb-'));
  const instance = await DuckDBInstance.create(':memory:', duckSettings(spill)).catch(async (error) => {
    await rm(spill, { recursive: true, force: true });
    throw error;
  });
  const duckdb = await instance.connect();
  return {
    duckdb,
    close: async () => {
      duckdb.closeSync();
      instance.closeSync();
      await rm(spill, { recursive: true, force: true });
    },
  };
}

/** The tables of one batch to render, in the order they are copied. */
export interface BatchCsvTables {
  readonly table: WarehouseTableDef;
  readonly objects: readonly CuratedObject[];
  /** Facts: the first surrogate key of the block reserved for this batch's versions. */
  readonly firstKey?: number;
}

/**
 * The CSV of every table of a batch, rendered by DuckDB one table ahead: the next table's
 * render (reading and sorting its Parquet) starts as soon as the previous COPY is done, while
 * PostgreSQL rebuilds that table's indexes and checks its foreign keys.
 */
export class BatchCsvs {
  private readonly started = new Map<number, Promise<PendingCsv>>();
  private readonly consumed = new Set<number>();

  constructor(
    private readonly io: {
      readonly warehouse: Client;
      readonly lake: LakeStore;
      readonly duckdb: DuckDBConnection;
    },
    private readonly scratch: string,
    private readonly seq: number,
    private readonly tables: readonly BatchCsvTables[],
  ) {
    if (tables.length > 0) this.start(0);
  }

  /** COPYs table `i`'s CSV with `sql`, then starts rendering table `i + 1`. */
  async copy(i: number, sql: string): Promise<number> {
    const csv = this.started.get(i) ?? this.start(i);
    this.consumed.add(i);
    const rows = await (await csv).copyInto(this.io.warehouse, sql);
    if (i + 1 < this.tables.length) this.start(i + 1);
    return rows;
  }

  /** Stops the renders nobody will COPY (after a failure), so no DuckDB write is left waiting. */
  async abandon(): Promise<void> {
    for (const [i, csv] of this.started) {
      if (this.consumed.has(i)) continue;
      await (await csv.catch(() => undefined))?.abandon();
    }
  }

  private start(i: number): Promise<PendingCsv> {
    const existing = this.started.get(i);
    if (existing) return existing;
    const work = this.tables[i];
    if (!work) throw new RangeError(`no table ${i} in this batch`);
    const csv = localFiles(this.io.lake, work.objects, this.scratch).then((paths) =>
      startCsv({
        duckdb: this.io.duckdb,
        render: (path) =>
          parquetToCsvSql(work.table, paths, path, {
            seq: this.seq,
            ...(work.firstKey === undefined ? {} : { firstKey: work.firstKey }),
          }),
        path: join(this.scratch, `${work.table.name}.csv`),
      }),
    );
    csv.catch(() => undefined); // reported when its table is copied
    this.started.set(i, csv);
    return csv;
  }
}

/** Local paths of the objects: in place for a local lake, downloaded into `scratch` otherwise. */
async function localFiles(
  lake: LakeStore,
  objects: readonly CuratedObject[],
  scratch: string,
): Promise<string[]> {
  return Promise.all(
    objects.map(async (o, i) => {
      const local = lake.localPath(o.key);
      if (local !== undefined) return local;
      const target = join(scratch, 'download', o.table, `${i}.parquet`);
      await lake.download(o.key, target);
      return target;
    }),
  );
}

/**
 * The order of a fact table's versions: source id, then observation time. The surrogate key
 * numbers a batch's versions in this order, so the versions of a source row are numbered in
 * the order they happened (it breaks ties in the current-state views); the CSV is written in
 * it too.
 */
export const versionOrder = (table: WarehouseTableDef): readonly string[] => [
  table.naturalKey,
  'observed_at',
];

/**
 * The value the load writes into a warehouse-only column for the rows of transform batch
 * `seq` (DuckDB SQL): the batch itself for `batch_seq`.
 */
function loadColumnValue(column: string, seq: number): string {
  if (column === 'batch_seq') return `${Math.trunc(seq)}::INTEGER`;
  throw new RangeError(`the load does not know how to fill warehouse column ${column}`);
}

/** What the load adds to the curated columns of a batch's CSV. */
export interface CsvLoadValues {
  /** The transform batch, for the warehouse-only columns (`loadColumns`). */
  readonly seq: number;
  /**
   * Facts: the first key of the block reserved for the batch (see `reserveSurrogateKeys` in
   * `apply-facts.ts`); the versions are numbered from it in {@link versionOrder}.
   */
  readonly firstKey?: number;
}

/**
 * DuckDB statement that reads the Parquet files of one table and writes the CSV for COPY:
 * with `load`, the surrogate key numbered from `load.firstKey` (facts), the columns in schema
 * order, then the values of the warehouse-only columns for batch `load.seq` (the order of
 * `copySql` into the table); without `load`, the curated columns only. Fact versions are
 * written in {@link versionOrder}, or numbered in it. Explicit columns: a file missing one fails here, by name.
 * No temporary file: the target may be a named pipe that COPY reads while DuckDB writes.
 */
export function parquetToCsvSql(
  table: WarehouseTableDef,
  parquetPaths: readonly string[],
  csvPath: string,
  load?: CsvLoadValues,
): string {
  const files = parquetPaths.map(duckString).join(', ');
  const order = versionOrder(table).map(ident).join(', ');
  const surrogate =
    load?.firstKey !== undefined && table.surrogateKey
      ? [
          `row_number() OVER (ORDER BY ${order}) + ${Math.trunc(load.firstKey) - 1} AS ${ident(table.surrogateKey)}`,
        ]
      : [];
  const select = [
    ...surrogate,
    ...table.columns.map((c) => ident(c.name)),
    ...(load ? (table.loadColumns ?? []) : []).map(
      (c) => `${loadColumnValue(c.name, load?.seq ?? 0)} AS ${ident(c.name)}`,
    ),
  ].join(', ');
  // Numbered versions need no ORDER BY: their keys say the order, and on one thread DuckDB
  // writes the window's rows in its sort order anyway (a second sort cost +0.4 s of CPU per
  // 1.4 M rows; the window alone +0.15 s).
  const sorted = table.kind === 'fact' && surrogate.length === 0 ? ` ORDER BY ${order}` : '';
  return `COPY (SELECT ${select} FROM read_parquet([${files}], hive_partitioning = false)${sorted}) TO ${duckString(csvPath)} (FORMAT csv, HEADER false, USE_TMP_FILE false)`;
}

/** A DuckDB string literal (file paths cannot be bound as parameters in COPY). */
const duckString = (value: string): string => `'${value.replaceAll("'", "''")}'`;
