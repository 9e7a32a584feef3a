import { type ColumnDef, ident, type SourceTableDef } from '../kernel/schema';

/** `to_char` pattern for `timestamp(3)`: always three fractional digits, `T` separator. */
export const TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.MS';

/**
 * How a column is rendered into the raw JSON: money as its exact decimal text (a JSON number
 * would be read back as a binary float), timestamps with their milliseconds; everything else
 * as PostgreSQL's own JSON rendering.
 */
function jsonValue(column: ColumnDef): string {
  const ref = `t.${ident(column.name)}`;
  switch (column.type) {
    case 'money':
      return `${ref}::text`;
    case 'timestamp':
      return `to_char(${ref}, '${TIMESTAMP_FORMAT}')`;
    default:
      return ref;
  }
}

/**
 * The query that reads a table's changed rows as ready JSON text, rendered by PostgreSQL (C
 * speed) so the stage only frames and compresses them. `row_to_json` over a typed
 * sub-select: measured 40 % less server CPU than `json_build_object` on 1.4M payments.
 *
 * Columns: `pk`, `last_updated` (sortable text), `doc` (the row as a JSON object, primary key
 * first), and with `withExtras`, `extra`: columns the source has that the schema does not
 * know, as JSON (kept in raw; their names never enter the SQL text — `to_jsonb(t) - $n`
 * removes the known ones).
 *
 * Parameters: `$1` the xid horizon of the previous read (omitted with `since: 'all'`), then
 * the known column names when `withExtras`.
 */
export function changedRowsSql(
  table: SourceTableDef,
  options: { since: 'all' | 'horizon'; withExtras: boolean },
): string {
  const typed = table.columns.map((c) => `${jsonValue(c)} AS ${ident(c.name)}`).join(', ');
  const extraParam = options.since === 'horizon' ? '$2' : '$1';
  const select = [
    `x.${ident(table.primaryKey)} AS pk`,
    `x.${ident('last_updated')} AS last_updated`,
    'row_to_json(x)::text AS doc',
    ...(options.withExtras ? [`(to_jsonb(t) - ${extraParam}::text[])::text AS extra`] : []),
  ];
  // xmin changes on every insert and update, whether or not the writer bumped last_updated.
  // age() compares transaction ids modulo wraparound: a row is new when its xmin is not older
  // than the oldest transaction that was still running at the previous read.
  const where = options.since === 'horizon' ? ' WHERE age(t.xmin) <= age($1::text::xid)' : '';
  return `SELECT ${select.join(', ')} FROM ${ident(table.name)} t CROSS JOIN LATERAL (SELECT ${typed}) x${where}`;
}

/** Row count and key sum: a cheap fingerprint that tells whether any row was deleted. */
export function keyFingerprintSql(table: SourceTableDef): string {
  const pk = ident(table.primaryKey);
  return `SELECT count(*)::text AS count, coalesce(sum(${pk}::bigint), 0)::text AS sum FROM ${ident(table.name)}`;
}

/** Every primary key of a table, ascending, one per line (for delete detection by COPY). */
export function allKeysCopySql(table: SourceTableDef): string {
  const pk = ident(table.primaryKey);
  return `COPY (SELECT ${pk} FROM ${ident(table.name)} ORDER BY ${pk}) TO STDOUT`;
}
