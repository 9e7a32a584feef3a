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
        render: (path) => parquetToCsvSql(work.table, paths, path, this.seq),
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
 * The order of a fact table's versions: source id, then observation time. Fact CSV is written
 * in this order so the SERIAL surrogate key, drawn row by row as COPY inserts, numbers the
 * versions of a source row in the order they happened (it breaks ties in the current-state
 * views).
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

/**
 * DuckDB statement that reads the Parquet files of one table and writes the CSV for COPY,
 * columns in schema order, fact versions in {@link versionOrder}, followed by the values of
 * the warehouse-only columns for transform batch `seq` (the order of `copySql` into the
 * table; without `seq`, the curated columns only). Explicit columns: a file missing one fails
 * here, by name. No temporary file: the target may be a named pipe that COPY reads while
 * DuckDB writes.
 */
export function parquetToCsvSql(
  table: WarehouseTableDef,
  parquetPaths: readonly string[],
  csvPath: string,
  seq?: number,
): string {
  const files = parquetPaths.map(duckString).join(', ');
  const loaded = seq === undefined ? [] : (table.loadColumns ?? []);
  const select = [
    ...table.columns.map((c) => ident(c.name)),
    ...loaded.map((c) => `${loadColumnValue(c.name, seq ?? 0)} AS ${ident(c.name)}`),
  ].join(', ');
  const order = table.kind === 'fact' ? ` ORDER BY ${versionOrder(table).map(ident).join(', ')}` : '';
  return `COPY (SELECT ${select} FROM read_parquet([${files}], hive_partitioning = false)${order}) TO ${duckString(csvPath)} (FORMAT csv, HEADER false, USE_TMP_FILE false)`;
}

/** A DuckDB string literal (file paths cannot be bound as parameters in COPY). */
const duckString = (value: string): string => `'${value.replaceAll("'", "''")}'`;
