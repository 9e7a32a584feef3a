import { ident } from '../../../lambdas/kernel/schema';
import { type DescribedRelation, warehouseRelations } from './descriptions';

/** A PostgreSQL string literal (COMMENT takes no parameters). */
const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** The `COMMENT ON` statements of one table or view and each of its columns. */
export function commentStatements(relation: DescribedRelation): string[] {
  const target = `${relation.kind === 'view' ? 'VIEW' : 'TABLE'} ${ident(relation.name)}`;
  return [
    `COMMENT ON ${target} IS ${literal(relation.description)};`,
    ...relation.columns.map(
      (c) => `COMMENT ON COLUMN ${ident(relation.name)}.${ident(c.name)} IS ${literal(c.description)};`,
    ),
  ];
}

/**
 * The SQL of a migration that describes every star table, column and current view of the
 * warehouse from the schema module. `warehouse-sql/008_comments.sql` is this output; when a
 * description changes, write the output to a new migration (`npx tsx
 * app/analytics/docs/print-comments.ts > warehouse-sql/0NN_comments.sql`), which `test/integration/analytics/warehouse-comments.test.ts`
 * asks for.
 */
export function commentMigrationSql(relations: readonly DescribedRelation[] = warehouseRelations()): string {
  const header = [
    '-- Descriptions of every star table, column and current view, generated from the schema module',
    '-- (lambdas/kernel/schema/warehouse.ts, lambdas/kernel/catalog/current-views.ts) by',
    '-- app/analytics/docs/comments.ts. psql shows them with \\d+, DBeaver and QuickSight beside each',
    '-- column; dbt reads the same descriptions from the generated sources.yml.',
  ];
  const body = relations.map((r) => commentStatements(r).join('\n'));
  return `${header.join('\n')}\n\n${body.join('\n\n')}\n`;
}
