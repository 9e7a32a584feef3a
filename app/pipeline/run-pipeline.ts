import type { Client } from 'pg';
import { type CompactionResult, compactFacts } from '../../lambdas/compact/compact';
import { type IngestResult, ingest } from '../../lambdas/ingest/ingest';
import type { Catalog } from '../../lambdas/kernel/catalog/catalog';
import { DatabaseUnavailableError } from '../../lambdas/kernel/errors';
import { type WithLeaseOptions, withLease } from '../../lambdas/kernel/lake/documents/lease';
import {
  type PipelineStage,
  type RunRecord,
  recordRun,
  type StageOutcome,
} from '../../lambdas/kernel/lake/documents/run-history';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';
import type { Log } from '../../lambdas/kernel/logger';
import { redact } from '../../lambdas/kernel/redact';
import { loadedSeq } from '../../lambdas/load/ledger';
import { type LoadStageResult, runLoadStage } from '../../lambdas/load/stage';
import { type TransformResult, transform } from '../../lambdas/transform/transform';
import { PipelineFailedError } from './errors';

export type { RunRecord } from '../../lambdas/kernel/lake/documents/run-history';

/** A pipeline stage, for progress reporting. */
export type Stage = PipelineStage;

/** A database client, or how to open one when its stage starts (so that a database that is down fails only its stage). */
export type ClientSource = Client | (() => Promise<Client>);

/** What one run needs: both databases, the lake and its catalog, a logger, scratch space. */
export interface PipelineDeps {
  /** The source; a function is called when the ingest starts (and its client ended with the run). */
  readonly source: ClientSource;
  /** The warehouse; a function is called when the load starts (and its client ended with the run). */
  readonly warehouse: ClientSource;
  readonly lake: LakeStore;
  readonly catalog: Catalog;
  readonly log: Log;
  /** Scratch folder for DuckDB files. */
  readonly workDir: string;
  readonly clock?: () => Date;
  /** Lease settings (how long to wait for a concurrent run, its lifetime). */
  readonly lease?: WithLeaseOptions;
  /** Called when a stage starts and ends (progress display). */
  readonly onStage?: (stage: Stage, phase: 'start' | 'end') => void;
  /** Called after each transform batch (progress display: rows per table as they are written). */
  readonly onTransformBatch?: (batch: TransformResult) => void;
}

/** The outcome of one run, stage by stage, with timings. */
export interface PipelineResult {
  readonly ingest: IngestResult;
  readonly transform: readonly TransformResult[];
  /** Migrations applied and batches loaded. */
  readonly load: LoadStageResult;
  /** Fact partitions compacted after the load. */
  readonly compaction: CompactionResult;
  readonly seconds: Readonly<Record<Stage, number>>;
  /** What each stage did. */
  readonly stages: readonly StageOutcome[];
}

/**
 * One run: ingest → transform (until every committed ingest run is transformed) → load
 * (until every committed batch is in the warehouse) → fact compaction, under the pipeline
 * lease so that no two writers overlap. Each stage commits on its own and runs as far as it
 * can: a source that is down fails the ingest but the transform and the load still move what
 * is committed; a warehouse that is down fails the load (and skips compaction, which needs
 * it) while the lake is brought up to date. Every run, failed or not, is recorded in the run
 * history for `totes status`; when a stage failed, a {@link PipelineFailedError} naming it
 * is thrown after the others ran.
 */
export async function runPipeline(deps: PipelineDeps): Promise<PipelineResult> {
  const clock = deps.clock ?? (() => new Date());
  return withLease(deps.lake, { purpose: 'totes run', clock, log: deps.log, ...deps.lease }, () =>
    runStages(deps, clock),
  );
}

async function runStages(deps: PipelineDeps, clock: () => Date): Promise<PipelineResult> {
  const { lake, log } = deps;
  const startedAt = clock().toISOString();
  const seconds: Record<Stage, number> = { ingest: 0, transform: 0, load: 0, compact: 0 };
  const stages: StageOutcome[] = [];
  const opened: Client[] = [];
  const open = async (client: ClientSource): Promise<Client> => {
    if (typeof client !== 'function') return client;
    const connected = await client();
    opened.push(connected);
    return connected;
  };

  /** Runs one stage; a failure is recorded, logged and contained. `needs`: stages it depends on. */
  const attempt = async <T>(
    stage: Stage,
    needs: readonly Stage[],
    work: () => Promise<T>,
  ): Promise<T | undefined> => {
    const blocked = needs.find((s) => stages.find((o) => o.stage === s)?.status !== 'succeeded');
    if (blocked) {
      stages.push({
        stage,
        status: 'skipped',
        seconds: 0,
        error: `not run: the ${blocked} stage did not succeed`,
      });
      return undefined;
    }
    deps.onStage?.(stage, 'start');
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    try {
      const result = await work();
      stages.push({ stage, status: 'succeeded', seconds: elapsed() });
      return result;
    } catch (error) {
      const message = redact(error instanceof Error ? error.message : String(error));
      stages.push({
        stage,
        status: 'failed',
        seconds: elapsed(),
        error: message,
        hint: hintFor(stage, error, stages),
      });
      // The run's error and record carry the message; the log keeps the detail (cause, stack).
      log.debug(`the ${stage} stage failed`, { error });
      return undefined;
    } finally {
      seconds[stage] += elapsed();
      deps.onStage?.(stage, 'end');
    }
  };

  try {
    const ingested = await attempt('ingest', [], async () =>
      ingest({ source: await open(deps.source), lake, log, clock }),
    );
    const transformed = await attempt('transform', [], async () => {
      const batches: TransformResult[] = [];
      for (;;) {
        const batch = await transform({ lake, catalog: deps.catalog, log, workDir: deps.workDir, clock });
        batches.push(batch);
        deps.onTransformBatch?.(batch);
        if (!batch.more) return batches;
      }
    });
    let warehouse: Client | undefined;
    const loaded = await attempt('load', [], async () => {
      warehouse = await open(deps.warehouse);
      return runLoadStage({ warehouse, lake, log, workDir: deps.workDir });
    });
    // After the load, so that only the files of loaded batches are compacted.
    const compaction = await attempt('compact', ['load'], async () =>
      compactFacts({
        lake,
        log,
        workDir: deps.workDir,
        clock,
        loadedSeq: await loadedSeq(warehouse as Client),
      }),
    );
    const finishedAt = clock().toISOString();
    const record = summarise({
      startedAt,
      finishedAt,
      seconds,
      stages,
      ingested,
      transformed,
      loaded,
      compaction,
    });
    // For people: a record that cannot be written must not turn a good run into a failed one.
    await recordRun(lake, record).catch((error: unknown) =>
      log.warn('could not record the run in the run history', { error }),
    );
    if (ingested && transformed && loaded && compaction) {
      return { ingest: ingested, transform: transformed, load: loaded, compaction, seconds, stages };
    }
    throw new PipelineFailedError(
      failureMessage(stages),
      stages,
      {
        ...(ingested ? { ingest: ingested } : {}),
        ...(transformed ? { transform: transformed } : {}),
        ...(loaded ? { load: loaded } : {}),
        ...(compaction ? { compaction } : {}),
        seconds,
      },
      { context: { failedStages: stages.filter((s) => s.status === 'failed').map((s) => s.stage) } },
    );
  } finally {
    await Promise.all(opened.map((client) => client.end().catch(() => undefined)));
  }
}

/** What to do after `stage` failed, beyond what its error says (`before`: the stages run before it). */
function hintFor(stage: Stage, error: unknown, before: readonly StageOutcome[]): string {
  const lakeFresh = ['ingest', 'transform'].every((s) =>
    before.some((o) => o.stage === s && o.status === 'succeeded'),
  );
  switch (stage) {
    case 'ingest':
      return error instanceof DatabaseUnavailableError
        ? 'once the source is reachable, the next run captures every change since the last committed ingest'
        : 'nothing was committed by this ingest; the next run reads the same changes again';
    case 'transform':
      return 'the next run removes what the unfinished batch wrote and redoes it';
    case 'load':
      return error instanceof DatabaseUnavailableError
        ? `${lakeFresh ? 'the lake is up to date; ' : ''}once the warehouse is reachable, the next run (or totes load) loads every waiting batch`
        : 'the batch rolled back whole; the next run (or totes load) retries it';
    case 'compact':
      return 'the warehouse and the lake are correct; the next run removes what the compaction wrote and tries again';
  }
}

/** One line for the operator: which stages failed, what did commit, then why and what to do. */
function failureMessage(stages: readonly StageOutcome[]): string {
  const failed = stages.filter((s) => s.status === 'failed');
  const ok = stages.filter((s) => s.status === 'succeeded').map((s) => s.stage);
  const skipped = stages.filter((s) => s.status === 'skipped').map((s) => s.stage);
  const names = failed.map((s) => s.stage);
  const others = [
    ok.length ? `${ok.join(', ')} succeeded` : 'no stage succeeded',
    ...(skipped.length ? [`${skipped.join(', ')} not run`] : []),
  ].join('; ');
  const details = failed.map((s) => `${failed.length > 1 ? `${s.stage}: ` : ''}${s.error} (${s.hint})`);
  return `the ${names.join(' and ')} stage${names.length > 1 ? 's' : ''} failed (${others}): ${details.join('; ')}`;
}

function summarise(run: {
  startedAt: string;
  finishedAt: string;
  seconds: Record<Stage, number>;
  stages: readonly StageOutcome[];
  ingested: IngestResult | undefined;
  transformed: readonly TransformResult[] | undefined;
  loaded: LoadStageResult | undefined;
  compaction: CompactionResult | undefined;
}): RunRecord {
  const committed = (run.transformed ?? []).filter((b) => b.status === 'committed');
  const failed = run.stages.find((s) => s.status === 'failed');
  return {
    ...(run.ingested ? { runId: run.ingested.runId } : {}),
    status: failed ? 'failed' : 'succeeded',
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    ...(failed
      ? {
          failedStage: failed.stage,
          ...(failed.error ? { error: failed.error } : {}),
          ...(failed.hint ? { hint: failed.hint } : {}),
        }
      : {}),
    stages: [...run.stages],
    seconds: { ...run.seconds },
    ...(run.ingested
      ? {
          changes: run.ingested.tables.reduce((n, t) => n + t.rows, 0),
          skippedTables: run.ingested.tables.filter((t) => t.error).map((t) => t.table),
        }
      : {}),
    ...(run.transformed
      ? {
          factRows: committed.reduce((n, b) => n + Object.values(b.facts).reduce((a, x) => a + x, 0), 0),
          quarantinedRows: committed.reduce((n, b) => n + b.quarantined.reduce((a, q) => a + q.rows, 0), 0),
        }
      : {}),
    ...(run.loaded ? { batchesLoaded: run.loaded.batches.length } : {}),
    ...(run.compaction ? { partitionsCompacted: run.compaction.compactions.length } : {}),
  };
}
