import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Client } from 'pg';
import {
  type CuratedObject,
  committedTransformSeq,
  readTransformManifest,
  type TransformManifest,
} from '../kernel/lake/documents/manifests';
import type { LakeStore } from '../kernel/lake/lake-store';
import type { Log } from '../kernel/logger';
import { ident, type WarehouseTableDef, warehouseTables } from '../kernel/schema';
import { CsvCopyError, type PendingCsv, startCsv } from './csv-copy';
import { BatchLoadError, LoadError } from './errors';
import { ledgerRefusal, proveLedger, rewindTo } from './ledger';
import {
  addForeignKeySql,
  analyzeSql,
  copySql,
  createIndexSql,
  createStagingSql,
  dropForeignKeySql,
  dropIndexSql,
  foreignKeys,
  parquetToCsvSql,
  type TableIndex,
  tableIndexesSql,
  upsertDimensionSql,
} from './load-sql';

/**
 * Advisory lock key held by a loader for the whole of one batch transaction ('totesld' in
 * ASCII): a second loader waits, then sees the batch in the ledger and moves on.
 */
export const LOAD_LOCK_KEY = 0x746f7465736c64n;

/**
 * Fact batches at least this large (and at least 1/20 of the table) are appended with the
 * table's foreign keys dropped and re-added in the same transaction: PostgreSQL checks a
 * foreign key per inserted row with a trigger, while re-adding it validates the whole table in
 * one set-based query. Measured here: 1M sales rows 53 s → 20 s; the real Nov 2024 totesys
 * (31,672 fact rows) 2.5 s → 0.27 s of apply time. The price is an exclusive lock on the fact
 * table until commit, so small incremental batches (tens of rows) keep the row triggers and
 * never block readers.
 */
export const BULK_FOREIGN_KEY_MIN_ROWS = 5_000;

/** Collaborators of {@link load}. */
export interface LoadDeps {
  /** Connected warehouse client, migrated (see `migrate`); not in a transaction. */
  readonly warehouse: Client;
  readonly lake: LakeStore;
  readonly log: Log;
  /** Scratch folder for downloaded Parquet (remote lakes) and the CSV fed to COPY. */
  readonly workDir: string;
  /** Apply at most this many batches (the rest wait for the next call). @default unlimited */
  readonly maxBatches?: number;
  /** Fact batches from this size on are appended in bulk mode. @default {@link BULK_FOREIGN_KEY_MIN_ROWS} */
  readonly bulkForeignKeyMinRows?: number;
}

/** One transform batch applied to the warehouse. */
export interface LoadedBatch {
  readonly seq: number;
  readonly batchId: string;
  /** Rows written per table: dimension rows inserted or changed, fact versions appended. */
  readonly rows: Readonly<Record<string, number>>;
}

/** What {@link load} did. */
export interface LoadResult {
  /** Batches this call applied, in order (empty when the warehouse was up to date). */
  readonly batches: readonly LoadedBatch[];
  /** Rows written per table, summed over {@link batches}. */
  readonly rows: Readonly<Record<string, number>>;
  /** The last batch in the warehouse's ledger after this call. */
  readonly lastLoadedSeq: number;
  /** The lake's committed transform batch when this call started. */
  readonly committedSeq: number;
}

/**
 * Applies every committed, not yet loaded transform batch to the warehouse, in `seq` order.
 * Each batch is one transaction: dimension snapshots are upserted (dimensions first, so the
 * facts' foreign keys hold), fact versions appended, and the batch's `etl.load_log` row
 * inserted. So a batch is in the warehouse exactly once: a reload finds it in the ledger and
 * does nothing, a failure leaves neither rows nor ledger entry, and concurrent loaders
 * serialise on an advisory lock.
 *
 * Bulk path only: DuckDB reads the Parquet and writes CSV, streamed into `COPY FROM STDIN`
 * while it is written (see `copyCsv`). Fact versions are copied straight into their table;
 * dimension rows into a TEMP staging table and upserted from there with one statement (or
 * copied straight in while the dimension is empty). A dimension is applied from the rows the
 * transform lists as changed (`dimensionChanges`) when the manifest has them, else from its
 * complete snapshot.
 *
 * @example
 * await migrate({ warehouse, log });
 * const result = await load({ warehouse, lake, log, workDir: '/tmp' });
 * // result.rows → { dim_design: 3, fact_sales_order: 150, … }
 */
export async function load(deps: LoadDeps): Promise<LoadResult> {
  const committedSeq = await committedTransformSeq(deps.lake);
  const maxBatches = deps.maxBatches ?? Number.POSITIVE_INFINITY;
  const batches: LoadedBatch[] = [];
  await mkdir(deps.workDir, { recursive: true });
  const spill = await mkdtemp(join(deps.workDir, 'duckdb-'));
  const duck = await DuckDBInstance.create(':memory:', duckSettings(spill));
  const duckdb = await duck.connect();
  try {
    let lastLoadedSeq = await loadedSeq(deps.warehouse);
    while (batches.length < maxBatches) {
      const loaded = await loadNextBatch(deps, duckdb, committedSeq, batches.length === 0);
      if (loaded.batch) batches.push(loaded.batch);
      lastLoadedSeq = loaded.lastLoadedSeq;
      if (!loaded.batch) break;
    }
    return { batches, rows: sumRows(batches), lastLoadedSeq, committedSeq };
  } finally {
    duckdb.closeSync();
    duck.closeSync();
    await rm(spill, { recursive: true, force: true });
  }
}

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

/** The last transform batch recorded in the warehouse ledger (0 when none). */
export async function loadedSeq(warehouse: Client): Promise<number> {
  const { rows } = await warehouse.query<{ seq: number }>(
    'SELECT coalesce(max(batch_seq), 0)::integer AS seq FROM etl.load_log',
  );
  return rows[0]?.seq ?? 0;
}

/**
 * In one transaction under the load lock: finds the next batch the ledger lacks and applies
 * it. Returns no batch when the warehouse is up to date with `committedSeq`. With `prove`
 * (the first batch of a call), the ledger is first checked against the facts' `batch_seq`
 * and the lake's batch ids (see {@link proveLedger}): a ledger that lost rows, or a lake of
 * another environment, is refused; a lake whose batches after some batch are not the ones
 * loaded (its transform state restored to an earlier version) has the warehouse taken back
 * to that batch in this same transaction, and loading goes on from there.
 */
async function loadNextBatch(
  deps: LoadDeps,
  duckdb: DuckDBConnection,
  committedSeq: number,
  prove: boolean,
): Promise<{ batch?: LoadedBatch; lastLoadedSeq: number }> {
  const { warehouse } = deps;
  await warehouse.query('BEGIN');
  let seq: number | undefined;
  try {
    await warehouse.query('SELECT pg_advisory_xact_lock($1)', [LOAD_LOCK_KEY.toString()]);
    if (prove) await reconcileLedger(deps);
    const last = await loadedSeq(warehouse);
    if (last >= committedSeq) {
      await warehouse.query('COMMIT');
      return { lastLoadedSeq: last };
    }
    seq = last + 1;
    const manifest = await readManifest(deps.lake, seq);
    const rows = await applyBatch(deps, duckdb, manifest);
    await warehouse.query('INSERT INTO etl.load_log (batch_seq, batch_id, row_counts) VALUES ($1, $2, $3)', [
      manifest.seq,
      manifest.batchId,
      JSON.stringify(rows),
    ]);
    await warehouse.query('COMMIT');
    deps.log.info('loaded transform batch', { seq, batchId: manifest.batchId, rows });
    return { batch: { seq, batchId: manifest.batchId, rows }, lastLoadedSeq: seq };
  } catch (error) {
    await warehouse.query('ROLLBACK').catch(() => undefined);
    if (error instanceof LoadError || seq === undefined) throw error;
    throw new BatchLoadError(
      `transform batch ${seq} could not be loaded and was rolled back (the warehouse is unchanged): ${messageOf(error)}. Fix the cause and run the load again; it resumes at this batch.`,
      { cause: error, context: { batchSeq: seq } },
    );
  }
}

/**
 * Proves the ledger against the facts and the lake as it is now (another loader may have
 * applied a batch committed after this call read the lake), then refuses or rewinds.
 */
async function reconcileLedger(deps: LoadDeps): Promise<void> {
  const proof = await proveLedger(deps.warehouse, deps.lake, await committedTransformSeq(deps.lake));
  if (proof.verdict === 'consistent') return;
  if (proof.verdict !== 'diverged') throw ledgerRefusal(proof, deps.lake.url);
  const deleted = await rewindTo(deps.warehouse, proof.agreedSeq);
  deps.log.warn(
    "the lake's transform batches after the last one it shares with the warehouse are not the ones loaded (state/transform.json restored to an earlier version?): the warehouse goes back to that batch and loads the lake's batches from there",
    {
      agreedSeq: proof.agreedSeq,
      ledgerSeq: proof.ledgerSeq,
      committedSeq: proof.committedSeq,
      disagreement: proof.disagreement,
      deleted,
    },
  );
}

async function readManifest(lake: LakeStore, seq: number): Promise<TransformManifest> {
  try {
    return await readTransformManifest(lake, seq);
  } catch (error) {
    throw new BatchLoadError(
      `transform batch ${seq} is committed but its manifest cannot be read from ${lake.url}: ${messageOf(error)}. Check the lake; the load resumes at this batch.`,
      { cause: error, context: { batchSeq: seq } },
    );
  }
}

/** Applies every table of one batch; returns the rows written per table. */
async function applyBatch(
  deps: LoadDeps,
  duckdb: DuckDBConnection,
  manifest: TransformManifest,
): Promise<Record<string, number>> {
  checkTables(manifest);
  await mkdir(deps.workDir, { recursive: true });
  const scratch = await mkdtemp(join(deps.workDir, `load-${manifest.seq}-`));
  const tables = warehouseTables
    .map((table) => ({ table, objects: batchObjects(manifest, table) }))
    .filter((t) => t.objects.length > 0);
  const csvs = new BatchCsvs(deps, duckdb, scratch, manifest.seq, tables);
  try {
    const rows: Record<string, number> = {};
    // Dimensions before facts: the facts' foreign keys must find this batch's new members.
    for (const [i, { table, objects }] of tables.entries()) {
      const batch: TableBatch = { deps, manifest, table, objects, copy: (sql) => csvs.copy(i, sql) };
      rows[table.name] = table.kind === 'dimension' ? await applyDimension(batch) : await applyFacts(batch);
    }
    return rows;
  } finally {
    await csvs.abandon();
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The CSV of every table of a batch, rendered by DuckDB one table ahead: the next table's
 * render (reading and sorting its Parquet) starts as soon as the previous COPY is done, while
 * PostgreSQL rebuilds that table's indexes and checks its foreign keys.
 */
class BatchCsvs {
  private readonly started = new Map<number, Promise<PendingCsv>>();
  private readonly consumed = new Set<number>();

  constructor(
    private readonly deps: LoadDeps,
    private readonly duckdb: DuckDBConnection,
    private readonly scratch: string,
    private readonly seq: number,
    private readonly tables: readonly { table: WarehouseTableDef; objects: readonly CuratedObject[] }[],
  ) {
    if (tables.length > 0) this.start(0);
  }

  /** COPYs table `i`'s CSV with `sql`, then starts rendering table `i + 1`. */
  async copy(i: number, sql: string): Promise<number> {
    const csv = this.started.get(i) ?? this.start(i);
    this.consumed.add(i);
    const rows = await (await csv).copyInto(this.deps.warehouse, sql);
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
    const csv = localFiles(this.deps.lake, work.objects, this.scratch).then((paths) =>
      startCsv({
        duckdb: this.duckdb,
        render: (path) => parquetToCsvSql(work.table, paths, path, this.seq),
        path: join(this.scratch, `${work.table.name}.csv`),
      }),
    );
    csv.catch(() => undefined); // reported when its table is copied
    this.started.set(i, csv);
    return csv;
  }
}

/**
 * The objects to apply for `table`: its fact files; for a dimension, the files of its changed
 * rows when the manifest lists them (transforms since `dimensionChanges`), else its complete
 * snapshot (older manifests, or a dimension the transform gave no change file).
 */
function batchObjects(manifest: TransformManifest, table: WarehouseTableDef): CuratedObject[] {
  const of = (objects: readonly CuratedObject[] | undefined) =>
    (objects ?? []).filter((o) => o.table === table.name);
  if (table.kind === 'fact') return of(manifest.facts);
  const changes = of(manifest.dimensionChanges);
  return changes.length > 0 ? changes : of(manifest.dimensions);
}

function checkTables(manifest: TransformManifest): void {
  const known = new Map(warehouseTables.map((t) => [t.name, t.kind]));
  const dimensions = [...manifest.dimensions, ...(manifest.dimensionChanges ?? [])];
  const wrong = [
    ...dimensions.filter((o) => known.get(o.table) !== 'dimension'),
    ...manifest.facts.filter((o) => known.get(o.table) !== 'fact'),
  ];
  if (wrong[0]) {
    throw new BatchLoadError(
      `transform batch ${manifest.seq} lists ${wrong[0].key} under table "${wrong[0].table}", which is not a ${dimensions.includes(wrong[0]) ? 'dimension' : 'fact'} of the schema module. The transform and load disagree on the schema: deploy them together.`,
      { context: { batchSeq: manifest.seq, table: wrong[0].table, key: wrong[0].key } },
    );
  }
}

/** One table of one batch, and what applying it needs. */
interface TableBatch {
  readonly deps: LoadDeps;
  readonly manifest: TransformManifest;
  readonly table: WarehouseTableDef;
  readonly objects: readonly CuratedObject[];
  /** Runs the table's CSV through `COPY` statement `sql`; returns the rows COPY took. */
  readonly copy: (sql: string) => Promise<number>;
}

/**
 * Upserts a dimension's rows through a staging table; rows written = rows inserted or
 * changed. A dimension that is still empty (the initial load) takes its rows straight from
 * COPY: there is nothing to conflict with, and the staging copy and the upsert's conflict
 * checks would cost twice the COPY (1.4 M `dim_transaction` rows at scale).
 */
async function applyDimension(batch: TableBatch): Promise<number> {
  const { deps, table } = batch;
  const started = Date.now();
  if (await guarded(batch, () => isEmpty(deps.warehouse, table))) {
    const copied = await copyParquet(batch, 'table');
    if (copied >= ANALYZE_MIN_ROWS) await guarded(batch, () => deps.warehouse.query(analyzeSql(table)));
    logTable(batch, { mode: 'copy into empty table', rows: copied, copyMs: Date.now() - started });
    return copied;
  }
  await guarded(batch, () => deps.warehouse.query(createStagingSql(table)));
  await copyParquet(batch, 'staging');
  const staged = Date.now();
  const written = await guarded(
    batch,
    async () => (await deps.warehouse.query(upsertDimensionSql(table))).rowCount ?? 0,
  );
  logTable(batch, { mode: 'upsert', rows: written, copyMs: staged - started, applyMs: Date.now() - staged });
  return written;
}

/**
 * Appends a batch's fact versions with one `COPY` straight into the fact table, in version
 * order (see `versionOrder`). Large batches run in bulk mode (see
 * {@link BULK_FOREIGN_KEY_MIN_ROWS}): foreign keys dropped before the COPY and re-added after
 * it, and the table analysed so the planner knows its new size.
 */
async function applyFacts(batch: TableBatch): Promise<number> {
  const { deps, table } = batch;
  const warehouse = deps.warehouse;
  const started = Date.now();
  const rows = expectedRows(batch);
  const existing = await guarded(batch, () => estimatedRows(warehouse, table));
  const bulk = rows >= (deps.bulkForeignKeyMinRows ?? BULK_FOREIGN_KEY_MIN_ROWS) && rows * 20 >= existing;
  const fks = bulk ? foreignKeys(table) : [];
  // Rebuilding an index reads the whole table: worth it only when the batch is most of it.
  const indexes =
    bulk && rows >= existing ? await guarded(batch, () => rebuildableIndexes(warehouse, table)) : [];
  await guarded(batch, async () => {
    for (const fk of fks) await warehouse.query(dropForeignKeySql(fk));
    for (const index of indexes) await warehouse.query(dropIndexSql(table, index));
  });
  const copied = await copyParquet(batch, 'table');
  const appended = Date.now();
  await guarded(batch, async () => {
    for (const index of indexes) await warehouse.query(createIndexSql(table, index));
    if (copied >= ANALYZE_MIN_ROWS) await warehouse.query(analyzeSql(table));
    for (const fk of fks) await warehouse.query(addForeignKeySql(fk));
  });
  logTable(batch, {
    mode: indexes.length > 0 ? 'bulk append, indexes rebuilt' : bulk ? 'bulk append' : 'append',
    rows: copied,
    copyMs: appended - started,
    applyMs: Date.now() - appended,
  });
  return copied;
}

async function rebuildableIndexes(warehouse: Client, table: WarehouseTableDef): Promise<TableIndex[]> {
  return (await warehouse.query<TableIndex>(tableIndexesSql, [`public.${table.name}`])).rows;
}

/**
 * Tables that took at least this many rows in one COPY are analysed in the batch transaction:
 * until autovacuum catches up, the planner would otherwise plan the foreign-key checks, the
 * next batch's bulk decision and the analysts' first queries for an empty table.
 */
export const ANALYZE_MIN_ROWS = 50_000;

const expectedRows = (batch: TableBatch): number => batch.objects.reduce((sum, o) => sum + o.rows, 0);

/**
 * The Parquet of the batch rendered by DuckDB as CSV and streamed into COPY, into the table
 * itself or its staging table; checks that COPY took exactly the rows the manifest announces.
 */
async function copyParquet(batch: TableBatch, into: 'staging' | 'table'): Promise<number> {
  const { manifest, table } = batch;
  const context = { batchSeq: manifest.seq, table: table.name };
  const copied = await batch.copy(copySql(table, into)).catch((error: unknown) => {
    if (error instanceof CsvCopyError && error.failure.side === 'render') {
      throw new BatchLoadError(
        `cannot read the Parquet of ${table.name} in transform batch ${manifest.seq}: ${messageOf(error)}. The files do not match the curated contract; check the transform.`,
        { cause: error.failure.error, context },
      );
    }
    const cause = error instanceof CsvCopyError ? error.failure.error : error;
    throw new BatchLoadError(explainFailure(manifest.seq, table.name, cause), { cause, context });
  });
  const expected = expectedRows(batch);
  if (copied !== expected) {
    throw new BatchLoadError(
      `transform batch ${manifest.seq} says ${table.name} has ${expected} rows but its Parquet holds ${copied}. The batch is incomplete or corrupt; check the lake.`,
      { context },
    );
  }
  return copied;
}

/** Runs warehouse statements of one table, turning a failure into a {@link BatchLoadError} that says why. */
async function guarded<T>(batch: TableBatch, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const context = { batchSeq: batch.manifest.seq, table: batch.table.name };
    throw new BatchLoadError(explainFailure(batch.manifest.seq, batch.table.name, error), {
      cause: error,
      context,
    });
  }
}

function logTable(batch: TableBatch, details: Record<string, unknown>): void {
  batch.deps.log.debug('loaded table', { batchSeq: batch.manifest.seq, table: batch.table.name, ...details });
}

/** What went wrong loading a table, told by the SQLSTATE class: bad data, a lost connection, or other. */
function explainFailure(seq: number, table: string, error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const rolledBack = 'The batch was rolled back';
  if (code.startsWith('23')) {
    return `transform batch ${seq} violates a constraint of ${table}: ${messageOf(error)}. ${rolledBack}; fix the curated data (or the transform) and load again.`;
  }
  if (code.startsWith('22')) {
    return `a value of ${table} in transform batch ${seq} does not fit its warehouse type: ${messageOf(error)}. ${rolledBack}; check the transform.`;
  }
  if (
    code.startsWith('08') ||
    code === '57P01' ||
    /connection|terminat|not queryable/i.test(messageOf(error))
  ) {
    return `the warehouse connection was lost while loading ${table} of transform batch ${seq}: ${messageOf(error)}. ${rolledBack}; check that the warehouse is up and run again.`;
  }
  return `loading ${table} of transform batch ${seq} failed: ${messageOf(error)}. ${rolledBack}; run again, and if it fails the same way, check the warehouse logs.`;
}

/** True when `table` has no row (in this transaction's view). */
async function isEmpty(warehouse: Client, table: WarehouseTableDef): Promise<boolean> {
  const { rows } = await warehouse.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM ${ident(table.name)}) AS empty`,
  );
  return rows[0]?.empty ?? false;
}

/** The planner's row estimate of a table (0 before its first ANALYZE): cheap, unlike count(*). */
async function estimatedRows(warehouse: Client, table: WarehouseTableDef): Promise<number> {
  const { rows } = await warehouse.query<{ n: number }>(
    `SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = to_regclass($1)`,
    [`public.${table.name}`],
  );
  return rows[0]?.n ?? 0;
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

function sumRows(batches: readonly LoadedBatch[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const batch of batches) {
    for (const [table, n] of Object.entries(batch.rows)) total[table] = (total[table] ?? 0) + n;
  }
  return total;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
