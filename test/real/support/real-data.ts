import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from 'pg';
import { seedFromSnapshot } from '../../../app/totesys/seed';
import { sourceTable, sourceTables } from '../../../lambdas/kernel/schema';
import { inserts, type RawChange, type SourceRow, toRawContract } from '../../support/raw-fixtures';

/**
 * The real totesys exports (see their README): `TOTESYS_DATA_DIR`, or `../shared/totesys-data`
 * beside the repository. They are never copied into the repository, so only this suite
 * (`npm run test:real`) and the fault suite read them; `npm test` builds its data with the
 * project's own generator instead.
 */
export const REAL_DATA_DIR = resolve(
  process.env.TOTESYS_DATA_DIR || join(__dirname, '..', '..', '..', '..', 'shared', 'totesys-data'),
);

/** The Nov 2024 snapshot, all 11 tables (JSON Lines derived from the team's Parquet files). */
export const NOV_DIR = join(REAL_DATA_DIR, 'aidan-mooney-2024-11-15', 'jsonl');
/** The earlier May 2024 snapshot: seven tables, JSON arrays, string money. */
export const MAY_DIR = join(REAL_DATA_DIR, 'aranparrish-2024-05-21');
/** Nov 2024 from another team: no payment table, whole-second timestamps without a fraction. */
export const GREEN_DIR = join(REAL_DATA_DIR, 'greenseahawk-2024-11-14');

/** Every folder the suite reads. */
export const REAL_DATA_FOLDERS = [NOV_DIR, MAY_DIR, GREEN_DIR];

/**
 * Fails, naming the folder and what to do, when the real exports are not there: a real-data
 * test that passes without its data would prove nothing.
 */
export function requireRealData(): void {
  const missing = REAL_DATA_FOLDERS.filter((dir) => !existsSync(dir));
  if (missing.length === 0) return;
  throw new Error(
    `The real-data suite needs the totesys exports, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing.\n` +
      `Put the shared data beside the repository (../shared/totesys-data) or set TOTESYS_DATA_DIR to its folder.\n` +
      `npm test does not need it; only npm run test:real and npm run test:faults do.`,
  );
}

const cache = new Map<string, SourceRow[]>();

/** Every row of `table` in the real Nov 2024 snapshot, converted to the raw contract. */
export function realRows(table: string): SourceRow[] {
  let rows = cache.get(table);
  if (!rows) {
    const text = readFileSync(join(NOV_DIR, `${table}.jsonl`), 'utf8');
    rows = text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => toRawContract(table, JSON.parse(l) as SourceRow));
    cache.set(table, rows);
  }
  return rows.map((r) => ({ ...r }));
}

/** Every row of `table` in the May 2024 snapshot, converted to the raw contract. */
export function mayRows(table: string): SourceRow[] {
  const rows = JSON.parse(readFileSync(join(MAY_DIR, `${table}.json`), 'utf8')) as SourceRow[];
  return rows.map((r) => toRawContract(table, r));
}

/** The real row of `table` with primary key `id`. */
export function realRow(table: string, id: number): SourceRow {
  const pk = sourceTable(table).primaryKey;
  const row = realRows(table).find((r) => r[pk] === id);
  if (!row) throw new Error(`no ${table} row ${id} in the real data`);
  return row;
}

/** The whole real snapshot as one run's inserts, every table. */
export function realSnapshotChanges(): Record<string, RawChange[]> {
  return Object.fromEntries(sourceTables.map(({ name }) => [name, inserts(realRows(name))]));
}

/** Seeds an empty source schema with the real Nov 2024 snapshot. */
export const seedRealSnapshot = (source: Client): Promise<unknown> => seedFromSnapshot(source, NOV_DIR);
