import { sourceTables } from './source';
import type { ColumnDef, SourceTableDef, WarehouseTableDef } from './types';
import { warehouseTables } from './warehouse';

export * from './lineage';
export * from './physical';
export { sourceTables } from './source';
export * from './types';
export { warehouseTables } from './warehouse';

/** Columns the ingest stage adds to every raw row. */
export const RAW_META_COLUMNS = ['_op', '_run_id', '_extracted_at'] as const;

/** Change kinds in the raw zone: create, update, delete (tombstone). */
export type ChangeOp = 'c' | 'u' | 'd';

const sourceByName = new Map(sourceTables.map((t) => [t.name, t]));
const warehouseByName = new Map(warehouseTables.map((t) => [t.name, t]));

/** The source table called `name`; throws for a name the schema does not define. */
export function sourceTable(name: string): SourceTableDef {
  const table = sourceByName.get(name);
  if (!table)
    throw new RangeError(`unknown source table "${name}"; known: ${[...sourceByName.keys()].join(', ')}`);
  return table;
}

/** The warehouse table called `name`; throws for a name the schema does not define. */
export function warehouseTable(name: string): WarehouseTableDef {
  const table = warehouseByName.get(name);
  if (!table) {
    throw new RangeError(
      `unknown warehouse table "${name}"; known: ${[...warehouseByName.keys()].join(', ')}`,
    );
  }
  return table;
}

/** The column `name` of `table`; throws when the table has no such column. */
export function column(table: SourceTableDef | WarehouseTableDef, name: string): ColumnDef {
  const found = table.columns.find((c) => c.name === name);
  if (!found) throw new RangeError(`table ${table.name} has no column "${name}"`);
  return found;
}

/**
 * Quotes an identifier for SQL. Only names defined in the schema module reach SQL, so this
 * is belt and braces: it rejects anything that is not a plain lower-case identifier.
 */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError(`refusing unsafe SQL identifier "${name}"`);
  return `"${name}"`;
}

export const factTables = warehouseTables.filter((t) => t.kind === 'fact');
export const dimensionTables = warehouseTables.filter((t) => t.kind === 'dimension');
