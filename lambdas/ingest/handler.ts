/**
 * Lambda entry of the ingest stage (Step Functions task `Ingest`). Thin: validates the event,
 * reads the source credentials, runs {@link ingest} under the pipeline lease and returns a
 * small summary. {@link createIngestHandler} takes every dependency, so tests pass their own.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { createSecretsClient, type DatabaseTarget, readDatabaseTarget } from '../kernel/aws/database-secret';
import { readStageEnvironment } from '../kernel/aws/lambda-env';
import { type LeaseGuard, lambdaEntry, pipelineLease, type StageHandler } from '../kernel/aws/lambda-handler';
import { powertoolsLog } from '../kernel/aws/powertools-log';
import { type MetricsSink, STAGE_METRICS } from '../kernel/aws/stage-metrics';
import { loadConfig } from '../kernel/config';
import { connectPg } from '../kernel/db/connect';
import type { LakeStore } from '../kernel/lake/lake-store';
import { openLake } from '../kernel/lake/open-lake';
import { type IngestDeps, type IngestResult, ingest } from './ingest';

/** What the state machine sends: its execution id, for log correlation. */
export const ingestEvent = z.object({ executionId: z.string().optional() });

/** What the state machine receives: positions and counts, never data. */
export interface IngestSummary {
  readonly runId: string;
  readonly seq: number;
  readonly changed: boolean;
  readonly tables: { table: string; rows: number }[];
  /** Tables skipped this run (the others went on); counted in the alarmed `TablesFailed` metric. */
  readonly failedTables: string[];
}

/** A source connection as the handler uses it: what ingest needs, and closing it. */
export type SourceConnection = IngestDeps['source'];

/** Everything the ingest handler works with. */
export interface IngestHandlerDeps {
  readonly lake: LakeStore | Promise<LakeStore>;
  /** Where the source is; asked on every call, so a rotated password is picked up. */
  readonly sourceTarget: () => Promise<DatabaseTarget>;
  readonly connect: (target: DatabaseTarget) => Promise<SourceConnection>;
  readonly ingest: (deps: IngestDeps) => Promise<IngestResult>;
  readonly lease: LeaseGuard;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
}

/** The ingest handler over `deps`. */
export function createIngestHandler(deps: IngestHandlerDeps): StageHandler<IngestSummary> {
  const log = powertoolsLog(deps.logger);
  return async (event, context) => {
    const { executionId } = ingestEvent.parse(event ?? {});
    deps.logger.addContext(context);
    deps.logger.appendKeys({ executionId, stage: 'ingest' });
    try {
      const lake = await deps.lake;
      const source = await deps.connect(await deps.sourceTarget());
      try {
        const result = await deps.lease('ingest', () => deps.ingest({ source, lake, log }));
        const failedTables = result.tables.filter((t) => t.error !== undefined).map((t) => t.table);
        for (const table of result.tables) {
          if (table.error) log.error('table skipped', { table: table.table, error: table.error });
        }
        deps.metrics.addMetric(
          STAGE_METRICS.rowsIngested,
          MetricUnit.Count,
          result.tables.reduce((n, t) => n + t.rows, 0),
        );
        deps.metrics.addMetric(STAGE_METRICS.tablesFailed, MetricUnit.Count, failedTables.length);
        return {
          runId: result.runId,
          seq: result.seq,
          changed: result.changed,
          tables: result.tables.map((t) => ({ table: t.table, rows: t.rows })),
          failedTables,
        };
      } finally {
        await source.end().catch(() => undefined);
      }
    } catch (error) {
      log.error('ingest failed', { error });
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
export function ingestLambdaDependencies(env: NodeJS.ProcessEnv): IngestHandlerDeps {
  const contract = readStageEnvironment('ingest', env);
  const config = loadConfig(env, '/tmp');
  const logger = new Logger();
  const secrets = createSecretsClient();
  const lake = openLake(config.lakeUrl, { region: config.awsRegion, rawLakeUrl: config.rawLakeUrl });
  return {
    lake,
    sourceTarget: () => readDatabaseTarget(secrets, contract.SOURCE_SECRET_ARN),
    connect: (target) =>
      connectPg(target.url, 'source', {
        variable: `the secret SOURCE_SECRET_ARN (${contract.SOURCE_SECRET_ARN})`,
        settings: config.database,
        ...(target.caPem ? { caPem: target.caPem } : {}),
      }),
    ingest,
    lease: pipelineLease(lake, {
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      ttlMs: config.leaseTtlMs,
      log: powertoolsLog(logger),
    }),
    logger,
    metrics: new Metrics(),
  };
}

/** The deployed handler, built on the first invocation of a container. */
export const handler = lambdaEntry(() => createIngestHandler(ingestLambdaDependencies(process.env)));
