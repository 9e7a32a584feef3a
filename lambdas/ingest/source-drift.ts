import type { Client } from 'pg';
import { type LogicalType, type SourceTableDef, sourceTables } from '../kernel/schema';
import { SourceDriftError } from './errors';

/** What a source table looks like compared with the schema module. */
export interface TableShape {
  /** Columns the source has and the schema does not: kept in raw, reported. */
  readonly extraColumns: readonly string[];
  /** Why the table cannot be ingested (a schema column missing or retyped, the table gone). */
  readonly drift?: SourceDriftError;
  /** True when the table does not exist at all. */
  readonly missing?: boolean;
}

// information_schema.columns.data_type values each logical type may have in totesys
// (the real database uses varchar for text, the seeder text; enums are USER-DEFINED).
const compatible: Record<LogicalType, readonly string[]> = {
  int: ['integer', 'smallint', 'bigint'],
  serial: ['integer', 'bigint'],
  text: ['text', 'character varying', 'character'],
  date_text: ['text', 'character varying', 'character'],
  enum: ['USER-DEFINED', 'text', 'character varying'],
  money: ['numeric'],
  timestamp: ['timestamp without time zone', 'timestamp with time zone'],
  date: ['date'],
  time: ['time without time zone'],
  boolean: ['boolean'],
};

/** Compares every source table with the schema module in one catalog query. */
export async function inspectSource(client: Client): Promise<Map<string, TableShape>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
    [sourceTables.map((t) => t.name)],
  );
  const shapes = new Map<string, TableShape>();
  for (const table of sourceTables) {
    const actual = new Map(
      rows.filter((r) => r.table_name === table.name).map((r) => [r.column_name, r.data_type]),
    );
    shapes.set(table.name, compare(table, actual));
  }
  return shapes;
}

function compare(table: SourceTableDef, actual: Map<string, string>): TableShape {
  if (actual.size === 0) {
    return {
      extraColumns: [],
      missing: true,
      drift: new SourceDriftError(
        `source table ${table.name} does not exist (or the role cannot see it); grant SELECT on it or check TOTESYS_URL`,
        { context: { table: table.name } },
      ),
    };
  }
  const known = new Set(table.columns.map((c) => c.name));
  const extraColumns = [...actual.keys()].filter((c) => !known.has(c)).sort();
  for (const column of table.columns) {
    const type = actual.get(column.name);
    if (type === undefined) {
      return {
        extraColumns,
        drift: new SourceDriftError(
          `source table ${table.name} has no column ${column.name}; the schema module needs it. Restore the column or update lambdas/kernel/schema/source.ts`,
          { context: { table: table.name, column: column.name } },
        ),
      };
    }
    if (!compatible[column.type].includes(type)) {
      return {
        extraColumns,
        drift: new SourceDriftError(
          `source column ${table.name}.${column.name} is ${type}, the schema module expects ${column.type}; update lambdas/kernel/schema/source.ts`,
          { context: { table: table.name, column: column.name } },
        ),
      };
    }
  }
  return { extraColumns };
}
