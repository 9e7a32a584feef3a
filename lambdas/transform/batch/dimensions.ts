/**
 * Dimensions: each rebuilt from the transform's memory of its source tables when one of
 * them changed (a department edit rebuilds `dim_staff`: the ripple), compared with its
 * committed snapshot, and kept only when its rows really differ; `dim_date` grows with the
 * dates the batch's fact rows reference.
 */

import { sqlString } from '../../kernel/duckdb/duckdb';
import {
  type CalendarPart,
  type ColumnSource,
  column,
  duckdbType,
  ident,
  lineage,
  lineages,
  type TableLineage,
  warehouseTable,
} from '../../kernel/schema';
import { currencyNames } from '../iso4217';
import {
  aliasSql,
  BATCH_TABLES,
  castColumns,
  curatedColumns,
  emptyTableSql,
  rel,
  relation,
} from './relations';
import type { BatchSession } from './session';
import { committedParts, partsOfKeysSql } from './snapshot-parts';
import { ensureCurrent } from './versions';

/** The currency-name lookup `dim_currency` names its currencies from (lambdas/transform/iso4217.ts). */
export function iso4217TableSql(): string {
  const rows = [...currencyNames()].map(([code, name]) => `(${sqlString(code)}, ${sqlString(name)})`);
  return `CREATE TEMP TABLE ${ident(BATCH_TABLES.iso4217)} AS SELECT * FROM (VALUES ${rows.join(', ')}) t(code, name)`;
}

/** The dimensions built from source tables (all but `dim_date`), in load order. */
export const sourcedDimensions: readonly TableLineage[] = lineages.filter(
  (l) => l.kind === 'dimension' && l.from !== undefined,
);

/** The ISO 4217 lookup joined for a column that names the currency code in `column`. */
const isoAlias = (column: string): string => ident(`iso4217_${column}`);

/** The expression of a dimension column over its source tables, aliased by their names. */
function dimensionExpr(dim: string, source: ColumnSource): string {
  switch (source.kind) {
    case 'column':
      return `${ident(source.table)}.${ident(source.column)}`;
    case 'iso4217_name':
      return `${isoAlias(source.column)}.name`;
    default:
      throw new RangeError(`dimension ${dim} has a ${source.kind} column the transform cannot compute`);
  }
}

/**
 * The FROM clause of a dimension: its main source, inner-joined to the tables it joins (a
 * row whose parent row is unknown is left out: the star columns are NOT NULL, and it
 * appears once the parent arrives), left-joined to the ISO 4217 lookup for the currency
 * names. `source` names each source table's relation (`cur_<t>` or `delta_<t>`).
 */
function dimensionFrom(l: TableLineage, source: (table: string) => string): string {
  const from = l.from ?? '';
  const main = `${source(from)} AS ${ident(from)}`;
  const joins = l.joins.map(
    (j) =>
      `JOIN ${source(j.table)} AS ${ident(j.table)} ON ${ident(j.table)}.${ident(j.column)} = ${ident(from)}.${ident(j.on)}`,
  );
  const lookups = l.columns.flatMap(({ source: s }) =>
    s.kind === 'iso4217_name'
      ? [
          `LEFT JOIN ${ident(BATCH_TABLES.iso4217)} AS ${isoAlias(s.column)} ON ${isoAlias(s.column)}.code = upper(trim(${ident(s.table)}.${ident(s.column)}))`,
        ]
      : [],
  );
  return [main, ...joins, ...lookups].join(' ');
}

/**
 * `new_<dim>`: the complete dimension rebuilt from the memory after the batch; or, with
 * `source` = `delta_<t>` and `target` = `part_<dim>`, the rows of the keys the batch changed.
 */
export function dimensionSql(
  dim: string,
  source: (table: string) => string = (t) => rel('cur', t),
  target = rel('new', dim),
): string {
  const l = lineage(dim);
  if (l.from === undefined) throw new RangeError(`dimension ${dim} is not built from a source table`);
  const table = warehouseTable(dim);
  const select = l.columns.map((c) => {
    const type = duckdbType(column(table, c.name).type);
    return `CAST(${dimensionExpr(dim, c.source)} AS ${type}) AS ${ident(c.name)}`;
  });
  return `CREATE OR REPLACE TEMP TABLE ${target} AS SELECT ${select.join(', ')} FROM ${dimensionFrom(l, source)} ORDER BY ${ident(table.naturalKey)}`;
}

/** DuckDB's expression of each calendar attribute of the date `d` (ISO day of week, English names). */
const CALENDAR: Readonly<Record<CalendarPart, string>> = {
  date: 'd',
  year: 'year(d)',
  month: 'month(d)',
  day: 'day(d)',
  iso_day_of_week: 'isodow(d)',
  day_name: 'dayname(d)',
  month_name: 'monthname(d)',
  quarter: 'quarter(d)',
};

/**
 * `new_dim_date`: the dates already in `dim_date` plus every date the batch's new fact rows
 * reference (`fact_dates`), with their calendar attributes.
 */
export function dimDateSql(): string {
  const table = warehouseTable('dim_date');
  const select = lineage('dim_date').columns.map((c) => {
    if (c.source.kind !== 'calendar')
      throw new RangeError(`dim_date column ${c.name} is not a calendar attribute`);
    return `CAST(${CALENDAR[c.source.part]} AS ${duckdbType(column(table, c.name).type)}) AS ${ident(c.name)}`;
  });
  const union = `SELECT ${ident(table.naturalKey)} AS d FROM ${rel('prev', 'dim_date')} UNION SELECT d FROM ${ident(BATCH_TABLES.factDates)}`;
  return `CREATE OR REPLACE TEMP TABLE ${rel('new', 'dim_date')} AS
SELECT ${select.join(', ')} FROM (${union}) WHERE d IS NOT NULL ORDER BY d`;
}

/** `chg_<dim>`: the rows of the rebuilt `new_<dim>` that its snapshot `prev_<dim>` lacks. */
export function dimensionChangesSql(dim: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${rel('chg', dim)} AS SELECT * FROM ${rel('new', dim)} EXCEPT ALL SELECT * FROM ${rel('prev', dim)}`;
}

/**
 * `touched_<dim>`: the rows of the committed snapshot's files that the keys a keyed rebuild
 * changed fall in (`defineTouched`), all a keyed rebuild reads of the snapshot.
 */
export const touchedRelation = (dim: string): string => `touched_${dim}`;

/**
 * A single-source dimension rebuilt for the keys the batch changed: `part_<dim>` (their rows,
 * from `delta_<t>`) and `chg_<dim>` (those that are new or differ from the snapshot, compared
 * on those keys only, in `touched_<dim>`). A dimension never loses a member (deleted source
 * rows keep theirs), so this is the whole change; the dimension after the batch is the
 * snapshot with them replaced (`keyedNewSql`). Without a snapshot (`first`) every row is
 * new: no comparison at all.
 */
export function keyedDimensionSql(dim: string, first = false): string[] {
  const key = ident(warehouseTable(dim).naturalKey);
  const [part, chg] = [rel('part', dim), rel('chg', dim)];
  return [
    dimensionSql(dim, (t) => rel('delta', t), part),
    first
      ? `CREATE OR REPLACE TEMP VIEW ${chg} AS SELECT * FROM ${part}`
      : `CREATE OR REPLACE TEMP TABLE ${chg} AS SELECT * FROM ${part} EXCEPT ALL SELECT * FROM ${ident(touchedRelation(dim))} WHERE ${key} IN (SELECT ${key} FROM ${part})`,
  ];
}

/** `new_<dim>` of a keyed rebuild: `base` (the snapshot, or some of its files) with the changed rows replaced. */
export function keyedNewSql(dim: string, base: string, target = rel('new', dim)): string {
  const key = ident(warehouseTable(dim).naturalKey);
  const chg = rel('chg', dim);
  return `CREATE OR REPLACE TEMP VIEW ${target} AS SELECT * FROM ${base} WHERE ${key} NOT IN (SELECT ${key} FROM ${chg}) UNION ALL SELECT * FROM ${chg}`;
}

/** A view over the snapshot files `paths`, their columns cast to the curated types. */
function snapshotViewSql(name: string, paths: readonly string[], dim: string): string {
  const columns = curatedColumns(warehouseTable(dim));
  if (paths.length === 0) return emptyTableSql(name, columns);
  const files = paths.map((p) => sqlString(p)).join(', ');
  return `CREATE OR REPLACE TEMP VIEW ${ident(name)} AS SELECT ${castColumns(columns)} FROM read_parquet([${files}], hive_partitioning = false)`;
}

/** Local copies of snapshot files per batch: a file both a keyed rebuild and a fact reference read is downloaded once. */
const localCopies = new WeakMap<BatchSession, Map<string, Promise<string>>>();

/** A local path of the committed snapshot file `key` (the file itself in a folder lake). */
function snapshotFile(session: BatchSession, key: string): Promise<string> {
  const copies = localCopies.get(session) ?? new Map<string, Promise<string>>();
  localCopies.set(session, copies);
  const path = copies.get(key) ?? session.localCopy(key);
  copies.set(key, path);
  return path;
}

/** `prev_<dim>`: the committed snapshot (every file), or empty. */
async function definePrevious(session: BatchSession, dim: string): Promise<void> {
  if (session.has('prev', dim)) return;
  const paths: string[] = [];
  for (const p of committedParts(session.state, dim)) paths.push(await snapshotFile(session, p.key));
  await session.step(dim, [snapshotViewSql(relation('prev', dim), paths, dim)]);
  session.define('prev', dim);
}

/**
 * `touched_<dim>`: the committed snapshot's files that the keys of `part_<dim>` fall in. Only
 * these are read (downloaded, on S3), so a keyed rebuild reads what the change touches.
 */
async function defineTouched(session: BatchSession, dim: string): Promise<void> {
  const parts = committedParts(session.state, dim);
  const touched = await session.query(dim, partsOfKeysSql(dim, parts, rel('part', dim)));
  const paths: string[] = [];
  for (const [idx] of touched.rows) paths.push(await snapshotFile(session, parts[Number(idx)]?.key ?? ''));
  await session.step(dim, [snapshotViewSql(touchedRelation(dim), paths, dim)]);
}

/** True for a dimension rebuilt for its changed keys only (one source table, row by row). */
export const isKeyed = (dim: string): boolean =>
  sourcedDimensions.some((l) => l.table === dim && l.sources.length === 1);

/**
 * `cur_<dim>`: the dimension as it stands after the batch (rebuilt, or the committed
 * snapshot). A keyed rebuild defines it only here, when a fact reference needs it: the
 * whole snapshot is read then, and not otherwise.
 */
export async function ensureDimension(session: BatchSession, dim: string): Promise<void> {
  if (session.has('cur', dim)) return;
  await definePrevious(session, dim);
  if (session.has('chg', dim) && isKeyed(dim)) {
    await session.step(dim, [keyedNewSql(dim, rel('prev', dim))]);
    await session.step(dim, [aliasSql(relation('cur', dim), relation('new', dim))]);
  } else {
    await session.step(dim, [aliasSql(relation('cur', dim), relation('prev', dim))]);
  }
  session.define('cur', dim);
}

/**
 * Rebuilds every dimension one of whose sources changed and keeps the ones whose rows
 * really differ from the snapshot; `chg_<dim>` holds their new or changed rows. Returns the
 * dimensions kept.
 *
 * A dimension built from one source table depends, row by row, on that table's row alone,
 * so it is rebuilt for the changed keys only (`delta_t`) and compared on those keys: the
 * cost follows the batch, not the table (dim_transaction has a row per transaction).
 * The others (small, with joins that ripple) are rebuilt whole from `cur_t`.
 */
export async function rebuildDimensions(
  session: BatchSession,
  changed: ReadonlySet<string>,
): Promise<string[]> {
  const rebuilt: string[] = [];
  for (const { table: dim, sources } of sourcedDimensions) {
    if (!sources.some((s) => changed.has(s))) continue;
    if (sources.length === 1) {
      const first = committedParts(session.state, dim).length === 0;
      const [part, chg] = keyedDimensionSql(dim, first);
      await session.step(dim, [part ?? '']);
      if (!first) await defineTouched(session, dim);
      await session.step(dim, [chg ?? '']);
      session.define('chg', dim);
      if (await differs(session, dim, true)) rebuilt.push(dim);
      continue;
    }
    await definePrevious(session, dim);
    for (const source of sources) await ensureCurrent(session, source);
    await session.step(dim, [dimensionSql(dim)]);
    await warnOfOrphans(session, dim, sources[0] ?? '');
    await session.step(dim, [dimensionChangesSql(dim)]);
    if (await differs(session, dim, false)) {
      await session.step(dim, [aliasSql(relation('cur', dim), relation('new', dim))]);
      session.define('cur', dim);
      rebuilt.push(dim);
    }
  }
  return rebuilt;
}

/** Rows of the main source the inner join dropped: their parent row is unknown (yet). */
async function warnOfOrphans(session: BatchSession, dim: string, source: string): Promise<void> {
  const left = await session.count(
    `SELECT (SELECT count(*) FROM ${rel('cur', source)}) - (SELECT count(*) FROM ${rel('new', dim)})`,
  );
  if (left > 0) {
    session.deps.log.warn('dimension rows left out until their parent row arrives', {
      table: dim,
      source,
      rows: left,
    });
  }
}

/** True when the rebuilt dimension differs from its snapshot (keyed: no row ever leaves). */
async function differs(session: BatchSession, dim: string, keyed: boolean): Promise<boolean> {
  const [n, p, c] = [rel('new', dim), rel('prev', dim), rel('chg', dim)];
  const added = await session.count(`SELECT count(*) FROM ${c}`);
  if (added > 0 || keyed) return added > 0;
  const gone = await session.count(`SELECT count(*) FROM (SELECT * FROM ${p} EXCEPT ALL SELECT * FROM ${n})`);
  return gone > 0;
}

/** `new_dim_date` and its added dates; true when the new fact rows reference dates `dim_date` lacked. */
export async function rebuildDimDate(session: BatchSession): Promise<boolean> {
  await definePrevious(session, 'dim_date');
  await session.step('dim_date', [dimDateSql(), dimensionChangesSql('dim_date')]);
  return (await session.count(`SELECT count(*) FROM ${rel('chg', 'dim_date')}`)) > 0;
}
