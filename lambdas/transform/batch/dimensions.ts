/**
 * Dimensions: each rebuilt from the transform's memory of its source tables when one of
 * them changed (a department edit rebuilds `dim_staff`: the ripple), compared with its
 * committed snapshot, and kept only when its rows really differ; `dim_date` grows with the
 * dates the batch's fact rows reference.
 */

import { sqlString } from '../../kernel/duckdb/duckdb';
import { duckdbType, ident, warehouseTable } from '../../kernel/schema';
import { ISO_4217 } from '../iso4217';
import {
  aliasSql,
  BATCH_TABLES,
  curatedColumns,
  emptyTableSql,
  parquetViewSql,
  rel,
  relation,
} from './relations';
import type { BatchSession } from './session';
import { ensureCurrent } from './versions';

/** The ISO 4217 lookup `dim_currency` names its currencies from. */
export function iso4217TableSql(): string {
  const rows = [...ISO_4217].map(([code, name]) => `(${sqlString(code)}, ${sqlString(name)})`);
  return `CREATE TEMP TABLE ${ident(BATCH_TABLES.iso4217)} AS SELECT * FROM (VALUES ${rows.join(', ')}) t(code, name)`;
}

/** How one dimension is built from the transform's memory of its source tables. */
export interface DimensionRecipe {
  /** Source tables it reads; a change to any of them rebuilds it (the ripple). */
  readonly sources: readonly string[];
  /** FROM clause over the relations `source` names for each source table (`cur_<t>` by default). */
  readonly from: (source: (table: string) => string) => string;
  /** Expressions for columns not taken as `<alias>.<same name>`. */
  readonly exprs: Readonly<Record<string, string>>;
  readonly alias: string;
}

/**
 * Every dimension but `dim_date`. Inner joins: a staff row whose department is unknown is
 * left out (the warehouse columns are NOT NULL) and appears once the department arrives.
 */
export const DIMENSIONS: Readonly<Record<string, DimensionRecipe>> = {
  dim_staff: {
    sources: ['staff', 'department'],
    from: (r) => `${r('staff')} s JOIN ${r('department')} d ON d.department_id = s.department_id`,
    exprs: { department_name: 'd.department_name', location: 'd.location' },
    alias: 's',
  },
  dim_location: {
    sources: ['address'],
    from: (r) => `${r('address')} a`,
    exprs: { location_id: 'a.address_id' },
    alias: 'a',
  },
  dim_design: { sources: ['design'], from: (r) => `${r('design')} d`, exprs: {}, alias: 'd' },
  dim_currency: {
    sources: ['currency'],
    from: (r) => `${r('currency')} c LEFT JOIN iso4217 i ON i.code = upper(trim(c.currency_code))`,
    exprs: { currency_name: 'i.name' },
    alias: 'c',
  },
  dim_counterparty: {
    sources: ['counterparty', 'address'],
    from: (r) => `${r('counterparty')} c JOIN ${r('address')} a ON a.address_id = c.legal_address_id`,
    exprs: {
      counterparty_legal_address_line_1: 'a.address_line_1',
      counterparty_legal_address_line_2: 'a.address_line_2',
      counterparty_legal_district: 'a.district',
      counterparty_legal_city: 'a.city',
      counterparty_legal_postal_code: 'a.postal_code',
      counterparty_legal_country: 'a.country',
      counterparty_legal_phone_number: 'a.phone',
    },
    alias: 'c',
  },
  dim_payment_type: {
    sources: ['payment_type'],
    from: (r) => `${r('payment_type')} p`,
    exprs: {},
    alias: 'p',
  },
  dim_transaction: { sources: ['transaction'], from: (r) => `${r('transaction')} t`, exprs: {}, alias: 't' },
};

/**
 * `new_<dim>`: the complete dimension rebuilt from the memory after the batch; or, with
 * `source` = `delta_<t>` and `target` = `part_<dim>`, the rows of the keys the batch changed.
 */
export function dimensionSql(
  dim: string,
  source: (table: string) => string = (t) => rel('cur', t),
  target = rel('new', dim),
): string {
  const recipe = DIMENSIONS[dim];
  if (!recipe) throw new RangeError(`no recipe for dimension ${dim}`);
  const table = warehouseTable(dim);
  const select = table.columns.map((c) => {
    const expr = recipe.exprs[c.name] ?? `${recipe.alias}.${ident(c.name)}`;
    return `CAST(${expr} AS ${duckdbType(c.type)}) AS ${ident(c.name)}`;
  });
  return `CREATE OR REPLACE TEMP TABLE ${target} AS SELECT ${select.join(', ')} FROM ${recipe.from(source)} ORDER BY ${ident(table.naturalKey)}`;
}

/**
 * `new_dim_date`: the dates already in `dim_date` plus every date the batch's new fact rows
 * reference (`fact_dates`), with their calendar attributes (ISO day of week, English names).
 */
export function dimDateSql(): string {
  const table = warehouseTable('dim_date');
  const exprs: Record<string, string> = {
    date_id: 'd',
    year: 'year(d)',
    month: 'month(d)',
    day: 'day(d)',
    day_of_week: 'isodow(d)',
    day_name: 'dayname(d)',
    month_name: 'monthname(d)',
    quarter: 'quarter(d)',
  };
  const select = table.columns.map((c) => {
    const expr = exprs[c.name];
    if (!expr) throw new RangeError(`dim_date column ${c.name} has no expression`);
    return `CAST(${expr} AS ${duckdbType(c.type)}) AS ${ident(c.name)}`;
  });
  const union = `SELECT date_id AS d FROM ${rel('prev', 'dim_date')} UNION SELECT d FROM ${ident(BATCH_TABLES.factDates)}`;
  return `CREATE OR REPLACE TEMP TABLE ${rel('new', 'dim_date')} AS
SELECT ${select.join(', ')} FROM (${union}) WHERE d IS NOT NULL ORDER BY d`;
}

/** `chg_<dim>`: the rows of the rebuilt `new_<dim>` that its snapshot `prev_<dim>` lacks. */
export function dimensionChangesSql(dim: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${rel('chg', dim)} AS SELECT * FROM ${rel('new', dim)} EXCEPT ALL SELECT * FROM ${rel('prev', dim)}`;
}

/**
 * A single-source dimension rebuilt for the keys the batch changed: `part_<dim>` (their rows,
 * from `delta_<t>`), `chg_<dim>` (those that are new or differ from the snapshot, compared on
 * those keys only) and `new_<dim>`, a view of the snapshot with them replaced. A dimension
 * never loses a member (deleted source rows keep theirs), so this is the whole change.
 * Without a snapshot (`first`) every row is new: no comparison at all.
 */
export function keyedDimensionSql(dim: string, first = false): string[] {
  const key = ident(warehouseTable(dim).naturalKey);
  const [part, prev, chg] = [rel('part', dim), rel('prev', dim), rel('chg', dim)];
  return [
    dimensionSql(dim, (t) => rel('delta', t), part),
    first
      ? `CREATE OR REPLACE TEMP VIEW ${chg} AS SELECT * FROM ${part}`
      : `CREATE OR REPLACE TEMP TABLE ${chg} AS SELECT * FROM ${part} EXCEPT ALL SELECT * FROM ${prev} WHERE ${key} IN (SELECT ${key} FROM ${part})`,
    first
      ? `CREATE OR REPLACE TEMP VIEW ${rel('new', dim)} AS SELECT * FROM ${chg}`
      : `CREATE OR REPLACE TEMP VIEW ${rel('new', dim)} AS SELECT * FROM ${prev} WHERE ${key} NOT IN (SELECT ${key} FROM ${chg}) UNION ALL SELECT * FROM ${chg}`,
  ];
}

/** `prev_<dim>`: the committed snapshot, or empty. */
async function definePrevious(session: BatchSession, dim: string): Promise<void> {
  if (session.has('prev', dim)) return;
  const key = session.state.dimensions[dim];
  const name = relation('prev', dim);
  const columns = curatedColumns(warehouseTable(dim));
  const sql =
    key === undefined
      ? emptyTableSql(name, columns)
      : parquetViewSql(name, await session.localCopy(key), columns);
  await session.step(dim, [sql]);
  session.define('prev', dim);
}

/** `cur_<dim>`: the dimension as it stands after the batch (rebuilt, or the committed snapshot). */
export async function ensureDimension(session: BatchSession, dim: string): Promise<void> {
  if (session.has('cur', dim)) return;
  await definePrevious(session, dim);
  await session.step(dim, [aliasSql(relation('cur', dim), relation('prev', dim))]);
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
  for (const [dim, recipe] of Object.entries(DIMENSIONS)) {
    if (!recipe.sources.some((s) => changed.has(s))) continue;
    await definePrevious(session, dim);
    if (recipe.sources.length === 1) {
      await session.step(dim, keyedDimensionSql(dim, session.state.dimensions[dim] === undefined));
    } else {
      for (const source of recipe.sources) await ensureCurrent(session, source);
      await session.step(dim, [dimensionSql(dim)]);
      await warnOfOrphans(session, dim, recipe.sources[0] ?? '');
      await session.step(dim, [dimensionChangesSql(dim)]);
    }
    if (await differs(session, dim, recipe.sources.length === 1)) {
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
