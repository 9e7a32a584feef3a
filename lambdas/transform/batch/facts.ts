/**
 * Facts: every changed version of a fact source row becomes a fact row (`out_<fact>`), once
 * every dimension row it references exists; versions whose dimension row is missing are held
 * (`held_t`) and retried by the next batch.
 */

import { sqlString } from '../../kernel/duckdb/duckdb';
import {
  type ColumnDef,
  column,
  columnSource,
  datesReferenced,
  duckdbType,
  FACT_PARTITION,
  factSourceTables,
  ident,
  type SourceTableDef,
  type WarehouseTableDef,
} from '../../kernel/schema';
import { ensureDimension } from './dimensions';
import { loadChanges, type RawFile } from './inputs';
import { quarantineInsertSql, rawRowJson } from './quarantine';
import { BATCH_TABLES, rel } from './relations';
import type { BatchSession } from './session';

/** Source tables whose versions become fact rows. */
export const factSources: ReadonlySet<string> = new Set(factSourceTables);

const TIME_OF_DAY = `'%H:%M:%S.%g'`;

/**
 * The expression of fact column `column` over a relation with the source columns plus
 * `_observed_at` and `_deleted`, from the column's lineage.
 */
export function factExpr(fact: WarehouseTableDef, column: ColumnDef): string {
  const source = columnSource(fact.name, column.name);
  switch (source.kind) {
    case 'column':
      return ident(source.column);
    case 'date_of':
      return `CAST(${ident(source.column)} AS DATE)`;
    case 'time_of':
      return `strftime(${ident(source.column)}, ${TIME_OF_DAY})`;
    case 'observed_at':
      return '_observed_at';
    case 'deleted':
      return '_deleted';
    default:
      throw new RangeError(
        `fact ${fact.name}.${column.name} has a ${source.kind} source the transform cannot compute`,
      );
  }
}

/** The fact's columns with their curated types, as `CAST(expr AS type) AS name`. */
export function factSelect(fact: WarehouseTableDef): string {
  return fact.columns
    .map((c) => `CAST(${factExpr(fact, c)} AS ${duckdbType(c.type)}) AS ${ident(c.name)}`)
    .join(', ');
}

/** Fact columns that reference a dimension (not `dim_date`, which the transform derives). */
export function dimensionRefs(fact: WarehouseTableDef): ColumnDef[] {
  return fact.columns.filter((c) => c.references && c.references.table !== 'dim_date');
}

/** The condition "a reference of this live version names no dimension row", per reference. */
function missingRefs(fact: WarehouseTableDef): { when: string; column: string }[] {
  return dimensionRefs(fact).map((c) => {
    const ref = c.references as NonNullable<ColumnDef['references']>;
    const expr = factExpr(fact, c);
    return {
      when: `${expr} IS NOT NULL AND ${expr} NOT IN (SELECT ${ident(ref.column)} FROM ${rel('cur', ref.table)})`,
      column: c.name,
    };
  });
}

/**
 * `held_<t>`: the live versions of fact source `fact` whose reference names no row of the
 * dimension (relation `cur_<dim>` = the dimension after this batch), with `_column` naming
 * the first missing reference.
 */
export function holdSql(fact: WarehouseTableDef): string {
  const source = fact.sourceTable ?? '';
  const missing = missingRefs(fact);
  if (missing.length === 0) return emptyHeldSql(fact);
  const column = `CASE ${missing.map((m) => `WHEN ${m.when} THEN ${sqlString(m.column)}`).join(' ')} END`;
  return `CREATE OR REPLACE TEMP TABLE ${rel('held', source)} AS
SELECT * FROM (SELECT *, ${column} AS _column FROM ${rel('chg', source)} WHERE _op <> 'd') WHERE _column IS NOT NULL`;
}

/**
 * Takes the held versions out of `chg_<t>` (a view over the batch's checked rows): the rest
 * become the table `kept_<t>`, which `chg_<t>` then names. Only run when some are held, so
 * a batch that holds nothing copies nothing.
 */
export function keepSql(fact: WarehouseTableDef): string[] {
  const source = fact.sourceTable ?? '';
  const missing = missingRefs(fact);
  const held = `_op <> 'd' AND (${missing.map((m) => `(${m.when})`).join(' OR ')})`;
  return [
    // IS NOT TRUE: a reference the NOT IN cannot decide (NULL) is not held, so it is kept.
    `CREATE OR REPLACE TEMP TABLE ${rel('kept', source)} AS SELECT * FROM ${rel('chg', source)} WHERE (${held}) IS NOT TRUE`,
    `CREATE OR REPLACE TEMP VIEW ${rel('chg', source)} AS SELECT * FROM ${rel('kept', source)}`,
  ];
}

function emptyHeldSql(fact: WarehouseTableDef): string {
  const source = fact.sourceTable ?? '';
  return `CREATE OR REPLACE TEMP TABLE ${rel('held', source)} AS SELECT *, NULL::VARCHAR AS _column FROM ${rel('chg', source)} WHERE false`;
}

/** The partition of a fact row ({@link FACT_PARTITION}): the first day of its `created_date`'s year. */
export function factPartitionExpr(fact: WarehouseTableDef): string {
  const date = factExpr(fact, column(fact, FACT_PARTITION.column));
  return `CAST(date_trunc(${sqlString(FACT_PARTITION.grain)}, ${date}) AS DATE)`;
}

/**
 * `out_<fact>`: the new fact rows (changed versions of known rows) plus their partition.
 * A view: it is read once to write the fact files and once for its dates.
 */
export function factRowsSql(fact: WarehouseTableDef): string {
  return `CREATE OR REPLACE TEMP VIEW ${rel('out', fact.name)} AS
SELECT ${factSelect(fact)}, ${factPartitionExpr(fact)} AS ${ident(FACT_PARTITION.name)}
FROM ${rel('ver', fact.sourceTable ?? '')} WHERE _new AND _changed AND NOT _unknown`;
}

/** The table of every date the batch's fact rows reference, filled fact by fact. */
export const factDatesTableSql = (): string => `CREATE TEMP TABLE ${ident(BATCH_TABLES.factDates)} (d DATE)`;

/** Adds the dates `out_<fact>` references to `fact_dates`, before `out_<fact>` is dropped. */
export function factDatesSql(fact: WarehouseTableDef): string {
  const dates = datesReferenced()
    .filter((d) => d.fact === fact.name)
    .map((d) => `SELECT ${ident(d.column)} AS d FROM ${rel('out', fact.name)}`);
  return `INSERT INTO ${ident(BATCH_TABLES.factDates)} SELECT DISTINCT d FROM (${dates.join('\nUNION ALL ')}) WHERE d IS NOT NULL`;
}

/**
 * Loads a fact source's changes and holds the versions whose dimension rows are missing
 * (checked against the dimensions as this batch leaves them); returns how many are held.
 */
export async function loadFactChanges(
  session: BatchSession,
  fact: WarehouseTableDef,
  table: SourceTableDef,
  files: readonly RawFile[],
): Promise<number> {
  await loadChanges(session, table, files);
  for (const column of dimensionRefs(fact)) await ensureDimension(session, column.references?.table ?? '');
  await session.step(table.name, [holdSql(fact)]);
  const held = await session.count(`SELECT count(*) FROM ${rel('held', table.name)}`);
  if (held === 0) return 0;
  await session.step(table.name, keepSql(fact));
  await quarantineHeld(session, table);
  return held;
}

/** Held versions first seen in this batch go to quarantine (retried ones were reported already). */
async function quarantineHeld(session: BatchSession, table: SourceTableDef): Promise<void> {
  const t = table.name;
  await session.step(t, [
    quarantineInsertSql(
      `SELECT ${sqlString(t)}, 'missing_dimension_row', h._column, h.${ident(table.primaryKey)}, ${rawRowJson(table, 'c.')} FROM ${rel('held', t)} h JOIN ${rel('chk', t)} c ON c.rowid = h._rid`,
    ),
  ]);
}
