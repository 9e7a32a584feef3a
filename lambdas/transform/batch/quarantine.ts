import { sqlString } from '../../kernel/duckdb/duckdb';
import { ident, RAW_META_COLUMNS, type SourceTableDef } from '../../kernel/schema';
import { BATCH_TABLES, rawValue } from './relations';

/** Why a row went to quarantine. */
export type QuarantineReason =
  | 'invalid_op'
  | 'not_null'
  | 'invalid_int'
  | 'invalid_money'
  | 'invalid_timestamp'
  | 'invalid_date'
  | 'invalid_enum'
  | 'missing_dimension_row'
  | 'unknown_row_deleted';

/** What each reason means, for the quarantine file and the run report. */
export const REASON_TEXT: Readonly<Record<QuarantineReason, string>> = {
  invalid_op: '_op is not one of c, u, d',
  not_null: 'a NOT NULL column is null',
  invalid_int: 'integer out of the 32-bit range',
  invalid_money: 'money is not a decimal with at most 2 places within DECIMAL(10,2)',
  invalid_timestamp: 'not a timestamp YYYY-MM-DDTHH:MM:SS[.fff]',
  invalid_date: 'not a valid date YYYY-MM-DD',
  invalid_enum: 'value is not one of the enum labels',
  missing_dimension_row: 'references a dimension row that does not exist (yet); held and retried next batch',
  unknown_row_deleted: 'a delete of a row the transform has never seen',
};

/** Rows quarantined in a batch, by table, reason and column. */
export interface QuarantineCount {
  readonly table: string;
  readonly reason: QuarantineReason;
  readonly column: string;
  readonly rows: number;
}

/** The batch's quarantine collector and its table of reasons. */
export function quarantineTablesSql(): string[] {
  const reasons = Object.entries(REASON_TEXT).map(([r, text]) => `(${sqlString(r)}, ${sqlString(text)})`);
  return [
    `CREATE TEMP TABLE ${ident(BATCH_TABLES.quarantine)} ("table" VARCHAR, reason VARCHAR, "column" VARCHAR, "key" BIGINT, "row" JSON)`,
    `CREATE TEMP TABLE ${ident(BATCH_TABLES.reasons)} AS SELECT * FROM (VALUES ${reasons.join(', ')}) t(reason, detail)`,
  ];
}

/**
 * `INSERT INTO quarantine SELECT table, reason, column, key, row FROM …`: the tail of the
 * statement (`select`) names where the rows come from.
 */
export const quarantineInsertSql = (select: string): string =>
  `INSERT INTO ${ident(BATCH_TABLES.quarantine)} ${select}`;

/** The raw row as the raw zone held it (for the quarantine file), from `chk_t` (as `alias`). */
export function rawRowJson(table: SourceTableDef, alias = ''): string {
  const values: [string, string][] = [
    ...RAW_META_COLUMNS.map((n): [string, string] => [n, ident(n)]),
    ...table.columns.map((c): [string, string] => [c.name, rawValue(c)]),
  ];
  return `to_json({${values.map(([n, v]) => `${sqlString(n)}: ${alias}${v}`).join(', ')}})`;
}
