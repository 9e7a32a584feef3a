import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../kernel/catalog/catalog';
import { type DuckSession, openDuck, type QueryResult, sqlString } from '../kernel/duckdb/duckdb';
import {
  type CuratedObject,
  committedIngestSeq,
  type IngestManifest,
  readIngestManifest,
  type TransformManifest,
} from '../kernel/lake/documents/manifests';
import {
  commitTransformState,
  currentStateKey,
  heldStateKey,
  readTransformIntent,
  readTransformState,
  TRANSFORM_INTENT_KEY,
  type TransformIntent,
  type TransformState,
} from '../kernel/lake/documents/transform-state';
import type { LakeStore } from '../kernel/lake/lake-store';
import {
  dimensionChangesKey,
  dimensionSnapshotPrefix,
  factKey,
  newRunId,
  quarantineKey,
  transformManifestKey,
} from '../kernel/lake/layout';
import type { Log } from '../kernel/logger';
import {
  factTables,
  ident,
  type SourceTableDef,
  sourceTable,
  sourceTables,
  type WarehouseTableDef,
  warehouseTable,
} from '../kernel/schema';
import { RawObjectCorruptError, RawObjectMissingError, TransformSqlError } from './errors';
import { ISO_4217 } from './iso4217';
import {
  changeColumns,
  changesSql,
  checkSql,
  curatedColumns,
  currentSql,
  DIMENSIONS,
  deltaSql,
  dimDateSql,
  dimensionChangesSql,
  dimensionRefs,
  dimensionSql,
  emptySelectSql,
  emptyTableSql,
  FACT_DATES,
  factDatesSql,
  factRowsSql,
  factSources,
  firstVersionsSql,
  holdSql,
  keyedDimensionSql,
  memoryViewSql,
  parquetViewSql,
  type QuarantineReason,
  REASON_TEXT,
  rawColumns,
  rawRowJson,
  readRawQuery,
  rel,
  stateColumns,
  versionsSql,
} from './sql';

/** A batch's raw object: its local copy, ingest run, key and the rows its manifest counted. */
interface RawFile {
  readonly path: string;
  readonly seq: number;
  readonly key: string;
  readonly rows: number;
}

/** What the transform works with; the CLI and the Lambda pass their own. */
export interface TransformDeps {
  readonly lake: LakeStore;
  readonly catalog: Catalog;
  readonly log: Log;
  /** A local scratch folder (the Lambda's /tmp): raw and state copies, Parquet before upload. */
  readonly workDir: string;
  readonly clock?: () => Date;
  /** Most ingest runs one batch consumes. @default 100 */
  readonly maxIngestRuns?: number;
  /**
   * DuckDB memory limit (buffer-managed memory only: Node and DuckDB's other allocations
   * come on top, so the process peaks around this plus 300–400 MB). @default '600MB'
   */
  readonly memoryLimit?: string;
  /** DuckDB threads. @default 2 */
  readonly threads?: number;
}

/** Rows quarantined in a batch, by table, reason and column. */
export interface QuarantineCount {
  readonly table: string;
  readonly reason: QuarantineReason;
  readonly column: string;
  readonly rows: number;
}

/** What one call did. */
export interface TransformResult {
  /** `committed`: a batch was written and committed; `up-to-date`: no ingest run was waiting. */
  readonly status: 'committed' | 'up-to-date';
  /** The committed batch number (the last committed one when up to date). */
  readonly seq: number;
  readonly batchId?: string;
  /** Ingest runs consumed: (from, to]. */
  readonly ingestSeqs: { readonly from: number; readonly to: number };
  /** True when committed ingest runs remain beyond this batch: call again. */
  readonly more: boolean;
  /** New fact rows (versions) per fact table. */
  readonly facts: Readonly<Record<string, number>>;
  /** Rows of each dimension's new snapshot; only dimensions that changed. */
  readonly dimensions: Readonly<Record<string, number>>;
  readonly quarantined: readonly QuarantineCount[];
  /** Versions waiting for a dimension row, per source table (retried every batch). */
  readonly held: Readonly<Record<string, number>>;
}

/** DuckDB's memory limit: with Node and DuckDB's unmanaged memory, the process stays under 1 GiB. */
const DEFAULT_MEMORY_LIMIT = '600MB';

/**
 * Transforms the committed ingest runs not yet transformed (at most `maxIngestRuns`) into one
 * curated batch: fact history Parquet under `dt=` partitions, complete new snapshots of the
 * dimensions that changed, quarantined rows, then the batch manifest, the catalog switches
 * and finally the state object that commits it. A crash before the commit leaves the
 * committed state as it was; the rerun redoes the batch under a new batch id.
 *
 * @example
 * const result = await transform({ lake, catalog: new LocalCatalog(lake), log, workDir: '/tmp' });
 * if (result.more) … // call again
 */
export async function transform(deps: TransformDeps): Promise<TransformResult> {
  const clock = deps.clock ?? (() => new Date());
  const { state, version } = await readTransformState(deps.lake);
  const committed = await committedIngestSeq(deps.lake);
  const from = state.ingestSeq;
  if (committed <= from) {
    // Also when idle: a redeploy may have reset a Glue table's location to its placeholder.
    await pointCatalogAt(deps.catalog, state.dimensions);
    return upToDate(state);
  }
  const to = Math.min(committed, from + (deps.maxIngestRuns ?? 100));
  const manifests: IngestManifest[] = [];
  for (let s = from + 1; s <= to; s++) manifests.push(await readIngestManifest(deps.lake, s));
  await removeUncommitted(deps, state);
  const seq = state.seq + 1;
  const batchId = newRunId(clock());
  const intent: TransformIntent = { seq, batchId };
  await deps.lake.put(TRANSFORM_INTENT_KEY, JSON.stringify(intent));
  await mkdir(deps.workDir, { recursive: true });
  const work = await mkdtemp(join(deps.workDir, `transform-${seq}-`));
  // A database file, not :memory:, so that big intermediates can leave RAM under the limit.
  const duck = await openDuck({
    memoryLimit: deps.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
    threads: deps.threads ?? 2,
    tempDirectory: join(work, 'duckdb'),
    databasePath: join(work, 'transform.duckdb'),
  });
  try {
    const batch = new Batch(deps, duck, work, state, seq, batchId);
    const outcome = await batch.run(manifests);
    const manifest: TransformManifest = {
      seq,
      batchId,
      ingestSeqs: { from, to },
      facts: outcome.facts,
      dimensions: outcome.dimensions,
      dimensionChanges: outcome.dimensionChanges,
      quarantine: outcome.quarantine,
    };
    await deps.lake.put(transformManifestKey(seq), `${JSON.stringify(manifest, null, 2)}\n`);
    await pointCatalogAt(deps.catalog, outcome.dimensionFiles);
    const next: TransformState = {
      seq,
      batchId,
      ingestSeq: to,
      committedAt: clock().toISOString(),
      current: outcome.current,
      held: outcome.held,
      dimensions: outcome.dimensionFiles,
    };
    await commitTransformState(deps.lake, next, version);
    deps.log.info('transform batch committed', { seq, batchId, ingestSeqs: { from, to } });
    return {
      status: 'committed',
      seq,
      batchId,
      ingestSeqs: { from, to },
      more: to < committed,
      facts: sumBy(outcome.facts),
      dimensions: sumBy(outcome.dimensions),
      quarantined: outcome.quarantined,
      held: outcome.heldCounts,
    };
  } finally {
    duck.close();
    await rm(work, { recursive: true, force: true });
  }
}

function upToDate(state: TransformState): TransformResult {
  return {
    status: 'up-to-date',
    seq: state.seq,
    ingestSeqs: { from: state.ingestSeq, to: state.ingestSeq },
    more: false,
    facts: {},
    dimensions: {},
    quarantined: [],
    held: {},
  };
}

/**
 * Switches every dimension whose catalog pointer is not the snapshot of `files` (the new
 * state). Checking all of them, not only the ones this batch rebuilt, also repairs a pointer
 * left on the snapshot of a batch that crashed before its commit.
 */
async function pointCatalogAt(catalog: Catalog, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [dim, key] of Object.entries(files)) {
    const prefix = key.slice(0, key.lastIndexOf('/') + 1);
    if ((await catalog.currentDimension(dim)) !== prefix) await catalog.switchDimension(dim, prefix);
  }
}

/**
 * Removes the objects of a batch that started but never committed (a crash or a lost
 * commit race): they are under keys no committed state names, all carrying its batch id.
 * The catalog is put back on the committed snapshots.
 */
async function removeUncommitted(deps: TransformDeps, state: TransformState): Promise<void> {
  const intent = await readTransformIntent(deps.lake);
  if (!intent || intent.seq <= state.seq || intent.batchId === state.batchId) return;
  let removed = 0;
  for (const prefix of ['curated/', 'state/transform-current/', 'state/transform-held/', 'quarantine/']) {
    const keys: string[] = [];
    for await (const key of deps.lake.list(prefix)) if (key.includes(intent.batchId)) keys.push(key);
    for (const key of keys) await deps.lake.delete(key);
    removed += keys.length;
  }
  await pointCatalogAt(deps.catalog, state.dimensions);
  deps.log.warn('removed the objects of an uncommitted transform batch', { ...intent, objects: removed });
}

function sumBy(objects: readonly CuratedObject[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const o of objects) sums[o.table] = (sums[o.table] ?? 0) + o.rows;
  return sums;
}

/** Everything a batch wrote, before it is committed. */
interface BatchOutcome {
  readonly facts: CuratedObject[];
  readonly dimensions: CuratedObject[];
  readonly dimensionChanges: CuratedObject[];
  readonly quarantine: CuratedObject[];
  readonly quarantined: QuarantineCount[];
  readonly current: Record<string, readonly string[]>;
  readonly held: Record<string, string>;
  readonly heldCounts: Record<string, number>;
  readonly dimensionFiles: Record<string, string>;
}

/** Delta files of a table's memory before they are merged into a new base. */
const MAX_MEMORY_FILES = 16;

/** Parallel uploads of fact files (one per date partition, so many on a first load). */
const UPLOAD_CONCURRENCY = 8;

/** Runs `task` over `items`, at most `limit` at a time. */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The snapshot file name inside `curated/<dim>/snapshot=<batch>/`. */
const SNAPSHOT_FILE = 'part-0.parquet';

/** Per-table relations a batch drops once the table's outputs are written. */
const TABLE_RELATIONS = ['chk', 'chg', 'retry', 'prior', 'ver', 'delta', 'held', 'cur', 'old'];

/**
 * One transform batch: the DuckDB statements in order, and the objects they produce.
 *
 * Memory is bounded by working one table at a time: each source table's intermediates are
 * dropped as soon as its outputs (fact files, memory, held rows) are written, so the batch
 * never holds more than one large table (DuckDB spills what exceeds its limit).
 */
class Batch {
  /** Relations already defined in this DuckDB session (lazy views over lake files). */
  private readonly defined = new Set<string>();
  /** Source tables whose `ver_t` is a first sight (empty memory, one version per row). */
  private readonly firstSight = new Set<string>();
  private readonly out: string;
  private readonly current: Record<string, readonly string[]>;
  private readonly held: Record<string, string>;

  constructor(
    private readonly deps: TransformDeps,
    private readonly duck: DuckSession,
    private readonly work: string,
    private readonly state: TransformState,
    private readonly seq: number,
    private readonly batchId: string,
  ) {
    this.out = join(work, 'out');
    this.current = { ...state.current };
    this.held = { ...state.held };
  }

  async run(manifests: readonly IngestManifest[]): Promise<BatchOutcome> {
    await this.prepare();
    await mkdir(this.out, { recursive: true });
    const rawFiles = await this.collectRawFiles(manifests);
    const withInput = sourceTables.filter(
      (t) => rawFiles.has(t.name) || this.state.held[t.name] !== undefined,
    );
    const changed = new Set<string>();

    const dimensionSources = withInput.filter((t) => !factSources.has(t.name));
    for (const table of dimensionSources) {
      await this.loadChanges(table, rawFiles.get(table.name) ?? []);
      if (await this.applyVersions(table)) changed.add(table.name);
    }
    const changedDims = await this.rebuildDimensions(changed);
    for (const table of dimensionSources) {
      if (changed.has(table.name)) this.current[table.name] = await this.writeMemory(table.name);
      await this.dropTable(table.name);
    }

    const factsWithInput = factTables.filter((f) => withInput.some((t) => t.name === f.sourceTable));
    const heldCounts: Record<string, number> = {};
    const facts: CuratedObject[] = [];
    for (const fact of factsWithInput) {
      const table = sourceTable(fact.sourceTable ?? '');
      heldCounts[table.name] = await this.transformFact(fact, table, rawFiles.get(table.name) ?? []);
      const factChanged = await this.applyVersions(table);
      await this.step(fact.name, [factRowsSql(fact), factDatesSql(fact)]);
      facts.push(...(await this.writeFact(fact.name)));
      if (factChanged) this.current[table.name] = await this.writeMemory(table.name);
      await this.writeHeld(table, heldCounts[table.name] ?? 0);
      await this.dropTable(table.name);
      await this.dropRelation(rel('out', fact.name));
    }
    if (factsWithInput.length > 0 && (await this.rebuildDimDate())) changedDims.push('dim_date');
    const dims = await this.writeDimensions(changedDims);
    const { objects: quarantine, counts: quarantined } = await this.writeQuarantine();
    for (const q of quarantined) this.deps.log.warn('rows quarantined', { ...q, batchId: this.batchId });
    return {
      facts,
      ...dims,
      quarantine,
      quarantined,
      current: this.current,
      held: this.held,
      heldCounts,
    };
  }

  /**
   * Loads a fact source's changes and holds the versions whose dimension rows are missing
   * (checked against the dimensions as this batch leaves them); returns how many are held.
   */
  private async transformFact(
    fact: WarehouseTableDef,
    table: SourceTableDef,
    files: readonly RawFile[],
  ): Promise<number> {
    await this.loadChanges(table, files);
    for (const column of dimensionRefs(fact)) await this.ensureDimension(column.references?.table ?? '');
    await this.step(table.name, holdSql(fact));
    await this.quarantineHeld(table);
    return this.duck.scalarNumber(`SELECT count(*) FROM ${rel('held', table.name)}`);
  }

  /** The ISO 4217 lookup, the quarantine collector and the batch's fact dates. */
  private async prepare(): Promise<void> {
    const rows = [...ISO_4217].map(([code, name]) => `(${sqlString(code)}, ${sqlString(name)})`);
    await this.duck.exec(
      `CREATE TEMP TABLE iso4217 AS SELECT * FROM (VALUES ${rows.join(', ')}) t(code, name)`,
    );
    await this.duck.exec(
      `CREATE TEMP TABLE quarantine ("table" VARCHAR, reason VARCHAR, "column" VARCHAR, "key" BIGINT, "row" JSON)`,
    );
    const reasons = Object.entries(REASON_TEXT).map(([r, text]) => `(${sqlString(r)}, ${sqlString(text)})`);
    await this.duck.exec(
      `CREATE TEMP TABLE reasons AS SELECT * FROM (VALUES ${reasons.join(', ')}) t(reason, detail)`,
    );
    await this.duck.exec(`CREATE TEMP TABLE ${ident(FACT_DATES)} (d DATE)`);
  }

  /** Local paths of the batch's raw objects per table, in ingest order. */
  private async collectRawFiles(manifests: readonly IngestManifest[]): Promise<Map<string, RawFile[]>> {
    const files = new Map<string, RawFile[]>();
    for (const manifest of manifests) {
      for (const object of manifest.objects) {
        if (object.rows === 0) continue;
        const path = await this.localCopy(object.key, manifest.runId);
        const list = files.get(object.table) ?? [];
        list.push({ path, seq: manifest.seq, key: object.key, rows: object.rows });
        files.set(object.table, list);
      }
    }
    return files;
  }

  /** A local file with the object's bytes: the object itself in a local lake, else a download. */
  private async localCopy(key: string, runId?: string): Promise<string> {
    const inPlace = this.deps.lake.localPath(key);
    if (inPlace !== undefined) {
      try {
        await access(inPlace, constants.R_OK);
      } catch (cause) {
        throw new RawObjectMissingError(
          `${key} is missing from ${this.deps.lake.url}; the lake is incomplete`,
          {
            cause,
            context: { key, ...(runId ? { runId } : {}) },
          },
        );
      }
      return inPlace;
    }
    const local = join(this.work, 'in', ...key.split('/'));
    try {
      await this.deps.lake.download(key, local);
    } catch (cause) {
      throw new RawObjectMissingError(`could not download ${key} from ${this.deps.lake.url}`, {
        cause,
        context: { key, ...(runId ? { runId } : {}) },
      });
    }
    return local;
  }

  /** Runs statements of one step; a failure names the table and batch. */
  private async step(table: string, statements: readonly string[]): Promise<void> {
    for (const sql of statements) await this.query(table, sql);
  }

  /** Runs one statement and returns its rows (`COPY … RETURN_STATS` answers with its files). */
  private async query(table: string, sql: string): Promise<QueryResult> {
    const started = Date.now();
    try {
      const result = await this.duck.all(sql);
      this.deps.log.debug('transform step', { table, ms: Date.now() - started, sql: sql.slice(0, 60) });
      return result;
    } catch (cause) {
      throw new TransformSqlError(
        `transform batch ${this.seq} failed on ${table}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause, context: { table, batchId: this.batchId } },
      );
    }
  }

  /** Drops a temporary table or view if it exists (DuckDB's DROP must name the right kind). */
  private async dropRelation(name: string): Promise<void> {
    const bare = name.replace(/^"|"$/g, '').replaceAll('""', '"');
    const kinds = await this.duck.all(
      `SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ${sqlString(bare)} UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND NOT internal AND view_name = ${sqlString(bare)}`,
    );
    for (const [kind] of kinds.rows) await this.step(bare, [`DROP ${String(kind)} IF EXISTS ${ident(bare)}`]);
    this.defined.delete(bare);
  }

  /** Drops every intermediate of a source table whose outputs are written: frees its memory. */
  private async dropTable(table: string): Promise<void> {
    for (const prefix of TABLE_RELATIONS) await this.dropRelation(rel(prefix, table));
  }

  /** `chk_t` (read and checked in one pass) → `chg_t` (+ retried held rows); invalid rows to quarantine. */
  private async loadChanges(table: SourceTableDef, files: readonly RawFile[]): Promise<void> {
    const t = table.name;
    const statements: string[] = [];
    statements.push(
      checkSql(
        table,
        `(${files.length > 0 ? readRawQuery(table, files) : emptySelectSql(rawColumns(table))})`,
      ),
    );
    const heldKey = this.state.held[t];
    if (heldKey !== undefined) {
      const path = await this.localCopy(heldKey);
      statements.push(
        parquetViewSql(
          `retry_${t}`,
          path,
          changeColumns(table).filter(([n]) => n !== '_rid'),
        ),
      );
    }
    statements.push(changesSql(table, heldKey !== undefined ? rel('retry', t) : undefined));
    statements.push(
      `INSERT INTO quarantine SELECT ${sqlString(t)}, _reason, _column, TRY_CAST(${ident(table.primaryKey)} AS BIGINT), ${rawRowJson(table)} FROM ${rel('chk', t)} WHERE _reason IS NOT NULL`,
    );
    await this.step(t, statements);
    await this.checkRowCounts(table, files);
    await this.defineMemory(`prior_${t}`, table, true);
  }

  /**
   * Every raw object must yield the rows its manifest counted. DuckDB reads a gzip cut right
   * after its header as an empty file without complaint; committing that would lose rows.
   */
  private async checkRowCounts(table: SourceTableDef, files: readonly RawFile[]): Promise<void> {
    if (files.length === 0) return;
    const counted = await this.duck.all(
      `SELECT _seq, count(*)::INTEGER FROM ${rel('chk', table.name)} GROUP BY _seq`,
    );
    const read = new Map(counted.rows.map((r) => [Number(r[0]), Number(r[1])]));
    for (const file of files) {
      const rows = read.get(file.seq) ?? 0;
      if (rows !== file.rows) {
        throw new RawObjectCorruptError(
          `raw object ${file.key} holds ${rows} rows but its ingest manifest says ${file.rows}; it is truncated or was replaced — restore it from the bucket's version history, then run again`,
          { context: { table: table.name, key: file.key, batchId: this.batchId } },
        );
      }
    }
  }

  /** `old_t`: the committed memory of `table`, or an empty table before its first batch. */
  private async defineOld(table: SourceTableDef): Promise<void> {
    await this.defineMemory(`old_${table.name}`, table, false);
  }

  /** `old_t` (whole) or `prior_t` (rows the batch touches) over the memory's files. */
  private async defineMemory(name: string, table: SourceTableDef, touchedOnly: boolean): Promise<void> {
    if (this.defined.has(name)) return;
    const keys = this.state.current[table.name] ?? [];
    const paths: string[] = [];
    for (const key of keys) paths.push(await this.localCopy(key));
    const sql =
      paths.length === 0
        ? emptyTableSql(name, stateColumns(table))
        : memoryViewSql(name, table, paths, touchedOnly);
    await this.step(table.name, [sql]);
    this.defined.add(name);
  }

  /**
   * `ver_t` and `delta_t`; true when some row really changed (so the memory must be
   * rewritten). A table seen for the first time, each row once, takes the first-sight view
   * instead of the window pass: nothing to compare with, nothing to order.
   */
  private async applyVersions(table: SourceTableDef): Promise<boolean> {
    const t = table.name;
    const first = (this.state.current[t] ?? []).length === 0 && (await this.keysUnique(table));
    if (first) this.firstSight.add(t);
    await this.step(t, [
      first ? firstVersionsSql(table) : versionsSql(table),
      `INSERT INTO quarantine SELECT ${sqlString(t)}, 'unknown_row_deleted', ${sqlString(table.primaryKey)}, v._pk, ${rawRowJson(table, 'c.')} FROM ${rel('ver', t)} v JOIN ${rel('chk', t)} c ON c.rowid = v._rid WHERE v._new AND v._unknown`,
      deltaSql(table, first),
    ]);
    this.defined.add(`ver_${t}`);
    return (
      (await this.duck.scalarNumber(
        `SELECT count(*) FROM ${rel('ver', t)} WHERE _new AND _changed AND NOT _unknown`,
      )) > 0
    );
  }

  /** True when no row appears twice among the batch's changes of `table`. */
  private async keysUnique(table: SourceTableDef): Promise<boolean> {
    const pk = ident(table.primaryKey);
    return (
      (await this.duck.scalarNumber(
        `SELECT count(*) - count(DISTINCT ${pk}) FROM ${rel('chg', table.name)}`,
      )) === 0
    );
  }

  /** `cur_t` of a table the batch touched: the whole memory after the batch. */
  private async defineCurrent(table: SourceTableDef): Promise<void> {
    if (this.defined.has(`cur_${table.name}`)) return;
    await this.defineOld(table);
    await this.step(table.name, [currentSql(table)]);
    this.defined.add(`cur_${table.name}`);
  }

  /** `cur_t` of any table: after the batch if it touched it, else its committed memory. */
  private async ensureCurrent(tableName: string): Promise<void> {
    if (this.defined.has(`cur_${tableName}`)) return;
    const table = sourceTable(tableName);
    if (this.defined.has(`ver_${tableName}`)) return this.defineCurrent(table);
    await this.defineOld(table);
    await this.step(tableName, [
      `CREATE OR REPLACE TEMP VIEW ${rel('cur', tableName)} AS SELECT * FROM ${rel('old', tableName)}`,
    ]);
    this.defined.add(`cur_${tableName}`);
  }

  /** `prev_<dim>`: the committed snapshot, or empty. */
  private async definePrevious(dim: string): Promise<void> {
    const name = `prev_${dim}`;
    if (this.defined.has(name)) return;
    const key = this.state.dimensions[dim];
    const columns = curatedColumns(warehouseTable(dim));
    const sql =
      key === undefined
        ? emptyTableSql(name, columns)
        : parquetViewSql(name, await this.localCopy(key), columns);
    await this.step(dim, [sql]);
    this.defined.add(name);
  }

  /** `<dim>`: the dimension as it stands after the batch (rebuilt, or the committed snapshot). */
  private async ensureDimension(dim: string): Promise<void> {
    if (this.defined.has(dim)) return;
    await this.definePrevious(dim);
    await this.step(dim, [`CREATE OR REPLACE TEMP VIEW ${ident(dim)} AS SELECT * FROM ${rel('prev', dim)}`]);
    this.defined.add(dim);
  }

  /**
   * Rebuilds every dimension one of whose sources changed (a department edit rebuilds
   * dim_staff: the ripple) and keeps the ones whose rows really differ from the snapshot;
   * `chg_<dim>` holds their new or changed rows.
   *
   * A dimension built from one source table depends, row by row, on that table's row alone,
   * so it is rebuilt for the changed keys only (`delta_t`) and compared on those keys: the
   * cost follows the batch, not the table (dim_transaction has a row per transaction).
   * The others (small, with joins that ripple) are rebuilt whole from `cur_t`.
   */
  private async rebuildDimensions(changed: ReadonlySet<string>): Promise<string[]> {
    const rebuilt: string[] = [];
    for (const [dim, recipe] of Object.entries(DIMENSIONS)) {
      if (!recipe.sources.some((s) => changed.has(s))) continue;
      await this.definePrevious(dim);
      if (recipe.sources.length === 1) {
        await this.step(dim, keyedDimensionSql(dim, this.state.dimensions[dim] === undefined));
      } else {
        for (const source of recipe.sources) await this.ensureCurrent(source);
        await this.step(dim, [dimensionSql(dim)]);
        await this.warnOfOrphans(dim, recipe.sources[0] ?? '');
        await this.step(dim, [dimensionChangesSql(dim)]);
      }
      if (await this.differs(dim, recipe.sources.length === 1)) {
        await this.step(dim, [
          `CREATE OR REPLACE TEMP VIEW ${ident(dim)} AS SELECT * FROM ${rel('new', dim)}`,
        ]);
        this.defined.add(dim);
        rebuilt.push(dim);
      }
    }
    return rebuilt;
  }

  /** Rows of the main source the inner join dropped: their parent row is unknown (yet). */
  private async warnOfOrphans(dim: string, source: string): Promise<void> {
    const left = await this.duck.scalarNumber(
      `SELECT (SELECT count(*) FROM ${rel('cur', source)}) - (SELECT count(*) FROM ${rel('new', dim)})`,
    );
    if (left > 0) {
      this.deps.log.warn('dimension rows left out until their parent row arrives', {
        table: dim,
        source,
        rows: left,
      });
    }
  }

  /** True when the rebuilt dimension differs from its snapshot (keyed: no row ever leaves). */
  private async differs(dim: string, keyed: boolean): Promise<boolean> {
    const [n, p, c] = [rel('new', dim), rel('prev', dim), rel('chg', dim)];
    const added = await this.duck.scalarNumber(`SELECT count(*) FROM ${c}`);
    if (added > 0 || keyed) return added > 0;
    const gone = await this.duck.scalarNumber(
      `SELECT count(*) FROM (SELECT * FROM ${p} EXCEPT ALL SELECT * FROM ${n})`,
    );
    return gone > 0;
  }

  /** `new_dim_date` and its added dates; true when the new fact rows reference dates `dim_date` lacked. */
  private async rebuildDimDate(): Promise<boolean> {
    await this.definePrevious('dim_date');
    await this.step('dim_date', [dimDateSql(), dimensionChangesSql('dim_date')]);
    return (await this.duck.scalarNumber(`SELECT count(*) FROM ${rel('chg', 'dim_date')}`)) > 0;
  }

  /** Held versions first seen in this batch go to quarantine (retried ones were reported already). */
  private async quarantineHeld(table: SourceTableDef): Promise<void> {
    const t = table.name;
    await this.step(t, [
      `INSERT INTO quarantine SELECT ${sqlString(t)}, 'missing_dimension_row', h._column, h.${ident(table.primaryKey)}, ${rawRowJson(table, 'c.')} FROM ${rel('held', t)} h JOIN ${rel('chk', t)} c ON c.rowid = h._rid`,
    ]);
  }

  /**
   * Writes the new snapshot of each changed dimension and the file of its new or changed
   * rows (`dimensionChanges`). A dimension's first snapshot is all new: the snapshot itself
   * is its changes file.
   */
  private async writeDimensions(
    changedDims: readonly string[],
  ): Promise<Pick<BatchOutcome, 'dimensions' | 'dimensionChanges' | 'dimensionFiles'>> {
    const dimensions: CuratedObject[] = [];
    const dimensionChanges: CuratedObject[] = [];
    const dimensionFiles = { ...this.state.dimensions };
    for (const dim of changedDims) {
      const key = `${dimensionSnapshotPrefix(dim, this.batchId)}${SNAPSHOT_FILE}`;
      const rows = await this.copyToLake(`SELECT * FROM ${rel('new', dim)}`, `${dim}.parquet`, key);
      dimensions.push({ table: dim, key, rows });
      dimensionFiles[dim] = key;
      if (this.state.dimensions[dim] === undefined) {
        dimensionChanges.push({ table: dim, key, rows });
        continue;
      }
      const changesKey = dimensionChangesKey(dim, this.batchId);
      const changes = await this.copyToLake(
        `SELECT * FROM ${rel('chg', dim)}`,
        `${dim}-changes.parquet`,
        changesKey,
      );
      dimensionChanges.push({ table: dim, key: changesKey, rows: changes });
    }
    return { dimensions, dimensionChanges, dimensionFiles };
  }

  /**
   * Writes the memory of a changed table; returns its files. A batch appends a delta of the
   * rows that changed (cheap for small batches on big tables) until there are
   * `MAX_MEMORY_FILES`, then merges into a new base; a table whose whole memory a dimension
   * was rebuilt from (`cur_t`) writes a new base from it anyway.
   */
  private async writeMemory(tableName: string): Promise<string[]> {
    const table = sourceTable(tableName);
    const files = this.state.current[tableName] ?? [];
    const key = currentStateKey(tableName, this.batchId);
    const file = `memory-${tableName}.parquet`;
    if (!this.defined.has(`cur_${tableName}`) && files.length < MAX_MEMORY_FILES) {
      await this.copyToLake(`SELECT * FROM ${rel('delta', tableName)}`, file, key);
      return [...files, key];
    }
    await this.defineCurrent(table);
    await this.copyToLake(`SELECT * FROM ${rel('cur', tableName)}`, file, key);
    return [key];
  }

  /** Writes the versions of a fact source held for a missing dimension row (retried next batch). */
  private async writeHeld(table: SourceTableDef, count: number): Promise<void> {
    delete this.held[table.name];
    if (count === 0) return;
    const columns = changeColumns(table)
      .filter(([n]) => n !== '_rid')
      .map(([n]) => ident(n));
    const key = heldStateKey(table.name, this.batchId);
    await this.copyToLake(
      `SELECT ${columns.join(', ')} FROM ${rel('held', table.name)}`,
      `held-${table.name}.parquet`,
      key,
    );
    this.held[table.name] = key;
  }

  /**
   * Fact rows partitioned by `dt`, one file per partition, uploaded under `factKey`; the
   * per-file row counts come from the COPY itself (`RETURN_STATS`), not from re-reading.
   */
  private async writeFact(fact: string): Promise<CuratedObject[]> {
    const dir = join(this.out, fact);
    const table = warehouseTable(fact);
    const columns = curatedColumns(table)
      .map(([n]) => ident(n))
      .join(', ');
    // A partitioned COPY writes a file per date and thread unless one thread writes it or
    // the rows come sorted by date. A first sight has one version per row, in key order
    // already: one thread, no sort (measured at 1M rows: 0.8 s instead of 2 s). Otherwise
    // (versions of a row to keep in order) sort; snappy writes 3x faster than zstd.
    const first = this.firstSight.has(table.sourceTable ?? '');
    const order = first ? '' : ` ORDER BY dt, ${ident(table.naturalKey)}, observed_at`;
    const copy = `COPY (SELECT ${columns}, dt FROM ${rel('out', fact)}${order}) TO ${sqlString(dir)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (dt), FILENAME_PATTERN ${sqlString(`${this.batchId}-{i}`)}, RETURN_STATS true)`;
    if (first) await this.step(fact, ['SET threads = 1']);
    const files = await this.query(fact, copy).finally(() =>
      first ? this.step(fact, [`SET threads = ${this.deps.threads ?? 2}`]) : undefined,
    );
    const at = (name: string) => files.columns.indexOf(name);
    const objects = files.rows
      .map((row) => ({ filename: String(row[at('filename')]), n: Number(row[at('count')]) }))
      .filter((f) => f.n > 0)
      .map(({ filename, n }) => {
        const match = /dt=(\d{4}-\d{2}-\d{2})\/.*-(\d+)\.parquet$/.exec(filename);
        if (!match?.[1] || !match[2]) {
          throw new TransformSqlError(`unexpected fact file ${filename}`, { context: { table: fact } });
        }
        const key = factKey(fact, match[1], this.batchId, Number(match[2]));
        return { table: fact, key, rows: n, file: filename };
      })
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await forEachLimit(objects, UPLOAD_CONCURRENCY, (o) => this.deps.lake.upload(o.file, o.key));
    return objects.map(({ table, key, rows }) => ({ table, key, rows }));
  }

  /** `COPY (query) TO <out>/<name> (Parquet)`, then uploads it whole; returns the row count. */
  private async copyToLake(query: string, name: string, key: string): Promise<number> {
    const file = join(this.out, name);
    const stats = await this.query(
      key,
      `COPY (${query}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, RETURN_STATS true)`,
    );
    const count = stats.columns.indexOf('count');
    const rows = stats.rows.reduce((n, row) => n + Number(row[count] ?? 0), 0);
    await this.deps.lake.upload(file, key);
    return rows;
  }

  private async writeQuarantine(): Promise<{ objects: CuratedObject[]; counts: QuarantineCount[] }> {
    const grouped = await this.duck.all(
      `SELECT "table", reason, "column", count(*) FROM quarantine GROUP BY ALL ORDER BY ALL`,
    );
    const counts: QuarantineCount[] = grouped.rows.map(([table, reason, column, rows]) => ({
      table: String(table),
      reason: String(reason) as QuarantineReason,
      column: String(column),
      rows: Number(rows),
    }));
    const objects: CuratedObject[] = [];
    for (const table of new Set(counts.map((c) => c.table))) {
      const file = join(this.out, `quarantine-${table}.jsonl`);
      const key = quarantineKey(table, this.batchId);
      await this.step(table, [
        `COPY (SELECT q."table", ${sqlString(this.batchId)} AS batch_id, q.reason, r.detail, q."column", q."key", q."row" FROM quarantine q JOIN reasons r USING (reason) WHERE q."table" = ${sqlString(table)} ORDER BY q."key") TO ${sqlString(file)} (FORMAT json)`,
      ]);
      await this.deps.lake.upload(file, key);
      objects.push({
        table,
        key,
        rows: counts.filter((c) => c.table === table).reduce((a, c) => a + c.rows, 0),
      });
    }
    return { objects, counts };
  }
}
