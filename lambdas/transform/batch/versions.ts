/**
 * Versions: the transform's memory of each source table (the latest known version of every
 * row, kept as a base file plus delta files), the batch's versions of the rows it touches
 * compared with it (`ver_t`), and the memory after the batch (`delta_t`, `cur_t`).
 */

import { sqlString } from '../../kernel/duckdb/duckdb';
import { type ColumnDef, duckdbType, ident, type SourceTableDef, sourceTable } from '../../kernel/schema';
import { quarantineInsertSql, rawRowJson } from './quarantine';
import { aliasSql, castColumns, emptyTableSql, parquet, rel, relation } from './relations';
import type { BatchSession } from './session';

/** Type of a column in the transform's memory (`old_t`/`cur_t`): the source value, typed. */
export function stateType(column: ColumnDef): string {
  return column.type === 'date_text' ? 'DATE' : duckdbType(column.type);
}

/** Columns of the transform's memory of `table`: the source columns, `_deleted`, `_observed_at`. */
export function stateColumns(table: SourceTableDef): [string, string][] {
  return [
    ...table.columns.map((c) => [c.name, stateType(c)] as [string, string]),
    ['_deleted', 'BOOLEAN'],
    ['_observed_at', 'TIMESTAMP_MS'],
  ];
}

/**
 * A view of the transform's memory of `table` kept as a base file plus delta files (oldest
 * first): the newest version of each row across them. With `touchedOnly`, only the rows
 * `chg_t` touches are read (the key filter is pushed into each Parquet scan), which is what
 * keeps a batch of 100 changes cheap against a memory of millions of rows.
 */
export function memoryViewSql(
  name: string,
  table: SourceTableDef,
  paths: readonly string[],
  touchedOnly: boolean,
): string {
  const pk = ident(table.primaryKey);
  const columns = stateColumns(table);
  const select = castColumns(columns);
  const filter = touchedOnly ? ` WHERE ${pk} IN (SELECT ${pk} FROM ${rel('chg', table.name)})` : '';
  if (paths.length === 1) {
    return `CREATE OR REPLACE TEMP VIEW ${ident(name)} AS SELECT ${select} FROM ${parquet(paths[0] ?? '')}${filter}`;
  }
  const parts = paths.map((p, i) => `SELECT ${select}, ${i} AS _gen FROM ${parquet(p)}${filter}`);
  return `CREATE OR REPLACE TEMP VIEW ${ident(name)} AS SELECT * EXCLUDE (_gen) FROM (${parts.join('\nUNION ALL ')})
QUALIFY row_number() OVER (PARTITION BY ${pk} ORDER BY _gen DESC) = 1`;
}

/**
 * `delta_t`: the new memory rows of the rows that changed in this batch (a delta file, and
 * what a dimension rebuilt by key reads). `firstSight`: `ver_t` came from
 * {@link firstVersionsSql}, one version per row, every one a change.
 */
export function deltaSql(table: SourceTableDef, firstSight = false): string {
  const cols = stateColumns(table)
    .map(([n]) => ident(n))
    .join(', ');
  const ver = rel('ver', table.name);
  const select = firstSight
    ? `SELECT ${cols} FROM ${ver} WHERE NOT _unknown`
    : `SELECT ${cols} FROM ${ver} WHERE NOT _unknown AND _pk IN (SELECT _pk FROM ${ver} WHERE _new AND _changed)
QUALIFY row_number() OVER (PARTITION BY _pk ORDER BY _n DESC) = 1`;
  return `CREATE OR REPLACE TEMP VIEW ${rel('delta', table.name)} AS ${select}`;
}

/**
 * `ver_t` when the memory of the table is empty and each row appears once in the batch (an
 * initial load): there is no prior version to compare with and no order to establish, so
 * it is a view over `chg_t` with the flags {@link versionsSql} would compute — every version
 * changed, a delete unknown — instead of a window pass materialising the whole table.
 */
export function firstVersionsSql(table: SourceTableDef): string {
  const pk = ident(table.primaryKey);
  const cols = table.columns.map(
    (c) => `CASE WHEN _op = 'd' THEN NULL ELSE ${ident(c.name)} END AS ${ident(c.name)}`,
  );
  return `CREATE OR REPLACE TEMP VIEW ${rel('ver', table.name)} AS
SELECT ${pk} AS _pk, true AS _new, 1::BIGINT AS _n, _seq, _rid, _observed_at, _op = 'd' AS _deleted,
       true AS _changed, _op = 'd' AS _unknown, ${cols.join(', ')}
FROM ${rel('chg', table.name)}`;
}

/**
 * `ver_t`: for every row the batch touched, its prior version (from `old_t`) and the batch's
 * versions in arrival order, each with the last known values (`_known`, so a delete carries
 * them) and `_changed` = differs from the version before it. An unchanged re-delivery is not
 * `_changed`; neither is a second delete.
 */
export function versionsSql(table: SourceTableDef): string {
  const pk = ident(table.primaryKey);
  const vals = `{${table.columns.map((c) => `${sqlString(c.name)}: ${ident(c.name)}`).join(', ')}}`;
  const order = 'ORDER BY _new, _seq, _observed_at, _rid';
  const unpack = table.columns.map((c) => `struct_extract(_known, ${sqlString(c.name)}) AS ${ident(c.name)}`);
  return `CREATE OR REPLACE TEMP TABLE ${rel('ver', table.name)} AS
WITH touched AS (SELECT DISTINCT ${pk} FROM ${rel('chg', table.name)}),
stream AS (
  SELECT o.${pk} AS _pk, false AS _new, 0 AS _seq, o._observed_at, NULL::BIGINT AS _rid, o._deleted,
         {${table.columns.map((c) => `${sqlString(c.name)}: o.${ident(c.name)}`).join(', ')}} AS _vals
  FROM ${rel('prior', table.name)} o WHERE o.${pk} IN (SELECT ${pk} FROM touched)
  UNION ALL
  SELECT ${pk}, true, _seq, _observed_at, _rid, _op = 'd', CASE WHEN _op = 'd' THEN NULL ELSE ${vals} END
  FROM ${rel('chg', table.name)}
),
filled AS (
  SELECT *, last_value(_vals IGNORE NULLS) OVER (PARTITION BY _pk ${order}
              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS _known,
         row_number() OVER (PARTITION BY _pk ${order}) AS _n
  FROM stream
),
flagged AS (
  SELECT *, {'d': _deleted, 'v': _known} IS DISTINCT FROM
            lag({'d': _deleted, 'v': _known}) OVER (PARTITION BY _pk ORDER BY _n) AS _changed
  FROM filled
)
SELECT _pk, _new, _n, _seq, _rid, _observed_at, _deleted, _changed, _known IS NULL AS _unknown,
       ${unpack.join(', ')}
FROM flagged`;
}

/**
 * `cur_t`: the memory after the batch: untouched rows as they were, touched rows at their
 * last version (deleted rows stay, flagged, with their last known values).
 */
export function currentSql(table: SourceTableDef): string {
  const pk = ident(table.primaryKey);
  const cols = stateColumns(table)
    .map(([n]) => ident(n))
    .join(', ');
  return `CREATE OR REPLACE TEMP TABLE ${rel('cur', table.name)} AS
SELECT ${cols} FROM ${rel('old', table.name)} WHERE ${pk} NOT IN (SELECT _pk FROM ${rel('ver', table.name)})
UNION ALL
SELECT ${cols} FROM ${rel('ver', table.name)}
WHERE NOT _unknown
QUALIFY row_number() OVER (PARTITION BY _pk ORDER BY _n DESC) = 1`;
}

/**
 * `old_t` (the whole memory) or `prior_t` (the rows the batch touches) over the memory's
 * files, or an empty table before the table's first batch.
 */
export async function defineMemory(
  session: BatchSession,
  kind: 'old' | 'prior',
  table: SourceTableDef,
): Promise<void> {
  if (session.has(kind, table.name)) return;
  const paths: string[] = [];
  for (const key of session.state.current[table.name] ?? []) paths.push(await session.localCopy(key));
  const name = relation(kind, table.name);
  const sql =
    paths.length === 0
      ? emptyTableSql(name, stateColumns(table))
      : memoryViewSql(name, table, paths, kind === 'prior');
  await session.step(table.name, [sql]);
  session.define(kind, table.name);
}

/**
 * `ver_t` and `delta_t`; true when some row really changed (so the memory must be
 * rewritten). A table seen for the first time, each row once, takes the first-sight view
 * instead of the window pass: nothing to compare with, nothing to order.
 */
export async function applyVersions(session: BatchSession, table: SourceTableDef): Promise<boolean> {
  const t = table.name;
  const first = (session.state.current[t] ?? []).length === 0 && (await keysUnique(session, table));
  if (first) session.firstSight.add(t);
  await session.step(t, [
    first ? firstVersionsSql(table) : versionsSql(table),
    quarantineInsertSql(
      `SELECT ${sqlString(t)}, 'unknown_row_deleted', ${sqlString(table.primaryKey)}, v._pk, ${rawRowJson(table, 'c.')} FROM ${rel('ver', t)} v JOIN ${rel('chk', t)} c ON c.rowid = v._rid WHERE v._new AND v._unknown`,
    ),
    deltaSql(table, first),
  ]);
  session.define('ver', t);
  return (
    (await session.count(`SELECT count(*) FROM ${rel('ver', t)} WHERE _new AND _changed AND NOT _unknown`)) >
    0
  );
}

/** Widest key range checked with a bit per key (8 MB); a wider one counts distinct keys. */
const MAX_BITMAP_KEYS = 1 << 26;

/**
 * True when no row appears twice among the batch's changes of `table`. The keys are
 * integers in a known range, so a bit per key in that range (`bitstring_agg`) counts the
 * distinct ones: measured 6× cheaper than `count(DISTINCT …)`'s hash table at 1.4M rows.
 */
async function keysUnique(session: BatchSession, table: SourceTableDef): Promise<boolean> {
  const pk = ident(table.primaryKey);
  const chg = rel('chg', table.name);
  const range = await session.query(
    table.name,
    `SELECT count(*)::BIGINT, count(${pk})::BIGINT, min(${pk})::BIGINT, max(${pk})::BIGINT FROM ${chg}`,
  );
  const [rows, keys, min, max] = (range.rows[0] ?? []).map((v) => (v === null ? null : Number(v)));
  if (rows === 0) return true;
  if (rows !== keys || min == null || max == null) return false; // a NULL key: not a set of keys
  const distinct =
    max - min < MAX_BITMAP_KEYS ? `bit_count(bitstring_agg(${pk}, ${min}, ${max}))` : `count(DISTINCT ${pk})`;
  return (await session.count(`SELECT count(*) - ${distinct} FROM ${chg}`)) === 0;
}

/** `cur_t` of a table the batch touched: the whole memory after the batch. */
export async function defineCurrent(session: BatchSession, table: SourceTableDef): Promise<void> {
  if (session.has('cur', table.name)) return;
  await defineMemory(session, 'old', table);
  await session.step(table.name, [currentSql(table)]);
  session.define('cur', table.name);
}

/** `cur_t` of any table: after the batch if it touched it, else its committed memory. */
export async function ensureCurrent(session: BatchSession, tableName: string): Promise<void> {
  if (session.has('cur', tableName)) return;
  const table = sourceTable(tableName);
  if (session.has('ver', tableName)) return defineCurrent(session, table);
  await defineMemory(session, 'old', table);
  await session.step(tableName, [aliasSql(relation('cur', tableName), relation('old', tableName))]);
  session.define('cur', tableName);
}
