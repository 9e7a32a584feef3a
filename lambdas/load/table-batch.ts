import type { CuratedObject, TransformManifest } from '../kernel/lake/documents/manifests';
import { ident, type WarehouseTableDef } from '../kernel/schema';
import { CsvCopyError } from './csv-copy';
import { BatchLoadError } from './errors';
import { tableFailure, unreadableParquet } from './failures';
import type { LoadDeps } from './load';

/** One table of one batch, and what applying it needs. */
export interface TableBatch {
  readonly deps: LoadDeps;
  readonly manifest: TransformManifest;
  readonly table: WarehouseTableDef;
  readonly objects: readonly CuratedObject[];
  /** Runs the table's CSV through `COPY` statement `sql`; returns the rows COPY took. */
  readonly copy: (sql: string) => Promise<number>;
  /**
   * The batch truncated every warehouse table (the initial load, see `truncateForInitialLoad`
   * in `apply-batch.ts`): COPY straight into a table may then write its rows frozen.
   */
  readonly freeze: boolean;
}

/**
 * Tables that took at least this many rows in one COPY are analysed in the batch transaction:
 * until autovacuum catches up, the planner would otherwise plan the foreign-key checks, the
 * next batch's bulk decision and the analysts' first queries for an empty table.
 */
export const ANALYZE_MIN_ROWS = 50_000;

/** Refreshes the planner statistics of a table after a large load (row counts, value spread). */
export const analyzeSql = (table: WarehouseTableDef): string => `ANALYZE ${ident(table.name)}`;

/** The rows the manifest announces for the table in this batch. */
export const expectedRows = (batch: TableBatch): number => batch.objects.reduce((sum, o) => sum + o.rows, 0);

/** Name of the staging table of `table`; TEMP, dropped at commit. */
export const stagingName = (table: WarehouseTableDef): string => ident(`stage_${table.name}`);

/** The curated columns of `table`, quoted, in schema order. */
export const columnList = (table: WarehouseTableDef): string =>
  table.columns.map((c) => ident(c.name)).join(', ');

/**
 * What COPY fills in the table itself, in the order `parquetToCsvSql` writes it: the surrogate
 * key (facts), the curated columns, then the columns only the warehouse has (`loadColumns`).
 */
const loadedColumnList = (table: WarehouseTableDef): string =>
  [
    ...(table.surrogateKey ? [table.surrogateKey] : []),
    ...[...table.columns, ...(table.loadColumns ?? [])].map((c) => c.name),
  ]
    .map(ident)
    .join(', ');

/**
 * `COPY … FROM STDIN` in CSV, the format DuckDB writes (NULL unquoted-empty, '' quoted), into
 * the staging table of `table` or, with `into: 'table'`, straight into the table itself (fact
 * versions, and the rows of a dimension that is still empty). `freeze` (into the table only)
 * writes the rows frozen and all-visible, which PostgreSQL allows only into a table truncated
 * in this transaction: no later pass has to set their hint bits or freeze them.
 */
export function copySql(
  table: WarehouseTableDef,
  into: 'staging' | 'table' = 'staging',
  options: { readonly freeze?: boolean } = {},
): string {
  if (into === 'staging' && table.loadColumns?.length) {
    throw new RangeError(
      `${table.name} has warehouse-only columns (${table.loadColumns.map((c) => c.name).join(', ')}); it is copied into the table, never staged`,
    );
  }
  const target = into === 'staging' ? stagingName(table) : ident(table.name);
  const columns = into === 'table' ? loadedColumnList(table) : columnList(table);
  return `COPY ${target} (${columns}) FROM STDIN (FORMAT csv${options.freeze && into === 'table' ? ', FREEZE' : ''})`;
}

/**
 * The Parquet of the batch rendered by DuckDB as CSV and streamed into COPY, into the table
 * itself or its staging table; checks that COPY took exactly the rows the manifest announces.
 */
export async function copyParquet(batch: TableBatch, into: 'staging' | 'table'): Promise<number> {
  const { manifest, table } = batch;
  const sql = copySql(table, into, { freeze: batch.freeze });
  const copied = await batch.copy(sql).catch((error: unknown) => {
    if (error instanceof CsvCopyError && error.failure.side === 'render') {
      throw unreadableParquet(manifest.seq, table.name, error.failure.error);
    }
    throw tableFailure(manifest.seq, table.name, error instanceof CsvCopyError ? error.failure.error : error);
  });
  const expected = expectedRows(batch);
  if (copied !== expected) {
    throw new BatchLoadError(
      `transform batch ${manifest.seq} says ${table.name} has ${expected} rows but its Parquet holds ${copied}. The batch is incomplete or corrupt; check the lake.`,
      { context: { batchSeq: manifest.seq, table: table.name } },
    );
  }
  return copied;
}

/** Runs warehouse statements of one table, turning a failure into a {@link BatchLoadError} that says why. */
export async function guarded<T>(batch: TableBatch, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw tableFailure(batch.manifest.seq, batch.table.name, error);
  }
}

/** Logs what applying one table did (mode, rows, timings). */
export function logTable(batch: TableBatch, details: Record<string, unknown>): void {
  batch.deps.log.debug('loaded table', { batchSeq: batch.manifest.seq, table: batch.table.name, ...details });
}
