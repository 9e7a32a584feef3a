import { TotesError } from '../../lambdas/kernel/errors';
import type { Zone } from './keyed';

/**
 * One star table could not be checked; the other tables still are. The message says which
 * place (source, lake, warehouse) failed, why, and what to do.
 */
export class TableCheckError extends TotesError {
  constructor(
    message: string,
    readonly zone: Zone,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options);
  }
}

/** `totes verify --repair` could not rebuild the warehouse. */
export class RepairError extends TotesError {}

const sqlState = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Says what a failed query of `zone` means for the check of star table `table` (reading
 * source table `sourceName` when the zone is the source) and what to do about it.
 */
export function explainCheckFailure(
  zone: Zone,
  table: string,
  sourceName: string | undefined,
  error: unknown,
): TableCheckError {
  if (error instanceof TableCheckError) return error;
  const code = sqlState(error);
  const reason = messageOf(error);
  const context = { table, zone, ...(code ? { code } : {}) };
  const fail = (message: string) => new TableCheckError(message, zone, { cause: error, context });
  const src = sourceName ?? table;
  if (zone === 'source') {
    if (code === '42P01')
      return fail(
        `the source has no table ${src} (${reason}): restore it, or check TOTESYS_URL and that its role can see it`,
      );
    if (code === '42703')
      return fail(
        `a column of source table ${src} is missing (${reason}): restore it, or update lambdas/kernel/schema/source.ts`,
      );
    if (code === '42501')
      return fail(`the TOTESYS_URL role may not read ${src} (${reason}): grant SELECT on it to that role`);
    return fail(`could not read source table ${src}: ${reason}; check TOTESYS_URL and that the source is up`);
  }
  if (zone === 'warehouse') {
    if (code === '42P01')
      return fail(
        `the warehouse has no table ${table} yet (${reason}): nothing has been loaded — run \`totes run\` (or \`totes load\`)`,
      );
    if (code === '42703')
      return fail(
        `warehouse table ${table} lacks a column (${reason}): run \`totes load\` to apply the migrations, or undo the manual change`,
      );
    return fail(
      `could not read warehouse table ${table}: ${reason}; check WAREHOUSE_URL and that the warehouse is up`,
    );
  }
  return fail(`could not read the ${zone === 'raw' ? 'raw zone' : 'curated zone'} for ${table}: ${reason}`);
}
