import { join } from 'node:path';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { type DuckSession, openDuck, sqlString } from '../../../lambdas/kernel/duckdb/duckdb';
import { readTransformState } from '../../../lambdas/kernel/lake/documents/transform-state';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import { snapshotFolderOf } from '../../../lambdas/kernel/lake/layout';
import { silentLog } from '../../../lambdas/kernel/logger';
import { type TransformResult, transform } from '../../../lambdas/transform/transform';
import type { RawFixture } from '../../support/raw-fixtures';

/** Runs one transform batch over the fixture's lake. */
export function runTransform(
  fx: RawFixture,
  options: { lake?: LakeStore; maxIngestRuns?: number } = {},
): Promise<TransformResult> {
  const lake = options.lake ?? fx.lake;
  return transform({
    lake,
    catalog: new LocalCatalog(lake),
    log: silentLog,
    workDir: join(fx.dir, 'work'),
    ...(options.maxIngestRuns ? { maxIngestRuns: options.maxIngestRuns } : {}),
  });
}

let duck: DuckSession | undefined;

/** A DuckDB session shared by a test file, to read curated files back. */
export async function reader(): Promise<DuckSession> {
  duck ??= await openDuck({ memoryLimit: '512MB' });
  return duck;
}

export function closeReader(): void {
  duck?.close();
  duck = undefined;
}

/** Rows of a query as objects keyed by column name. */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const result = await (await reader()).all(sql);
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
}

/** `read_parquet(...)` of every file of fact `table` in the lake. */
export function factFiles(fx: RawFixture, table: string): string {
  return `read_parquet(${sqlString(join(fx.lake.root, 'curated', table, 'dt=*', '*.parquet'))}, hive_partitioning = false)`;
}

/** `read_parquet(...)` of the committed snapshot folder of dimension `table` (every file in it). */
export async function dimensionFile(fx: RawFixture, table: string): Promise<string> {
  const { state } = await readTransformState(fx.lake);
  const key = state.dimensions[table];
  if (!key) throw new Error(`no committed snapshot of ${table}`);
  const folder = fx.lake.localPath(snapshotFolderOf(key).slice(0, -1));
  return `read_parquet(${sqlString(join(folder, '*.parquet'))}, hive_partitioning = false)`;
}

/** Rows of the committed snapshot of `table`, ordered by `orderBy`. */
export async function dimensionRows(
  fx: RawFixture,
  table: string,
  orderBy: string,
): Promise<Record<string, unknown>[]> {
  return query(`SELECT * FROM ${await dimensionFile(fx, table)} ORDER BY ${orderBy}`);
}
