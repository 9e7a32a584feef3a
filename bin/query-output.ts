import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AthenaResult } from '../app/analytics/athena/athena-runner';
import type { LocalAthena } from '../app/analytics/local-athena';
import { sqlString } from '../lambdas/kernel/duckdb/duckdb';
import { renderTable, writeOut } from './output';
import { openStatementCounter, splitLastStatement } from './sql-statements';

/** Output formats of `totes query` and `totes queries`. */
export type QueryFormat = 'table' | 'json' | 'csv';

/**
 * How a table shows SQL NULL (psql users know it from `\pset null '∅'`). The text `'NULL'`
 * prints as `NULL` and an empty string as nothing, so the three never look alike.
 */
export const NULL_MARK = '∅';

/** A query result as rows of values (DuckDB's JSON-safe values, or Athena's strings). */
export interface ResultRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** A result as an aligned table with a row count; NULL shows as {@link NULL_MARK}. */
export function renderResultTable(result: ResultRows): string {
  const table = renderTable(
    result.rows,
    result.columns.map((header, i) => ({ header, value: (row: readonly unknown[]) => tableCell(row[i]) })),
  );
  return `${table}\n(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`;
}

function tableCell(value: unknown): string {
  if (value === null || value === undefined) return NULL_MARK;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * One CSV field as DuckDB's CSV writer (and PostgreSQL's `COPY … CSV`) writes it: NULL is an
 * empty field, the empty string is `""`, and a value holding a comma, quote or line break is
 * quoted with inner quotes doubled.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text === '' || /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A result as CSV with a header line, by {@link csvField}'s rules. */
export function csvText(result: ResultRows): string {
  return [result.columns, ...result.rows].map((row) => row.map(csvField).join(',')).join('\n');
}

/** A result as a JSON array of objects, values as they are (the fallback for non-query statements). */
export function jsonText(result: ResultRows): string {
  return JSON.stringify(
    result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null]))),
    null,
    2,
  );
}

const ATHENA_INTEGER = new Set(['tinyint', 'smallint', 'integer', 'int', 'bigint']);
const ATHENA_FLOAT = new Set(['double', 'float', 'real']);

/**
 * An Athena result as a JSON array of objects, typed by the column types Athena reports:
 * integers as numbers (every digit, however large), `decimal` as exact strings, floating
 * point as numbers (`null` for NaN and infinities, as JSON has none), booleans as booleans,
 * everything else (dates, timestamps, text, arrays) as the string Athena returned.
 */
export function athenaJson(result: Pick<AthenaResult, 'columns' | 'rows'>): string {
  const encoders = result.columns.map((column) => {
    const type = column.type.toLowerCase().replace(/\(.*$/, '');
    return (value: string | null): string => {
      if (value === null) return 'null';
      if (ATHENA_INTEGER.has(type) && /^-?\d+$/.test(value)) return value.replace(/^(-?)0+(?=\d)/, '$1');
      if (ATHENA_FLOAT.has(type))
        return Number.isFinite(Number(value)) ? JSON.stringify(Number(value)) : 'null';
      if (type === 'boolean' && (value === 'true' || value === 'false')) return value;
      return JSON.stringify(value);
    };
  });
  const objects = result.rows.map(
    (row) =>
      `{${result.columns
        .map((c, i) => `${JSON.stringify(c.name)}:${encoders[i]?.(row[c.name] ?? null) ?? 'null'}`)
        .join(',')}}`,
  );
  return objects.length === 0 ? '[]' : `[\n\t${objects.join(',\n\t')}\n]`;
}

/** The view the last statement of an exported query is bound to, in the query's own session. */
const RESULT_VIEW = '__totes_result';

/**
 * Runs analyst SQL on the local lake and writes its last statement's rows to stdout through
 * DuckDB's own writers: `COPY … (FORMAT csv, HEADER)` or `COPY … (FORMAT json, ARRAY true)`.
 * The rows stream from DuckDB through a file, never all in memory. In JSON, integers are
 * numbers (every digit), decimals exact strings, NaN and infinities `null`.
 *
 * Statements before the last run first; the last is bound to a temporary view so it can be
 * nested in `COPY` exactly as written. A last statement that cannot be a view (`SHOW`,
 * `DESCRIBE`, `PRAGMA`, `EXPLAIN`…) is run as it is and written by {@link csvText} /
 * {@link jsonText}.
 */
export async function exportDuckResult(
  athena: LocalAthena,
  sql: string,
  format: 'csv' | 'json',
): Promise<void> {
  const counter = await openStatementCounter();
  let split: Awaited<ReturnType<typeof splitLastStatement>>;
  try {
    split = await splitLastStatement(sql, counter);
  } finally {
    counter.close();
  }
  if (split === undefined) return writeFallback(await athena.runQuery(sql), format);
  if (split.leading.trim() !== '') await athena.runQuery(split.leading);
  try {
    await athena.runQuery(`CREATE OR REPLACE TEMP VIEW ${RESULT_VIEW} AS\n${split.last}`);
  } catch {
    // Not a query a view can hold, or a query with an error: run it as written, so an error
    // is DuckDB's message about the analyst's SQL, not about the view around it.
    return writeFallback(await athena.runQuery(split.last), format);
  }
  const dir = await mkdtemp(join(tmpdir(), 'totes-query-'));
  try {
    const file = join(dir, `result.${format}`);
    const select = format === 'json' ? await jsonSelect(athena) : `SELECT * FROM ${RESULT_VIEW}`;
    const options = format === 'json' ? 'FORMAT json, ARRAY true' : 'FORMAT csv, HEADER true';
    await athena.runQuery(`COPY (${select}) TO ${sqlString(file)} (${options})`);
    let last = 0x0a;
    for await (const chunk of createReadStream(file)) {
      const bytes = chunk as Buffer;
      if (bytes.length > 0) last = bytes[bytes.length - 1] ?? last;
      await writeOut(bytes);
    }
    if (last !== 0x0a) await writeOut('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await athena.runQuery(`DROP VIEW IF EXISTS ${RESULT_VIEW}`).catch(() => undefined);
  }
}

/** The result view's columns with decimals as exact strings and non-finite floats as NULL. */
async function jsonSelect(athena: LocalAthena): Promise<string> {
  const { rows } = await athena.runQuery(`SELECT column_name, column_type FROM (DESCRIBE ${RESULT_VIEW})`);
  const columns = rows.map(([name, type]) => {
    const column = `"${String(name).replaceAll('"', '""')}"`;
    const kind = String(type);
    if (kind.startsWith('DECIMAL')) return `CAST(${column} AS VARCHAR) AS ${column}`;
    if (kind === 'DOUBLE' || kind === 'FLOAT')
      return `CASE WHEN isfinite(${column}) THEN ${column} END AS ${column}`;
    return column;
  });
  return `SELECT ${columns.join(', ')} FROM ${RESULT_VIEW}`;
}

async function writeFallback(result: ResultRows, format: 'csv' | 'json'): Promise<void> {
  await writeOut(`${format === 'csv' ? csvText(result) : jsonText(result)}\n`);
}
