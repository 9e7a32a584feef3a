import type { Client } from 'pg';
import { type WarehouseTableDef, warehousePgType, warehouseTables } from '../kernel/schema';
import { foreignKeys } from './apply-facts';
import { SchemaDriftError } from './errors';

/** One column as the warehouse's `information_schema.columns` describes it. */
export interface ActualColumn {
  readonly table_name: string;
  readonly column_name: string;
  readonly data_type: string;
  readonly is_nullable: 'YES' | 'NO';
  readonly numeric_precision: number | null;
  readonly numeric_scale: number | null;
  readonly datetime_precision: number | null;
}

/** A column the schema module expects, in `warehousePgType()` spelling. */
interface ExpectedColumn {
  readonly type: string;
  readonly nullable: boolean;
}

/**
 * The columns every warehouse table must have, derived from `warehouseTables`: the surrogate
 * key, the curated columns and the warehouse-only `loadColumns`.
 */
export function expectedColumns(table: WarehouseTableDef): Map<string, ExpectedColumn> {
  const columns = new Map<string, ExpectedColumn>();
  if (table.surrogateKey) columns.set(table.surrogateKey, { type: 'integer', nullable: false });
  for (const c of [...table.columns, ...(table.loadColumns ?? [])]) {
    columns.set(c.name, { type: warehousePgType(c.type), nullable: c.nullable ?? false });
  }
  return columns;
}

/**
 * The `warehousePgType()` spelling of an information_schema column type, e.g.
 * `numeric` with precision 10 and scale 2 → `numeric(10,2)`.
 */
export function pgTypeOf(column: ActualColumn): string {
  switch (column.data_type) {
    case 'numeric':
      return column.numeric_precision === null
        ? 'numeric'
        : `numeric(${column.numeric_precision},${column.numeric_scale ?? 0})`;
    case 'timestamp without time zone':
      return `timestamp(${column.datetime_precision ?? 6})`;
    case 'time without time zone':
      return `time(${column.datetime_precision ?? 6})`;
    default:
      return column.data_type;
  }
}

/**
 * Every difference between the warehouse columns and the schema module, one line each naming
 * `table.column` and what differs. Empty when they agree.
 */
export function schemaDrift(
  actual: readonly ActualColumn[],
  tables: readonly WarehouseTableDef[] = warehouseTables,
): string[] {
  const problems: string[] = [];
  for (const table of tables) {
    const found = actual.filter((c) => c.table_name === table.name);
    if (found.length === 0) {
      problems.push(`${table.name}: table is missing`);
      continue;
    }
    const expected = expectedColumns(table);
    for (const [name, want] of expected) {
      const got = found.find((c) => c.column_name === name);
      if (!got) {
        problems.push(`${table.name}.${name}: column is missing (expected ${want.type})`);
        continue;
      }
      const type = pgTypeOf(got);
      if (type !== want.type) problems.push(`${table.name}.${name}: type is ${type}, expected ${want.type}`);
      const nullable = got.is_nullable === 'YES';
      if (nullable !== want.nullable) {
        problems.push(
          `${table.name}.${name}: is ${nullable ? 'nullable' : 'NOT NULL'}, expected ${want.nullable ? 'nullable' : 'NOT NULL'}`,
        );
      }
    }
    for (const extra of found.filter((c) => !expected.has(c.column_name))) {
      problems.push(`${table.name}.${extra.column_name}: column is not in the schema module`);
    }
  }
  return problems;
}

/** One foreign key as the warehouse catalog describes it. */
export interface ActualForeignKey {
  readonly name: string;
  readonly table_name: string;
  readonly column_name: string;
  readonly ref_table: string;
  readonly ref_column: string;
}

/**
 * Every difference between the warehouse's foreign keys and the `references` of the schema
 * module. The loader relies on the names (`<table>_<column>_fkey`) to re-add them in bulk.
 */
export function foreignKeyDrift(
  actual: readonly ActualForeignKey[],
  tables: readonly WarehouseTableDef[] = warehouseTables,
): string[] {
  const problems: string[] = [];
  for (const table of tables) {
    const expected = foreignKeys(table);
    for (const fk of expected) {
      const got = actual.find((a) => a.name === fk.name && a.table_name === fk.table);
      const target = `${fk.refTable}(${fk.refColumn})`;
      if (!got) problems.push(`${fk.table}.${fk.column}: foreign key ${fk.name} to ${target} is missing`);
      else if (got.column_name !== fk.column || `${got.ref_table}(${got.ref_column})` !== target) {
        problems.push(
          `${fk.table}.${fk.column}: foreign key ${fk.name} is on ${got.column_name} → ${got.ref_table}(${got.ref_column}), expected ${fk.column} → ${target}`,
        );
      }
    }
    for (const extra of actual.filter(
      (a) => a.table_name === table.name && !expected.some((e) => e.name === a.name),
    )) {
      problems.push(
        `${table.name}.${extra.column_name}: foreign key ${extra.name} is not in the schema module`,
      );
    }
  }
  return problems;
}

/**
 * Checks that the 11 star-schema tables in the warehouse's `public` schema have exactly the
 * columns, types, nullability and foreign keys of `warehouseTables`; throws {@link SchemaDriftError}
 * listing every difference otherwise. Run after the migrations, before loading.
 */
export async function checkWarehouseSchema(warehouse: Client): Promise<void> {
  const { rows } = await warehouse.query<ActualColumn>(
    `SELECT table_name, column_name, data_type, is_nullable,
            numeric_precision, numeric_scale, datetime_precision
       FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = ANY($1::text[])
      ORDER BY table_name, ordinal_position`,
    [warehouseTables.map((t) => t.name)],
  );
  const fks = await warehouse.query<ActualForeignKey>(
    `SELECT c.conname AS name, t.relname AS table_name, a.attname AS column_name,
            rt.relname AS ref_table, ra.attname AS ref_column
       FROM pg_constraint c
       JOIN pg_class t ON t.oid = c.conrelid
       JOIN pg_class rt ON rt.oid = c.confrelid
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
      WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace`,
  );
  const problems = [...schemaDrift(rows), ...foreignKeyDrift(fks.rows)];
  if (problems.length > 0) {
    throw new SchemaDriftError(
      `the warehouse tables differ from the schema module (lambdas/kernel/schema/warehouse.ts):\n  ${problems.join('\n  ')}\nAdd a migration in warehouse-sql/ that brings them in line, or fix the schema module.`,
      problems,
    );
  }
}
