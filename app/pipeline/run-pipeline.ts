import type { Client } from 'pg';
import { compactFacts } from '../../lambdas/compact/compact';
import { type IngestResult, ingest } from '../../lambdas/ingest/ingest';
import type { Catalog } from '../../lambdas/kernel/catalog/catalog';
import {
  acquireLease,
  DEFAULT_LEASE_TTL_MS,
  type LeaseOptions,
} from '../../lambdas/kernel/lake/documents/lease';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';
import { LAST_RUN_KEY } from '../../lambdas/kernel/lake/layout';
import type { Log } from '../../lambdas/kernel/logger';
import { redact } from '../../lambdas/kernel/redact';
import { loadedSeq } from '../../lambdas/load/load';
import { type LoadStageResult, runLoadStage } from '../../lambdas/load/stage';
import { type TransformResult, transform } from '../../lambdas/transform/transform';

/** A pipeline stage, for progress reporting. */
export type Stage = 'ingest' | 'transform' | 'load';

/** What one run needs: both databases, the lake and its catalog, a logger, scratch space. */
export interface PipelineDeps {
  readonly source: Client;
  readonly warehouse: Client;
  readonly lake: LakeStore;
  readonly catalog: Catalog;
  readonly log: Log;
  /** Scratch folder for DuckDB files. */
  readonly workDir: string;
  readonly clock?: () => Date;
  /** Lease settings (how long to wait for a concurrent run). */
  readonly lease?: LeaseOptions;
  /** Called when a stage starts and ends (progress display). */
  readonly onStage?: (stage: Stage, phase: 'start' | 'end') => void;
}

/** The outcome of one run, stage by stage, with timings. */
export interface PipelineResult {
  readonly ingest: IngestResult;
  readonly transform: readonly TransformResult[];
  /** Migrations applied and batches loaded. */
  readonly load: LoadStageResult;
  readonly seconds: Readonly<Record<Stage, number>>;
}

/**
 * One run: ingest → transform (until every committed ingest run is transformed) → load
 * (until every committed batch is in the warehouse), under the pipeline lease so that no two
 * runs overlap. Each stage commits on its own, so a run that dies anywhere is completed by
 * the next one.
 */
export async function runPipeline(deps: PipelineDeps): Promise<PipelineResult> {
  const { lake, log } = deps;
  const clock = deps.clock ?? (() => new Date());
  const lease = await acquireLease(lake, { clock, ...deps.lease });
  // Renew well within the lease's lifetime, so that a short TTL (quick takeover after a
  // crash) does not let a second run in while this one is still working.
  const heartbeat = setInterval(
    () => lease.renew().catch((error: unknown) => log.error('lease renewal failed', { error })),
    Math.min(60_000, Math.max(250, (deps.lease?.ttlMs ?? DEFAULT_LEASE_TTL_MS) / 3)),
  );
  heartbeat.unref();
  const seconds: Record<Stage, number> = { ingest: 0, transform: 0, load: 0 };
  const timed = async <T>(stage: Stage, work: () => Promise<T>): Promise<T> => {
    deps.onStage?.(stage, 'start');
    const started = performance.now();
    try {
      return await work();
    } finally {
      seconds[stage] += (performance.now() - started) / 1000;
      deps.onStage?.(stage, 'end');
    }
  };
  const startedAt = clock().toISOString();
  let stage: Stage = 'ingest';
  const timedStage = <T>(name: Stage, work: () => Promise<T>) => {
    stage = name;
    return timed(name, work);
  };
  try {
    const ingested = await timedStage('ingest', () => ingest({ source: deps.source, lake, log, clock }));
    const transformed = await timedStage('transform', async () => {
      const batches: TransformResult[] = [];
      for (;;) {
        const batch = await transform({ lake, catalog: deps.catalog, log, workDir: deps.workDir, clock });
        batches.push(batch);
        if (!batch.more) return batches;
      }
    });
    const loaded = await timedStage('load', () =>
      runLoadStage({ warehouse: deps.warehouse, lake, log, workDir: deps.workDir }),
    );
    // After the load, so only loaded batches' files are compacted; housekeeping: a failure
    // is logged, not fatal (the next run cleans up and tries again).
    await compactFacts({
      lake,
      log,
      workDir: deps.workDir,
      clock,
      loadedSeq: await loadedSeq(deps.warehouse),
    }).catch((error: unknown) => log.error('fact compaction failed; the next run retries it', { error }));
    const result = { ingest: ingested, transform: transformed, load: loaded, seconds };
    await recordRun(lake, log, summarise(result, startedAt, clock().toISOString()));
    return result;
  } catch (error) {
    await recordRun(lake, log, {
      runId: undefined,
      status: 'failed',
      startedAt,
      finishedAt: clock().toISOString(),
      failedStage: stage,
      error: error instanceof Error ? redact(error.message) : String(error),
      seconds,
    });
    throw error;
  } finally {
    clearInterval(heartbeat);
    await lease
      .release()
      .catch((error: unknown) => log.warn('lease release failed; it will expire', { error }));
  }
}

/** What `totes status` shows of the last run (`state/last-run.json`). */
export interface RunRecord {
  readonly runId: string | undefined;
  readonly status: 'succeeded' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly failedStage?: Stage;
  readonly error?: string;
  readonly seconds: Readonly<Record<Stage, number>>;
  readonly changes?: number;
  readonly skippedTables?: readonly string[];
  readonly factRows?: number;
  readonly quarantinedRows?: number;
  readonly batchesLoaded?: number;
}

function summarise(result: PipelineResult, startedAt: string, finishedAt: string): RunRecord {
  const committed = result.transform.filter((b) => b.status === 'committed');
  return {
    runId: result.ingest.runId,
    status: 'succeeded',
    startedAt,
    finishedAt,
    seconds: result.seconds,
    changes: result.ingest.tables.reduce((n, t) => n + t.rows, 0),
    skippedTables: result.ingest.tables.filter((t) => t.error).map((t) => t.table),
    factRows: committed.reduce((n, b) => n + Object.values(b.facts).reduce((a, x) => a + x, 0), 0),
    quarantinedRows: committed.reduce((n, b) => n + b.quarantined.reduce((a, q) => a + q.rows, 0), 0),
    batchesLoaded: result.load.batches.length,
  };
}

/** Best effort: the record is for people; a failure to write it must not fail the run. */
async function recordRun(lake: LakeStore, log: Log, record: RunRecord): Promise<void> {
  await lake
    .put(LAST_RUN_KEY, `${JSON.stringify(record, null, 2)}\n`)
    .catch((error: unknown) => log.warn('could not record the run summary', { error }));
}
