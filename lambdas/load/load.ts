import { mkdir } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Client } from 'pg';
import {
  committedTransformSeq,
  readTransformManifest,
  type TransformManifest,
} from '../kernel/lake/documents/manifests';
import type { LakeStore } from '../kernel/lake/lake-store';
import type { Log } from '../kernel/logger';
import { applyBatch } from './apply-batch';
import { openRenderer } from './csv-pipeline';
import { LoadError } from './errors';
import { batchRolledBack, unreadableManifest } from './failures';
import { loadedSeq, reconcileLedger, recordBatch } from './ledger';

/**
 * Advisory lock key held by a loader for the whole of one batch transaction ('totesld' in
 * ASCII): a second loader waits, then sees the batch in the ledger and moves on.
 */
export const LOAD_LOCK_KEY = 0x746f7465736c64n;

/** Collaborators of {@link load}. */
export interface LoadDeps {
  /** Connected warehouse client, migrated (see `migrate`); not in a transaction. */
  readonly warehouse: Client;
  readonly lake: LakeStore;
  readonly log: Log;
  /** Scratch folder for downloaded Parquet (remote lakes) and the CSV fed to COPY. */
  readonly workDir: string;
  /** Apply at most this many batches (the rest wait for the next call). @default unlimited */
  readonly maxBatches?: number;
  /** Fact batches from this size on are appended in bulk mode. @default `BULK_FOREIGN_KEY_MIN_ROWS` (`apply-facts.ts`) */
  readonly bulkForeignKeyMinRows?: number;
}

/** One transform batch applied to the warehouse. */
export interface LoadedBatch {
  readonly seq: number;
  readonly batchId: string;
  /** Rows written per table: dimension rows inserted or changed, fact versions appended. */
  readonly rows: Readonly<Record<string, number>>;
}

/** What {@link load} did. */
export interface LoadResult {
  /** Batches this call applied, in order (empty when the warehouse was up to date). */
  readonly batches: readonly LoadedBatch[];
  /** Rows written per table, summed over {@link batches}. */
  readonly rows: Readonly<Record<string, number>>;
  /** The last batch in the warehouse's ledger after this call. */
  readonly lastLoadedSeq: number;
  /** The lake's committed transform batch when this call started. */
  readonly committedSeq: number;
}

/**
 * Applies every committed, not yet loaded transform batch to the warehouse, in `seq` order.
 * Each batch is one transaction: dimension snapshots are upserted (dimensions first, so the
 * facts' foreign keys hold), fact versions appended, and the batch's `etl.load_log` row
 * inserted. So a batch is in the warehouse exactly once: a reload finds it in the ledger and
 * does nothing, a failure leaves neither rows nor ledger entry, and concurrent loaders
 * serialise on an advisory lock.
 *
 * Bulk path only: DuckDB reads the Parquet and writes CSV, streamed into `COPY FROM STDIN`
 * while it is written (`csv-pipeline.ts`, `csv-copy.ts`). Fact versions are copied straight
 * into their table (`apply-facts.ts`); dimension rows into a TEMP staging table and upserted
 * from there with one statement, or copied straight in while the dimension is empty
 * (`apply-dimensions.ts`). A dimension is applied from the rows the transform lists as changed
 * (`dimensionChanges`) when the manifest has them, else from its complete snapshot.
 *
 * @example
 * await migrate({ warehouse, log });
 * const result = await load({ warehouse, lake, log, workDir: '/tmp' });
 * // result.rows → { dim_design: 3, fact_sales_order: 150, … }
 */
export async function load(deps: LoadDeps): Promise<LoadResult> {
  const committedSeq = await committedTransformSeq(deps.lake);
  const maxBatches = deps.maxBatches ?? Number.POSITIVE_INFINITY;
  const batches: LoadedBatch[] = [];
  await mkdir(deps.workDir, { recursive: true });
  const renderer = await openRenderer(deps.workDir);
  try {
    let lastLoadedSeq = await loadedSeq(deps.warehouse);
    while (batches.length < maxBatches) {
      const loaded = await loadNextBatch(deps, renderer.duckdb, committedSeq, batches.length === 0);
      if (loaded.batch) batches.push(loaded.batch);
      lastLoadedSeq = loaded.lastLoadedSeq;
      if (!loaded.batch) break;
    }
    return { batches, rows: sumRows(batches), lastLoadedSeq, committedSeq };
  } finally {
    await renderer.close();
  }
}

/**
 * In one transaction under the load lock: finds the next batch the ledger lacks and applies
 * it. Returns no batch when the warehouse is up to date with `committedSeq`. With `prove`
 * (the first batch of a call), the ledger is first checked against the facts' `batch_seq`
 * and the lake's batch ids (see `reconcileLedger` in `ledger.ts`): a ledger that lost rows, or
 * a lake of another environment, is refused; a lake whose batches after some batch are not the
 * ones loaded (its transform state restored to an earlier version) has the warehouse taken
 * back to that batch in this same transaction, and loading goes on from there.
 */
async function loadNextBatch(
  deps: LoadDeps,
  duckdb: DuckDBConnection,
  committedSeq: number,
  prove: boolean,
): Promise<{ batch?: LoadedBatch; lastLoadedSeq: number }> {
  const { warehouse } = deps;
  await warehouse.query('BEGIN');
  let seq: number | undefined;
  try {
    await warehouse.query('SELECT pg_advisory_xact_lock($1)', [LOAD_LOCK_KEY.toString()]);
    if (prove) await reconcileLedger(deps);
    const last = await loadedSeq(warehouse);
    if (last >= committedSeq) {
      await warehouse.query('COMMIT');
      return { lastLoadedSeq: last };
    }
    seq = last + 1;
    const manifest = await readManifest(deps.lake, seq);
    const batch = { seq, batchId: manifest.batchId, rows: await applyBatch(deps, duckdb, manifest) };
    await recordBatch(warehouse, batch);
    await warehouse.query('COMMIT');
    deps.log.info('loaded transform batch', { seq, batchId: batch.batchId, rows: batch.rows });
    return { batch, lastLoadedSeq: seq };
  } catch (error) {
    await warehouse.query('ROLLBACK').catch(() => undefined);
    if (error instanceof LoadError || seq === undefined) throw error;
    throw batchRolledBack(seq, error);
  }
}

async function readManifest(lake: LakeStore, seq: number): Promise<TransformManifest> {
  try {
    return await readTransformManifest(lake, seq);
  } catch (error) {
    throw unreadableManifest(seq, lake.url, error);
  }
}

function sumRows(batches: readonly LoadedBatch[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const batch of batches) {
    for (const [table, n] of Object.entries(batch.rows)) total[table] = (total[table] ?? 0) + n;
  }
  return total;
}
