/**
 * What a batch writes to the lake before its commit: fact files under `dt=` partitions,
 * dimension snapshots and their change files, the memory of each changed source table, the
 * held versions of each fact source and the quarantined rows. Each is written locally by a
 * DuckDB `COPY` and then uploaded under a key that carries the batch id.
 */

import { join } from 'node:path';
import { sqlString } from '../../kernel/duckdb/duckdb';
import type { CuratedObject } from '../../kernel/lake/documents/manifests';
import type { DimensionPart } from '../../kernel/lake/documents/transform-state';
import { currentStateKey, heldStateKey } from '../../kernel/lake/documents/transform-state';
import {
  dimensionChangesKey,
  dimensionPartKey,
  dimensionSnapshotPrefix,
  factKey,
  quarantineKey,
} from '../../kernel/lake/layout';
import { ident, type SourceTableDef, sourceTable, warehouseTable } from '../../kernel/schema';
import { TransformSqlError } from '../errors';
import { isKeyed, keyedNewSql, touchedRelation } from './dimensions';
import { heldColumns } from './inputs';
import type { QuarantineCount, QuarantineReason } from './quarantine';
import { BATCH_TABLES, curatedColumns, rel } from './relations';
import type { BatchSession } from './session';
import {
  type Chunk,
  committedParts,
  keyOrdinalSql,
  ordinalsAtSql,
  partRowsSql,
  partsOfKeysSql,
  planParts,
  snapshotRowsSql,
  splitRows,
} from './snapshot-parts';
import { defineCurrent } from './versions';

/** Delta files of a table's memory before they are merged into a new base. */
const MAX_MEMORY_FILES = 16;

/** Parallel uploads of fact files (one per date partition, so many on a first load) and copies of snapshot files. */
const UPLOAD_CONCURRENCY = 8;

/** The dimension objects a batch wrote and the snapshot each dimension is at after it. */
export interface DimensionOutputs {
  /** Every file of each changed dimension's new snapshot (copied ones included). */
  readonly dimensions: CuratedObject[];
  readonly dimensionChanges: CuratedObject[];
  /** Snapshot folder per dimension: the committed ones, with the batch's new ones in their place. */
  readonly dimensionFiles: Record<string, string>;
  /** The files of each snapshot in `dimensionFiles` written as several files (every new one). */
  readonly dimensionParts: Record<string, readonly DimensionPart[]>;
}

/** The rows of the snapshot files being written, with `_part`: the committed file they replace. */
const snapshotRelation = (dim: string): string => ident(`snap_${dim}`);

/**
 * Writes the new snapshot of each changed dimension and the file of its new or changed
 * rows (`dimensionChanges`). A dimension's first snapshot is all new: its files are its
 * changes files.
 *
 * A snapshot is a folder of key-range files (lambdas/transform/batch/snapshot-parts.ts). A
 * keyed dimension with a committed snapshot rewrites only the files its changed rows fall
 * in and copies the others into the new folder (server-side on S3); the others are written
 * whole. Every file is in the new folder before the manifest, the catalog switch and the
 * state commit name it; an uncommitted batch's folder carries its batch id and is removed
 * with its other objects.
 */
export async function writeDimensions(
  session: BatchSession,
  changedDims: readonly string[],
): Promise<DimensionOutputs> {
  const dimensions: CuratedObject[] = [];
  const dimensionChanges: CuratedObject[] = [];
  const dimensionFiles = { ...session.state.dimensions };
  const dimensionParts: Record<string, readonly DimensionPart[]> = { ...session.state.dimensionParts };
  for (const dim of changedDims) {
    const { objects, parts } = await writeSnapshot(session, dim);
    dimensions.push(...objects);
    dimensionFiles[dim] = dimensionSnapshotPrefix(dim, session.batchId);
    dimensionParts[dim] = parts;
    if (committedParts(session.state, dim).length === 0) {
      dimensionChanges.push(...objects);
      continue;
    }
    const changesKey = dimensionChangesKey(dim, session.batchId);
    const changes = await copyToLake(
      session,
      `SELECT * FROM ${rel('chg', dim)}`,
      `${dim}-changes.parquet`,
      changesKey,
    );
    dimensionChanges.push({ table: dim, key: changesKey, rows: changes });
  }
  return { dimensions, dimensionChanges, dimensionFiles, dimensionParts };
}

/**
 * The files of the new snapshot of `dim`: the rewritten key ranges (split when too big)
 * written and uploaded, the untouched ones copied from the committed folder.
 */
async function writeSnapshot(
  session: BatchSession,
  dim: string,
): Promise<{ objects: CuratedObject[]; parts: DimensionPart[] }> {
  const committed = committedParts(session.state, dim);
  const incremental = isKeyed(dim) && committed.length > 0;
  const columns = curatedColumns(warehouseTable(dim)).map(([n]) => ident(n));
  const snap = snapshotRelation(dim);
  if (incremental) {
    // The files the changed rows fall in, rebuilt: their members with the changed ones replaced.
    const changed = await session.query(dim, partsOfKeysSql(dim, committed, rel('chg', dim)));
    const rebuilt = ident(`rebuilt_${dim}`);
    await session.step(dim, [
      keyedNewSql(dim, ident(touchedRelation(dim)), rebuilt),
      snapshotRowsSql(
        dim,
        rebuilt,
        committed,
        snap,
        changed.rows.map(([i]) => Number(i)),
      ),
    ]);
  } else {
    await session.step(dim, [
      snapshotRowsSql(dim, isKeyed(dim) ? rel('chg', dim) : rel('new', dim), [], snap),
    ]);
  }
  const chunks: Chunk[] = [];
  for (const [part, n] of (await session.query(dim, partRowsSql(snap))).rows) {
    const [idx, rows] = [Number(part), Number(n)];
    const at = splitRows(rows);
    const firsts =
      at.length === 0
        ? []
        : (await session.query(dim, ordinalsAtSql(dim, snap, idx, at))).rows.map(([o]) => Number(o));
    const starts = [0, ...at, rows];
    for (let c = 0; c < starts.length - 1; c++) {
      chunks.push({
        part: idx,
        first: c === 0 ? undefined : firsts[c - 1],
        rows: (starts[c + 1] ?? 0) - (starts[c] ?? 0),
      });
    }
  }
  const planned = planParts(dim, committed, chunks);
  // A dimension with no member still has a snapshot: one empty file, so readers find the table.
  if (planned.length === 0) planned.push({ kind: 'write', part: 0, rows: 0 });
  const parts = planned.map((p, n) => ({
    key: dimensionPartKey(dim, session.batchId, n),
    ...(p.from === undefined ? {} : { from: p.from }),
    rows: p.rows,
  }));
  const ordinal = keyOrdinalSql(dim);
  for (const [n, p] of planned.entries()) {
    if (p.kind !== 'write') continue;
    const where = [
      `_part = ${p.part}`,
      ...(p.lo === undefined ? [] : [`${ordinal} >= ${p.lo}`]),
      ...(p.hi === undefined ? [] : [`${ordinal} < ${p.hi}`]),
    ].join(' AND ');
    const key = parts[n]?.key ?? '';
    const written = await copyToLake(
      session,
      `SELECT ${columns.join(', ')} FROM ${snap} WHERE ${where}`,
      `${dim}-${n}.parquet`,
      key,
    );
    if (written !== p.rows) {
      throw new TransformSqlError(`snapshot file ${key} has ${written} rows, ${p.rows} expected`, {
        context: { table: dim, batchId: session.batchId },
      });
    }
  }
  const copies = planned.flatMap((p, n) =>
    p.kind === 'copy' ? [{ from: p.source, to: parts[n]?.key ?? '' }] : [],
  );
  await forEachLimit(copies, UPLOAD_CONCURRENCY, (c) => session.deps.lake.copy(c.from, c.to));
  await session.step(dim, [`DROP TABLE IF EXISTS ${snap}`]);
  return { objects: parts.map((p) => ({ table: dim, key: p.key, rows: p.rows })), parts };
}

/**
 * Writes the memory of a changed table; returns its files. A batch appends a delta of the
 * rows that changed (cheap for small batches on big tables) until there are
 * `MAX_MEMORY_FILES`, then merges into a new base; a table whose whole memory a dimension
 * was rebuilt from (`cur_t`) writes a new base from it anyway.
 */
export async function writeMemory(session: BatchSession, tableName: string): Promise<string[]> {
  const table = sourceTable(tableName);
  const files = session.state.current[tableName] ?? [];
  const key = currentStateKey(tableName, session.batchId);
  const file = `memory-${tableName}.parquet`;
  if (!session.has('cur', tableName) && files.length < MAX_MEMORY_FILES) {
    await copyToLake(session, `SELECT * FROM ${rel('delta', tableName)}`, file, key, false);
    return [...files, key];
  }
  await defineCurrent(session, table);
  await copyToLake(session, `SELECT * FROM ${rel('cur', tableName)}`, file, key, false);
  return [key];
}

/** Writes the versions of a fact source held for a missing dimension row (retried next batch). */
export async function writeHeld(session: BatchSession, table: SourceTableDef, count: number): Promise<void> {
  delete session.held[table.name];
  if (count === 0) return;
  const columns = heldColumns(table).map(([n]) => ident(n));
  const key = heldStateKey(table.name, session.batchId);
  await copyToLake(
    session,
    `SELECT ${columns.join(', ')} FROM ${rel('held', table.name)}`,
    `held-${table.name}.parquet`,
    key,
  );
  session.held[table.name] = key;
}

/**
 * Fact rows partitioned by `dt`, one file per partition, uploaded under `factKey`; the
 * per-file row counts come from the COPY itself (`RETURN_STATS`), not from re-reading.
 */
export async function writeFact(session: BatchSession, fact: string): Promise<CuratedObject[]> {
  const dir = join(session.out, fact);
  const table = warehouseTable(fact);
  const columns = curatedColumns(table)
    .map(([n]) => ident(n))
    .join(', ');
  // A partitioned COPY writes a file per date and thread unless one thread writes it or
  // the rows come sorted by date. A first sight has one version per row, in key order
  // already: one thread, no sort (measured at 1M rows: 0.8 s instead of 2 s). Otherwise
  // (versions of a row to keep in order) sort; snappy writes 3x faster than zstd.
  const first = session.firstSight.has(table.sourceTable ?? '');
  const order = first ? '' : ` ORDER BY dt, ${ident(table.naturalKey)}, observed_at`;
  const copy = `COPY (SELECT ${columns}, dt FROM ${rel('out', fact)}${order}) TO ${sqlString(dir)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (dt), FILENAME_PATTERN ${sqlString(`${session.batchId}-{i}`)}, RETURN_STATS true)`;
  if (first) await session.step(fact, ['SET threads = 1']);
  const files = await session
    .query(fact, copy)
    .finally(() => (first ? session.step(fact, [`SET threads = ${session.deps.threads ?? 2}`]) : undefined));
  const at = (name: string) => files.columns.indexOf(name);
  const objects = files.rows
    .map((row) => ({ filename: String(row[at('filename')]), n: Number(row[at('count')]) }))
    .filter((f) => f.n > 0)
    .map(({ filename, n }) => {
      const match = /dt=(\d{4}-\d{2}-\d{2})\/.*-(\d+)\.parquet$/.exec(filename);
      if (!match?.[1] || !match[2]) {
        throw new TransformSqlError(`unexpected fact file ${filename}`, { context: { table: fact } });
      }
      const key = factKey(fact, match[1], session.batchId, Number(match[2]));
      return { table: fact, key, rows: n, file: filename };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  await forEachLimit(objects, UPLOAD_CONCURRENCY, (o) => session.deps.lake.upload(o.file, o.key));
  return objects.map(({ table, key, rows }) => ({ table, key, rows }));
}

/** The quarantine files of the batch, one per source table, and the counts by reason. */
export async function writeQuarantine(
  session: BatchSession,
): Promise<{ objects: CuratedObject[]; counts: QuarantineCount[] }> {
  const q = ident(BATCH_TABLES.quarantine);
  const grouped = await session.duck.all(
    `SELECT "table", reason, "column", count(*) FROM ${q} GROUP BY ALL ORDER BY ALL`,
  );
  const counts: QuarantineCount[] = grouped.rows.map(([table, reason, column, rows]) => ({
    table: String(table),
    reason: String(reason) as QuarantineReason,
    column: String(column),
    rows: Number(rows),
  }));
  const objects: CuratedObject[] = [];
  for (const table of new Set(counts.map((c) => c.table))) {
    const file = join(session.out, `quarantine-${table}.jsonl`);
    const key = quarantineKey(table, session.batchId);
    await session.step(table, [
      `COPY (SELECT q."table", ${sqlString(session.batchId)} AS batch_id, q.reason, r.detail, q."column", q."key", q."row" FROM ${q} q JOIN ${ident(BATCH_TABLES.reasons)} r USING (reason) WHERE q."table" = ${sqlString(table)} ORDER BY q."key") TO ${sqlString(file)} (FORMAT json)`,
    ]);
    await session.deps.lake.upload(file, key);
    objects.push({
      table,
      key,
      rows: counts.filter((c) => c.table === table).reduce((a, c) => a + c.rows, 0),
    });
  }
  return { objects, counts };
}

/**
 * `COPY (query) TO <out>/<name> (Parquet)`, then uploads it whole; returns the row count.
 * `ordered: false` (memory files, read only by key) lets DuckDB's threads write row groups
 * as they finish instead of buffering them to keep the query's order: the order-keeping
 * buffers of a 7M-row memory file pushed the process past 1 GiB at 5M sales orders.
 */
async function copyToLake(
  session: BatchSession,
  query: string,
  name: string,
  key: string,
  ordered = true,
): Promise<number> {
  const file = join(session.out, name);
  if (!ordered) await session.step(key, ['SET preserve_insertion_order = false']);
  const stats = await session
    .query(key, `COPY (${query}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, RETURN_STATS true)`)
    .finally(() => (ordered ? undefined : session.step(key, ['RESET preserve_insertion_order'])));
  const count = stats.columns.indexOf('count');
  const rows = stats.rows.reduce((n, row) => n + Number(row[count] ?? 0), 0);
  await session.deps.lake.upload(file, key);
  return rows;
}

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
