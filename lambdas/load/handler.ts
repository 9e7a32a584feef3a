/**
 * Lambda entry of the load stage (Step Functions task `Load`, called again while it answers
 * `more: true`). Thin: validates the event, reads the warehouse credentials, runs
 * {@link runLoadStage} (migrations, schema check, load) under the pipeline lease and publishes
 * the freshness metric. Compaction of the loaded fact files is the next state's work
 * (`lambdas/compact/handler.ts`). {@link createLoadHandler} takes every dependency.
 */
import { tmpdir } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { createSecretsClient, type DatabaseTarget, readDatabaseTarget } from '../kernel/aws/database-secret';
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
import { connectPg } from '../kernel/db/connect';
import type { LakeStore } from '../kernel/lake/lake-store';
import { openLake } from '../kernel/lake/open-lake';
import type { LoadDeps } from './load';
import { type LoadStageResult, runLoadStage } from './stage';

/** What the state machine sends. */
export const loadEvent = z.object({ executionId: z.string().optional() });

/** What the state machine receives. */
export interface LoadSummary {
  /** True while committed batches remain unloaded: the state machine calls again. */
  readonly more: boolean;
  readonly batches: number;
  /** The last batch the warehouse holds: the `Compact` state compacts only up to it. */
  readonly lastLoadedSeq: number;
}

/** Batches per call, so one call stays well inside the 15-minute Lambda limit. */
export const MAX_BATCHES_PER_CALL = 20;

/** A warehouse connection as the handler uses it. */
export type WarehouseConnection = LoadDeps['warehouse'];

/** Everything the load handler works with. */
export interface LoadHandlerDeps {
  readonly lake: LakeStore | Promise<LakeStore>;
  /** Where the warehouse is; asked on every call, so a rotated password is picked up. */
  readonly warehouseTarget: () => Promise<DatabaseTarget>;
  readonly connect: (target: DatabaseTarget) => Promise<WarehouseConnection>;
  readonly runLoadStage: typeof runLoadStage;
  readonly lease: LeaseGuard;
  /** The bundled `warehouse-sql/` folder. */
  readonly migrationsDir: string;
  readonly scratchRoot: string;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
}

/** The load handler over `deps`. */
export function createLoadHandler(deps: LoadHandlerDeps): StageHandler<LoadSummary> {
  const log = powertoolsLog(deps.logger);
  return async (event, context) => {
    const { executionId } = loadEvent.parse(event ?? {});
    deps.logger.addContext(context);
    deps.logger.appendKeys({ executionId, stage: 'load' });
    try {
      const lake = await deps.lake;
      const warehouse = await deps.connect(await deps.warehouseTarget());
      let result: LoadStageResult;
      try {
        result = await inScratchFolder(deps.scratchRoot, 'load', (workDir) =>
          deps.lease('load', () =>
            deps.runLoadStage({
              warehouse,
              lake,
              log,
              workDir,
              migrationsDir: deps.migrationsDir,
              maxBatches: MAX_BATCHES_PER_CALL,
            }),
          ),
        );
      } finally {
        await warehouse.end().catch(() => undefined);
      }
      // The freshness alarm fires when this metric goes missing: every successful call counts.
      deps.metrics.addMetric(STAGE_METRICS.loadSucceeded, MetricUnit.Count, 1);
      deps.metrics.addMetric(STAGE_METRICS.batchesLoaded, MetricUnit.Count, result.batches.length);
      return {
        more: result.lastLoadedSeq < result.committedSeq,
        batches: result.batches.length,
        lastLoadedSeq: result.lastLoadedSeq,
      };
    } catch (error) {
      log.error('load failed', { error });
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
export function loadLambdaDependencies(env: NodeJS.ProcessEnv): LoadHandlerDeps {
  const contract = readStageEnvironment('load', env);
  const config = loadConfig(env, '/tmp');
  const lake = openLake(config.lakeUrl, { region: config.awsRegion, rawLakeUrl: config.rawLakeUrl });
  const logger = new Logger();
  const secrets = createSecretsClient();
  return {
    lake,
    warehouseTarget: () => readDatabaseTarget(secrets, contract.WAREHOUSE_SECRET_ARN),
    connect: (target) =>
      connectPg(target.url, 'warehouse', {
        variable: `the secret WAREHOUSE_SECRET_ARN (${contract.WAREHOUSE_SECRET_ARN})`,
        settings: config.database,
        ...(target.caPem ? { caPem: target.caPem } : {}),
      }),
    runLoadStage,
    lease: pipelineLease(lake, {
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      ttlMs: config.leaseTtlMs,
      log: powertoolsLog(logger),
    }),
    migrationsDir: contract.MIGRATIONS_DIR,
    scratchRoot: tmpdir(),
    logger,
    metrics: new Metrics(),
  };
}

/** The deployed handler, built on the first invocation of a container. */
export const handler = lambdaEntry(() => createLoadHandler(loadLambdaDependencies(process.env)));
