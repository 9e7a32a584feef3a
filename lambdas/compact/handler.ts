/**
 * Lambda entry of the compaction stage (Step Functions task `Compact`, after `Load` has
 * loaded every committed batch). Thin: validates the event, runs {@link compactFacts} under the
 * pipeline lease over the batches the load reported as loaded, and publishes what it did. A
 * failure is counted (`CompactionFailed`, alarmed) and thrown, so the execution fails and
 * alarms too; nothing is lost (the next run removes what it wrote and retries).
 * {@link createCompactHandler} takes every dependency, so tests pass their own.
 */
import { tmpdir } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { readStageEnvironment } from '../kernel/aws/lambda-env';
import {
  inScratchFolder,
  type LeaseGuard,
  lambdaEntry,
  pipelineLease,
  type StageHandler,
} from '../kernel/aws/lambda-handler';
import { powertoolsLog } from '../kernel/aws/powertools-log';
import { type MetricsSink, STAGE_METRICS } from '../kernel/aws/stage-metrics';
import { loadConfig } from '../kernel/config';
import type { LakeStore } from '../kernel/lake/lake-store';
import { openLake } from '../kernel/lake/open-lake';
import { compactFacts } from './compact';

/** What the state machine sends: the load's `lastLoadedSeq` (only loaded batches are compacted). */
export const compactEvent = z.object({
  executionId: z.string().optional(),
  loadedSeq: z.number().int().nonnegative(),
});

/** What the state machine receives. */
export interface CompactSummary {
  /** Number of the committed compaction (unchanged when nothing needed compacting). */
  readonly seq: number;
  readonly partitions: number;
  readonly filesReplaced: number;
}

/** Everything the compaction handler works with. */
export interface CompactHandlerDeps {
  readonly lake: LakeStore | Promise<LakeStore>;
  readonly compactFacts: typeof compactFacts;
  readonly lease: LeaseGuard;
  readonly scratchRoot: string;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
}

/** The compaction handler over `deps`. */
export function createCompactHandler(deps: CompactHandlerDeps): StageHandler<CompactSummary> {
  const log = powertoolsLog(deps.logger);
  return async (event, context) => {
    const { executionId, loadedSeq } = compactEvent.parse(event ?? {});
    deps.logger.addContext(context);
    deps.logger.appendKeys({ executionId, stage: 'compact' });
    try {
      const lake = await deps.lake;
      const result = await inScratchFolder(deps.scratchRoot, 'compact', (workDir) =>
        deps.lease('compact', () => deps.compactFacts({ lake, log, workDir, loadedSeq })),
      );
      const filesReplaced = result.compactions.reduce((n, c) => n + c.replaced.length, 0);
      deps.metrics.addMetric(STAGE_METRICS.partitionsCompacted, MetricUnit.Count, result.compactions.length);
      deps.metrics.addMetric(STAGE_METRICS.compactionFailed, MetricUnit.Count, 0);
      return { seq: result.seq, partitions: result.compactions.length, filesReplaced };
    } catch (error) {
      log.error('fact compaction failed', { error });
      deps.metrics.addMetric(STAGE_METRICS.compactionFailed, MetricUnit.Count, 1);
      throw error;
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

/**
 * The deployed dependencies: the stage's environment contract read from `env`, real clients
 * (their calls bounded by timeouts), the real stage. Building them makes no network call.
 */
export function compactLambdaDependencies(env: NodeJS.ProcessEnv): CompactHandlerDeps {
  readStageEnvironment('compact', env);
  const config = loadConfig(env, '/tmp');
  const lake = openLake(config.lakeUrl, { region: config.awsRegion, rawLakeUrl: config.rawLakeUrl });
  const logger = new Logger();
  return {
    lake,
    compactFacts,
    lease: pipelineLease(lake, {
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      ttlMs: config.leaseTtlMs,
      log: powertoolsLog(logger),
    }),
    scratchRoot: tmpdir(),
    logger,
    metrics: new Metrics(),
  };
}

/** The deployed handler, built on the first invocation of a container. */
export const handler = lambdaEntry(() => createCompactHandler(compactLambdaDependencies(process.env)));
