import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MIGRATIONS = join(__dirname, '..', '..', 'warehouse-sql');

/** The newest migration that (re)creates a warehouse view. */
export interface ViewMigration {
  readonly name: string;
  readonly sql: string;
  /** The view's columns as that migration creates them, in its order. */
  readonly columns: readonly string[];
}

/**
 * The newest migration of `warehouse-sql/` that creates `view`, and the columns it gives it:
 * the warehouse view starts with these, in this order, and the migrate step appends the
 * columns the schema module added since (`lambdas/kernel/catalog/warehouse-current-views.ts`).
 */
export function latestViewMigration(view: string): ViewMigration | undefined {
  const files = readdirSync(MIGRATIONS)
    .filter((f) => /^\d{3,}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .reverse();
  const create = new RegExp(`CREATE (?:OR REPLACE )?VIEW "?${view}"? AS\\s+SELECT\\s+([\\s\\S]*?)\\s+FROM `);
  for (const name of files) {
    const sql = readFileSync(join(MIGRATIONS, name), 'utf8');
    const match = create.exec(sql);
    if (!match?.[1]) continue;
    // Each entry ends with its output name: "col" or … AS "col".
    const columns = match[1]
      .split(/,\s*\n/)
      .map((entry) => /"?([a-z0-9_]+)"?\s*$/.exec(entry.trim())?.[1] ?? entry);
    return { name, sql, columns };
  }
  return undefined;
}
