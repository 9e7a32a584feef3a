import type { ColumnDef } from '../../../lambdas/kernel/schema';
import { GeneratorError } from '../errors';
import type { RowRandom } from '../prng';
import { dateText, money, timestamp } from './copy-values';
import { DAY, ORDERS_FROM } from './plan';
import { LOWER_ALNUM, token } from './vocabulary';

/**
 * A value for a source column the generators of `tables.ts` do not write — a column just
 * added to the schema module — drawn from its logical type, in PostgreSQL's text input
 * (`null` for SQL NULL; a nullable column is null one time in ten). This is what lets a new
 * column reach every stage with real values after an edit of the schema module alone; give
 * it a realistic generator in `tables.ts` when its values matter.
 *
 * @throws {GeneratorError} for a column no value can be invented for: a NOT NULL foreign key
 *   (which rows exist is the generator's business) or a serial key.
 */
export function inventedValue(table: string, column: ColumnDef, r: RowRandom): string | null {
  if (column.nullable && r.chance(0.1)) return null;
  if (column.references || column.type === 'serial') {
    if (column.nullable && column.references) return null;
    throw new GeneratorError(
      `the synthetic generator has no value for ${table}.${column.name}; write it in app/totesys/generator/tables.ts`,
      { context: { table, column: column.name } },
    );
  }
  switch (column.type) {
    case 'int':
      return String(r.int(0, 100));
    case 'money':
      return money(r.int(0, 9_999));
    case 'text':
      return token(r, 8, LOWER_ALNUM);
    case 'boolean':
      return r.chance(0.5) ? 't' : 'f';
    case 'date':
    case 'date_text':
      return dateText(ORDERS_FROM + r.int(0, 730) * DAY);
    case 'timestamp':
      return timestamp(ORDERS_FROM + r.int(0, 730 * DAY));
    case 'time':
      return timestamp(ORDERS_FROM + r.int(0, DAY)).slice(11);
    case 'enum':
      return r.pick(column.enumValues ?? []);
  }
}

/** A stream number of its own for `table.column`, so invented values never shift another column's draws. */
export function inventedStream(table: string, column: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${table}.${column}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return 1000 + ((h >>> 0) % 1_000_000);
}
