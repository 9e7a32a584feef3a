import { ident, sourcePgType, sourceTables } from './index';
import type { SourceTableDef } from './types';

/**
 * DDL that creates the `totesys` schema exactly as the operational database has it: enum
 * types, tables in dependency order, primary and foreign keys with their ON DELETE actions.
 * Used by `totes seed` and by tests; the real source already has it.
 */
export function sourceDdl(): string[] {
  const enums = new Map<string, readonly string[]>();
  for (const table of sourceTables) {
    for (const c of table.columns) if (c.enumType && c.enumValues) enums.set(c.enumType, c.enumValues);
  }
  const enumDdl = [...enums].map(
    ([name, values]) => `CREATE TYPE ${ident(name)} AS ENUM (${values.map((v) => `'${v}'`).join(', ')})`,
  );
  return [...enumDdl, ...sourceTables.map(tableDdl)];
}

function tableDdl(table: SourceTableDef): string {
  const lines = table.columns.map((c) => {
    const parts = [ident(c.name), sourcePgType(c)];
    if (c.name === table.primaryKey) parts.push('PRIMARY KEY');
    else if (!c.nullable) parts.push('NOT NULL');
    if (c.name === 'created_at' || c.name === 'last_updated') parts.push('DEFAULT current_timestamp');
    if (c.references) {
      parts.push(`REFERENCES ${ident(c.references.table)} (${ident(c.references.column)})`);
      if (c.references.onDelete) parts.push(`ON DELETE ${c.references.onDelete}`);
    }
    return `  ${parts.join(' ')}`;
  });
  return `CREATE TABLE ${ident(table.name)} (\n${lines.join(',\n')}\n)`;
}

/** Statements that drop the source schema (test and seed `--reset` only). */
export function dropSourceDdl(): string[] {
  const enums = new Set(
    sourceTables.flatMap((t) => t.columns.flatMap((c) => (c.enumType ? [c.enumType] : []))),
  );
  return [
    ...[...sourceTables].reverse().map((t) => `DROP TABLE IF EXISTS ${ident(t.name)} CASCADE`),
    ...[...enums].map((e) => `DROP TYPE IF EXISTS ${ident(e)}`),
  ];
}
