import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Client } from 'pg';
import { addMissingCurrentViewColumns } from '../kernel/catalog/warehouse-current-views';
import type { Log } from '../kernel/logger';
import { MigrationChangedError, MigrationFailedError } from './errors';

/** The `warehouse-sql/` folder of this repository (the Lambda bundle passes its own copy). */
export const DEFAULT_MIGRATIONS_DIR = resolve(__dirname, '..', '..', 'warehouse-sql');

/**
 * Advisory lock key of the migration runner (any constant shared by every loader; this one is
 * 'totesmig' in ASCII), so two loaders starting at once do not both apply a migration.
 */
export const MIGRATION_LOCK_KEY = 0x746f7465736d6967n;

/** A numbered migration file: `NNN_name.sql`. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
  /** SHA-256 of the file's bytes, hex. */
  readonly checksum: string;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  readonly applied: readonly string[];
  /** Migrations found already applied (unchanged). */
  readonly alreadyApplied: readonly string[];
}

const MIGRATION_FILE = /^\d{3,}_[a-z0-9_]+\.sql$/;

/** The migrations in `dir`, in name order (the order they are applied in). */
export async function readMigrations(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => MIGRATION_FILE.test(n)).sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(dir, name));
      return { name, sql: bytes.toString('utf8'), checksum: checksum(bytes) };
    }),
  );
}

/** SHA-256 of a migration's bytes. */
export const checksum = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Brings the warehouse schema up to date: applies the pending migrations of `dir` in name
 * order, each in its own transaction together with its `etl.schema_migrations` row. Refuses
 * to run (before applying anything) when a migration already applied has changed or is gone.
 * Holds an advisory lock for the duration, so concurrent loaders migrate one at a time.
 *
 * @example
 * await migrate({ warehouse, log });               // the repository's warehouse-sql/
 * await migrate({ warehouse, log, dir: '/var/task/warehouse-sql' });
 */
export async function migrate(deps: { warehouse: Client; log: Log; dir?: string }): Promise<MigrateResult> {
  const { warehouse, log } = deps;
  const migrations = await readMigrations(deps.dir ?? DEFAULT_MIGRATIONS_DIR);
  await warehouse.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
  try {
    await ensureLedger(warehouse);
    const applied = await appliedChecksums(warehouse);
    verifyApplied(migrations, applied);
    const pending = migrations.filter((m) => !applied.has(m.name));
    for (const migration of pending) await applyOne(warehouse, migration, log);
    // New fact columns reach the <fact>_current views without view SQL in a migration.
    await addMissingCurrentViewColumns({ warehouse, log });
    return { applied: pending.map((m) => m.name), alreadyApplied: [...applied.keys()] };
  } finally {
    await warehouse.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
  }
}

async function ensureLedger(warehouse: Client): Promise<void> {
  await warehouse.query('CREATE SCHEMA IF NOT EXISTS etl');
  await warehouse.query(`CREATE TABLE IF NOT EXISTS etl.schema_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
}

async function appliedChecksums(warehouse: Client): Promise<Map<string, string>> {
  const { rows } = await warehouse.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM etl.schema_migrations ORDER BY name',
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

/** Throws when an applied migration's file changed or disappeared. */
export function verifyApplied(migrations: readonly Migration[], applied: ReadonlyMap<string, string>): void {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  for (const [name, sum] of applied) {
    const file = byName.get(name);
    if (!file) {
      throw new MigrationChangedError(
        `migration ${name} was applied to the warehouse but is missing from warehouse-sql/. Restore the file; applied migrations are never removed.`,
        { context: { migration: name } },
      );
    }
    if (file.checksum !== sum) {
      throw new MigrationChangedError(
        `migration ${name} changed after it was applied to the warehouse (checksum ${sum.slice(0, 12)}… is now ${file.checksum.slice(0, 12)}…). Revert the edit and put the change in a new numbered migration.`,
        { context: { migration: name } },
      );
    }
  }
}

async function applyOne(warehouse: Client, migration: Migration, log: Log): Promise<void> {
  await warehouse.query('BEGIN');
  try {
    await warehouse.query(migration.sql);
    await warehouse.query('INSERT INTO etl.schema_migrations (name, checksum) VALUES ($1, $2)', [
      migration.name,
      migration.checksum,
    ]);
    await warehouse.query('COMMIT');
    log.info('applied warehouse migration', { migration: migration.name });
  } catch (error) {
    await warehouse.query('ROLLBACK').catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationFailedError(
      `warehouse migration ${migration.name} failed and was rolled back: ${reason}. Fix the migration and run again.`,
      { cause: error, context: { migration: migration.name } },
    );
  }
}
