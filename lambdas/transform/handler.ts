/**
 * Lambda entry of the transform stage (Step Functions task `Transform`, called again while
 * it answers `more: true`). Thin: validates the event, runs {@link transform} on a fresh
 * scratch folder under the pipeline lease, publishes what it wrote and quarantined.
 * {@link createTransformHandler} takes every dependency, so tests pass their own.
 */
import { tmpdir } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { duckDbSizing, readStageEnvironment } from '../kernel/aws/lambda-env';
import {
  inScratchFolder,
  type LeaseGuard,
  lambdaEntry,
  pipelineLease,
  type StageHandler,
} from '../kernel/aws/lambda-handler';
import { powertoolsLog } from '../kernel/aws/powertools-log';
import { type MetricsSink, STAGE_METRICS } from '../kernel/aws/stage-metrics';
import type { Catalog } from '../kernel/catalog/catalog';
import { GlueCatalog } from '../kernel/catalog/glue-catalog';
import { loadConfig } from '../kernel/config';
import { ConfigError } from '../kernel/errors';
import type { LakeStore } from '../kernel/lake/lake-store';
import { openLake } from '../kernel/lake/open-lake';
import { type TransformDeps, type TransformResult, transform } from './transform';

/** What the state machine sends. */
export const transformEvent = z.object({ executionId: z.string().optional() });

/** What the state machine receives. */
export interface TransformSummary {
  /** True while committed ingest runs remain: the state machine calls again. */
  readonly more: boolean;
  readonly status: 'committed' | 'up-to-date';
  readonly seq: number;
  /** Source rows quarantined by this batch; counted in the alarmed `RowsQuarantined` metric. */
  readonly quarantined: number;
}

/** Everything the transform handler works with. */
export interface TransformHandlerDeps {
  readonly lake: LakeStore | Promise<LakeStore>;
  readonly catalog: Catalog;
  readonly transform: (deps: TransformDeps) => Promise<TransformResult>;
  readonly lease: LeaseGuard;
  /** DuckDB limits sized to the function (see `duckDbSizing`). */
  readonly sizing: { readonly memoryLimit: string; readonly threads: number };
  /** Where each call's scratch folder is made (`/tmp` in Lambda). */
  readonly scratchRoot: string;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
}

/** The transform handler over `deps`. */
export function createTransformHandler(deps: TransformHandlerDeps): StageHandler<TransformSummary> {
  const log = powertoolsLog(deps.logger);
  return async (event, context) => {
    const { executionId } = transformEvent.parse(event ?? {});
    deps.logger.addContext(context);
    deps.logger.appendKeys({ executionId, stage: 'transform' });
    try {
      const lake = await deps.lake;
      const result = await inScratchFolder(deps.scratchRoot, 'transform', (workDir) =>
        deps.lease('transform', () =>
          deps.transform({ lake, catalog: deps.catalog, log, workDir, ...deps.sizing }),
        ),
      );
      const quarantined = result.quarantined.reduce((n, q) => n + q.rows, 0);
      const versions = Object.values(result.facts).reduce((a, b) => a + b, 0);
      deps.metrics.addMetric(STAGE_METRICS.factVersions, MetricUnit.Count, versions);
      deps.metrics.addMetric(STAGE_METRICS.rowsQuarantined, MetricUnit.Count, quarantined);
      for (const q of result.quarantined) log.warn('rows quarantined', { ...q });
      return { more: result.more, status: result.status, seq: result.seq, quarantined };
    } catch (error) {
      log.error('transform failed', { error });
      throw error;
    } finally {
      deps.metrics.publishStoredMetrics();
    }
  };
}

/** Bucket and prefix of the curated zone (`LAKE_URL`), where the catalog's tables point. */
export function curatedLocation(lakeUrl: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(lakeUrl);
  if (!match?.[1]) {
    throw new ConfigError(`LAKE_URL must be s3://bucket/prefix in the Lambda (got ${lakeUrl})`, {
      context: { variable: 'LAKE_URL' },
    });
  }
  return { bucket: match[1], prefix: match[2] ?? '' };
}

/**
 * The deployed dependencies: the stage's environment contract read from `env`, real clients
 * (their calls bounded by timeouts), the real stage. Building them makes no network call.
 */
export function transformLambdaDependencies(env: NodeJS.ProcessEnv): TransformHandlerDeps {
  const contract = readStageEnvironment('transform', env);
  const config = loadConfig(env, '/tmp');
  const lake = openLake(config.lakeUrl, { region: config.awsRegion, rawLakeUrl: config.rawLakeUrl });
  const logger = new Logger();
  return {
    lake,
    catalog: GlueCatalog.fromOptions({
      database: contract.GLUE_DATABASE,
      ...curatedLocation(config.lakeUrl),
      ...(config.awsRegion ? { region: config.awsRegion } : {}),
    }),
    transform,
    lease: pipelineLease(lake, {
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      ttlMs: config.leaseTtlMs,
      log: powertoolsLog(logger),
    }),
    sizing: duckDbSizing(env),
    scratchRoot: tmpdir(),
    logger,
    metrics: new Metrics(),
  };
}

/** The deployed handler, built on the first invocation of a container. */
export const handler = lambdaEntry(() => createTransformHandler(transformLambdaDependencies(process.env)));
