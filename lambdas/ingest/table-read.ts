import type { Client } from 'pg';
import type { SourceTableDef } from '../kernel/schema';
import { TableUnreadableError } from './errors';

/**
 * SQLSTATEs that mean "this table cannot be read now" rather than "the source is gone":
 * no privilege, the table or a column vanished since the catalog was read, a lock held on
 * it past `lock_timeout`, the read cancelled (statement timeout).
 */
const TABLE_FAILURES: Readonly<Record<string, (table: string, timeoutMs: number) => string>> = {
  '42501': (t) => `the TOTESYS_URL role may not read it; grant SELECT on ${t} to that role`,
  '42P01': (t) => `it disappeared during the run (renamed or dropped?); restore ${t}`,
  '42703': (t) => `a column of ${t} disappeared during the run; restore it`,
  '55P03': (_t, ms) =>
    `another session held a lock on it for more than ${ms} ms (ALTER TABLE, VACUUM FULL, LOCK TABLE?)`,
  '57014': () => 'the read was cancelled (statement timeout)',
};

/** The SQLSTATE of a PostgreSQL error, also when the lake write it broke wrapped it as its cause. */
function sqlState(error: unknown): string {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    if ('code' in e && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = 'cause' in e ? e.cause : undefined;
  }
  return '';
}

/**
 * Runs `work` (the capture of one table) inside a savepoint of the run's snapshot
 * transaction. When it fails because of that table alone, the savepoint is rolled back —
 * the snapshot and the other tables' reads go on — and the failure is returned as a
 * {@link TableUnreadableError} saying what to do; any other failure is thrown.
 */
export async function readable<T>(
  source: Client,
  table: SourceTableDef,
  lockTimeoutMs: number,
  work: () => Promise<T>,
): Promise<T | TableUnreadableError> {
  await source.query('SAVEPOINT capture_table');
  try {
    const result = await work();
    await source.query('RELEASE SAVEPOINT capture_table');
    return result;
  } catch (error) {
    const code = sqlState(error);
    const explain = TABLE_FAILURES[code];
    if (!explain) throw error;
    await source.query('ROLLBACK TO SAVEPOINT capture_table');
    const reason = error instanceof Error ? error.message : String(error);
    return new TableUnreadableError(
      `source table ${table.name} could not be read (${reason}): ${explain(table.name, lockTimeoutMs)}. It keeps its capture point; the first run that can read it delivers every change it missed`,
      { cause: error, context: { table: table.name, code } },
    );
  }
}
