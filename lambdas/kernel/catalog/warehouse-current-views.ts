/**
 * Keeps the warehouse's `<fact>_current` views in step with the schema module, so a column
 * added to a fact needs no view SQL: a migration adds it to the table, and this adds it to the
 * view. A numbered migration created each view (`warehouse-sql/006_current_views.sql`) and
 * views are built on them (`v_sales_current` …), so a view is never dropped here: PostgreSQL's
 * `CREATE OR REPLACE VIEW` keeps every existing column where it is and appends the new ones
 * (`withMissingColumns`), with the same version order and filter as every other engine.
 */
import type { Client } from 'pg';
import type { Log } from '../logger';
import { ident } from '../schema';
import {
  type CurrentViewColumn,
  type CurrentViewDef,
  createCurrentViewSql,
  currentViews,
  withMissingColumns,
} from './current-views';
import { CurrentViewUpdateError } from './errors';

/** How long updating the views may wait for a lock and run, in milliseconds. */
export const CURRENT_VIEW_UPDATE_TIMEOUT_MS = { lock: 10_000, statement: 60_000 } as const;

/** A view this call gave new columns, and which. */
export interface UpdatedCurrentView {
  readonly view: string;
  readonly added: readonly string[];
}

/** The columns of each existing relation of `names`, in column order (absent relations left out). */
async function columnsOf(warehouse: Client, names: readonly string[]): Promise<Map<string, string[]>> {
  const { rows } = await warehouse.query<{ relation: string; column: string }>(
    `SELECT r.name AS relation, a.attname AS column
       FROM unnest($1::text[]) AS r(name)
       JOIN pg_attribute a ON a.attrelid = to_regclass(quote_ident(r.name))
      WHERE a.attnum > 0 AND NOT a.attisdropped
      ORDER BY r.name, a.attnum`,
    [names],
  );
  const columns = new Map<string, string[]>();
  for (const row of rows) columns.set(row.relation, [...(columns.get(row.relation) ?? []), row.column]);
  return columns;
}

/** The comment of a view column, as `warehouse-sql/008_comments.sql` gives the created ones. */
const columnComment = (column: CurrentViewColumn): string | undefined =>
  column.kind === 'fact' ? column.column.comment : column.measure.comment;

/**
 * Adds to each `<fact>_current` view of the warehouse the columns the schema module derives
 * and it lacks, appended after its existing ones, each with its description; views that
 * already have every column are left alone, and a view no migration created yet is skipped.
 * One transaction for all views, with a lock and a statement timeout. Call it after the
 * numbered migrations, which add the columns to the fact tables.
 *
 * @throws {CurrentViewUpdateError} naming the view when a fact table lacks a column its view
 *   must show (the migration that adds it is missing) or PostgreSQL refuses the new view.
 * @example
 * await addMissingCurrentViewColumns({ warehouse, log });
 */
export async function addMissingCurrentViewColumns(deps: {
  warehouse: Client;
  log: Log;
  /** @default every fact's view, from the schema module */
  views?: readonly CurrentViewDef[];
}): Promise<UpdatedCurrentView[]> {
  const { warehouse, log } = deps;
  const views = deps.views ?? currentViews();
  const columns = await columnsOf(warehouse, [...views.flatMap((v) => [v.name, v.fact.name])]);
  const pending = views.flatMap((view) => {
    const existing = columns.get(view.name);
    if (!existing) return [];
    const update = withMissingColumns(view, existing);
    return update.added.length === 0 ? [] : [{ view, ...update }];
  });
  if (pending.length === 0) return [];

  for (const { view, added } of pending) {
    const table = new Set(columns.get(view.fact.name) ?? []);
    const needed = added.flatMap((c) => (c.kind === 'fact' ? [c.name] : [...c.measure.factors]));
    const missing = [...new Set(needed.filter((name) => !table.has(name)))];
    if (missing.length > 0) {
      throw new CurrentViewUpdateError(
        `${view.name} must show ${missing.join(', ')}, which ${view.fact.name} does not have: add a warehouse migration with ALTER TABLE ${view.fact.name} ADD COLUMN … for each, and run again.`,
        { context: { table: view.fact.name, view: view.name, columns: missing } },
      );
    }
  }

  await warehouse.query('BEGIN');
  try {
    await warehouse.query(
      "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
      [`${CURRENT_VIEW_UPDATE_TIMEOUT_MS.lock}ms`, `${CURRENT_VIEW_UPDATE_TIMEOUT_MS.statement}ms`],
    );
    for (const { view, names, added } of pending) {
      await warehouse.query(createCurrentViewSql(view, names));
      for (const column of added) {
        const comment = columnComment(column);
        if (comment === undefined) continue;
        // COMMENT takes no parameters; the text comes from the schema module, quoted as a literal.
        await warehouse.query(
          `COMMENT ON COLUMN ${ident(view.name)}.${ident(column.name)} IS ${literal(comment)}`,
        );
      }
    }
    await warehouse.query('COMMIT');
  } catch (error) {
    await warehouse.query('ROLLBACK').catch(() => undefined);
    const names = pending.map((p) => p.view.name).join(', ');
    const reason = error instanceof Error ? error.message : String(error);
    throw new CurrentViewUpdateError(
      `adding the schema module's new columns to ${names} failed and was rolled back: ${reason}. Check the fact tables' columns against lambdas/kernel/schema/warehouse.ts and run again.`,
      { cause: error, context: { views: pending.map((p) => p.view.name) } },
    );
  }
  const updated = pending.map((p) => ({ view: p.view.name, added: p.added.map((c) => c.name) }));
  for (const u of updated) log.info('added columns to a current view', { ...u });
  return updated;
}

/** A SQL string literal. */
const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
