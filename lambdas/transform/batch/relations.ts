/**
 * The names of the DuckDB relations one transform batch builds, and the generic statements
 * that create a relation from a column list or a Parquet file. Every relation of a batch is
 * named here, by {@link relation}: `<kind>_<table>`.
 *
 * Per source table `t`:
 * - `raw_t`   the raw JSON lines of the batch (only verify materialises it; the batch reads
 *             the files straight into `chk_t`);
 * - `chk_t`   every raw value as the raw contract renders it, parsed values typed (their text
 *             under `_raw_<column>`), with `_reason`/`_column` of the first check that fails
 *             (its `rowid` is the row id `_rid` of the later relations);
 * - `chg_t`   valid changes, typed (plus held rows retried from earlier batches, `retry_t`):
 *             a view over `chk_t`, or the table `kept_t` when some versions are held;
 * - `old_t`   the transform's memory: latest known version of every row before the batch;
 * - `prior_t` the part of `old_t` that the batch's changes touch;
 * - `ver_t`   prior version + the batch's versions of every touched row, with change flags;
 * - `delta_t` the memory rows the batch changed (their latest version);
 * - `held_t`  live fact versions whose dimension row is missing (retried next batch);
 * - `kept_t`  the rest of `chg_t` when some are held;
 * - `cur_t`   the memory after the batch (only where a dimension is rebuilt whole).
 *
 * Per star table `w`: `prev_w` (the committed snapshot), `new_w` (rebuilt), `cur_w` (the
 * dimension after the batch, which fact references are checked against), `part_w` (a
 * dimension rebuilt for the changed keys only), `chg_w` (its new or changed rows) and
 * `out_w` (new fact rows).
 */

import { sqlString } from '../../kernel/duckdb/duckdb';
import { type ColumnDef, duckdbType, ident, type WarehouseTableDef } from '../../kernel/schema';

/** Relations of a source table, in the order a batch builds them. */
export const SOURCE_RELATIONS = [
  'raw',
  'chk',
  'retry',
  'chg',
  'kept',
  'old',
  'prior',
  'ver',
  'delta',
  'held',
  'cur',
] as const;

/** Relations of a star table. */
export const STAR_RELATIONS = ['prev', 'new', 'part', 'chg', 'cur', 'out'] as const;

/** The kind of a relation: what it holds, see the list above. */
export type RelationKind = (typeof SOURCE_RELATIONS)[number] | (typeof STAR_RELATIONS)[number];

/** The bare name of relation `kind` of `table`, e.g. `chk_sales_order`, `prev_dim_staff`. */
export const relation = (kind: RelationKind, table: string): string => `${kind}_${table}`;

/** {@link relation} as a quoted identifier, ready for SQL. */
export const rel = (kind: RelationKind, table: string): string => ident(relation(kind, table));

/** The batch-wide tables, created once per batch. */
export const BATCH_TABLES = {
  /** ISO 4217 code → name, for `dim_currency`. */
  iso4217: 'iso4217',
  /** Rows quarantined by any step: table, reason, column, key, raw row. */
  quarantine: 'quarantine',
  /** Reason → the sentence the quarantine file carries. */
  reasons: 'reasons',
  /** Every date the batch's fact rows reference (what `dim_date` must cover). */
  factDates: 'fact_dates',
} as const;

/**
 * True for a source column read as text and parsed into a typed value (money, timestamps,
 * dates): `chk_t` holds the parsed value under the column's name and the text under
 * {@link rawName}.
 */
export const isParsed = (column: ColumnDef): boolean =>
  column.type === 'money' ||
  column.type === 'timestamp' ||
  column.type === 'date' ||
  column.type === 'date_text';

/** The `chk_t` column holding a parsed column's text as the raw zone held it. */
export const rawName = (column: string): string => `_raw_${column}`;

/** The `chk_t` column of a source column's raw value (the text, for a parsed column). */
export function rawValue(column: ColumnDef): string {
  return ident(isParsed(column) ? rawName(column.name) : column.name);
}

/** A column list: names with their DuckDB types. */
export type Columns = readonly (readonly [string, string])[];

/** Columns of a star table with their curated types. */
export function curatedColumns(table: WarehouseTableDef): [string, string][] {
  return table.columns.map((c) => [c.name, duckdbType(c.type)]);
}

/** `CREATE TEMP TABLE name (…)` with `columns`, empty: the stand-in for a file not written yet. */
export function emptyTableSql(name: string, columns: Columns): string {
  return `CREATE OR REPLACE TEMP TABLE ${ident(name)} (${columns.map(([n, t]) => `${ident(n)} ${t}`).join(', ')})`;
}

/** A SELECT of no rows with `columns` (the stand-in for raw files a table has none of). */
export function emptySelectSql(columns: Columns): string {
  return `SELECT ${columns.map(([n, t]) => `CAST(NULL AS ${t}) AS ${ident(n)}`).join(', ')} LIMIT 0`;
}

/** `read_parquet` of one file; folder names such as `snapshot=…` are not columns. */
export const parquet = (path: string): string =>
  `read_parquet(${sqlString(path)}, hive_partitioning = false)`;

/** `CAST(c AS type) AS c, …`: a file's columns read as the schema types them, never as the file says. */
export const castColumns = (columns: Columns): string =>
  columns.map(([n, t]) => `CAST(${ident(n)} AS ${t}) AS ${ident(n)}`).join(', ');

/** A view over one Parquet file, selecting `columns` cast to their types (never trusting the file). */
export function parquetViewSql(name: string, path: string, columns: Columns): string {
  return `CREATE OR REPLACE TEMP VIEW ${ident(name)} AS SELECT ${castColumns(columns)} FROM ${parquet(path)}`;
}

/** `CREATE OR REPLACE TEMP VIEW name AS SELECT * FROM source`: another name for a relation. */
export function aliasSql(name: string, source: string): string {
  return `CREATE OR REPLACE TEMP VIEW ${ident(name)} AS SELECT * FROM ${ident(source)}`;
}
