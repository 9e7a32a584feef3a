/**
 * The SQL verify runs on both engines: a value rendered as canonical text (the same string on
 * PostgreSQL and DuckDB for the same value), a row as the text of its values, and a 60-bit
 * hash of that text, summed into an order-independent checksum or kept per key to name the
 * keys that differ.
 */
import { ident, type LogicalType, type WarehouseTableDef } from '../../lambdas/kernel/schema';

/** The engine a query runs on. */
export type Dialect = 'pg' | 'duck';

/** The unit separator between rendered values; a NULL renders as `\N`. */
const SEP = 'chr(31)';

/** A value as canonical text: the same string on PostgreSQL and DuckDB for the same value. */
export function render(expr: string, type: LogicalType, dialect: Dialect): string {
  const pg = dialect === 'pg';
  switch (type) {
    case 'money':
      return pg ? `(${expr})::numeric(10,2)::text` : `CAST(CAST(${expr} AS DECIMAL(10,2)) AS VARCHAR)`;
    case 'date':
      return pg ? `to_char(${expr}, 'YYYY-MM-DD')` : `strftime(CAST(${expr} AS DATE), '%Y-%m-%d')`;
    case 'time':
      // The lake holds times as HH:MM:SS.fff text already.
      return pg ? `to_char(${expr}, 'HH24:MI:SS.MS')` : `CAST(${expr} AS VARCHAR)`;
    case 'timestamp':
      return pg
        ? `to_char(${expr}, 'YYYY-MM-DD HH24:MI:SS.MS')`
        : `strftime(CAST(${expr} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g')`;
    default:
      return pg ? `(${expr})::text` : `CAST(${expr} AS VARCHAR)`;
  }
}

/** The text of a row: its rendered values joined by the unit separator, NULL as `\N`. */
export const rowText = (values: readonly string[]): string =>
  `concat_ws(${SEP}, ${values.map((v) => `coalesce(${v}, '\\N')`).join(', ')})`;

/** A 60-bit hash of `text` as a BIGINT: the first 15 hex digits of its MD5, on either engine. */
export function rowHash(text: string, dialect: Dialect): string {
  return dialect === 'pg'
    ? `('x' || substr(md5(${text}), 1, 15))::bit(60)::bigint`
    : `CAST(('0x' || substr(md5(${text}), 1, 15)) AS BIGINT)`;
}

/** Row count and checksum (sum of the row hashes) of `from`, both as text columns `n`, `checksum`. */
export function checksumSql(text: string, from: string, dialect: Dialect): string {
  const cast = dialect === 'pg' ? '::text' : '::VARCHAR';
  return `SELECT count(*)${cast} AS n, coalesce(sum(${rowHash(text, dialect)}), 0)${cast} AS checksum FROM ${from}`;
}

/** One hash per key of `from`: columns `k` (the key as text) and `h`. */
export function keyHashSql(key: string, text: string, from: string, dialect: Dialect): string {
  return `SELECT ${key} AS k, ${rowHash(text, dialect)} AS h FROM ${from}`;
}

/** Fact versions per key of `from`: columns `k` and `h` (the count). */
export function versionsPerKeySql(key: string, keyColumn: string, from: string): string {
  return `SELECT ${key} AS k, count(*) AS h FROM ${from} GROUP BY ${keyColumn}`;
}

/** The text of a star row from its own columns (lake, warehouse, a source-derived dimension). */
export const starRowText = (columns: WarehouseTableDef['columns'], dialect: Dialect): string =>
  rowText(columns.map((c) => render(ident(c.name), c.type, dialect)));

/** The natural key of a star table as text. */
export function starKey(table: WarehouseTableDef, dialect: Dialect): string {
  const column = table.columns.find((c) => c.name === table.naturalKey);
  return render(ident(table.naturalKey), column?.type ?? 'int', dialect);
}

/**
 * The current state of a fact table `from`: the latest version of each source row, unless
 * that version records a delete.
 */
export function latestVersionsSql(table: WarehouseTableDef, from: string): string {
  const pk = ident(table.naturalKey);
  return `(SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY ${pk} ORDER BY observed_at DESC) AS _v FROM ${from}) x WHERE _v = 1 AND NOT is_deleted) cur`;
}

/** A PostgreSQL string literal (for schema constants inside a COPY, which takes no parameters). */
export const pgString = (value: string): string => `'${value.replaceAll("'", "''")}'`;
