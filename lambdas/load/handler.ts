/**
 * Lambda entry of the load stage (Step Functions task `Load`, called again while it answers
 * `more: true`). Thin: validates the event, reads the warehouse credentials, runs
 * {@link runLoadStage} (migrations, schema check, load) and publishes the freshness metric.
 * Compaction of the loaded fact files is the next state's work (`lambdas/compact/handler.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { readDatabaseUrl } from '../kernel/aws/database-secret';
import { requiredEnv } from '../kernel/aws/lambda-env';
import { powertoolsLog } from '../kernel/aws/powertools-log';
import { loadConfig } from '../kernel/config';
import { connectPg } from '../kernel/db/connect';
import { openLake } from '../kernel/lake/open-lake';
import { runLoadStage } from './stage';

/** What the state machine sends. */
export const loadEvent = z.object({ executionId: z.string().optional() });

/** What the state machine receives. */
export interface LoadSummary {
  /** True while committed batches remain unloaded: the state machine calls again. */
  readonly more: boolean;
  readonly batches: number;
  readonly lastLoadedSeq: number;
}

/** Batches per call, so one call stays well inside the 15-minute Lambda limit. */
const MAX_BATCHES = 20;

const logger = new Logger();
const metrics = new Metrics();
const log = powertoolsLog(logger);
const config = loadConfig(process.env, '/tmp');
const warehouseSecretArn = requiredEnv(process.env, 'WAREHOUSE_SECRET_ARN');
const migrationsDir = requiredEnv(process.env, 'MIGRATIONS_DIR');
const secrets = new SecretsManagerClient({});
const lake = openLake(config.lakeUrl, { region: config.awsRegion, rawLakeUrl: config.rawLakeUrl });

export async function handler(event: unknown, context: Context): Promise<LoadSummary> {
  const { executionId } = loadEvent.parse(event ?? {});
  logger.addContext(context);
  logger.appendKeys({ executionId, stage: 'load' });
  const warehouse = await connectPg(await readDatabaseUrl(secrets, warehouseSecretArn), 'warehouse');
  const workDir = await mkdtemp(join('/tmp', 'load-'));
  try {
    const result = await runLoadStage({
      warehouse,
      lake: await lake,
      log,
      workDir,
      migrationsDir,
      maxBatches: MAX_BATCHES,
    });
    const more = result.lastLoadedSeq < result.committedSeq;
    // The freshness alarm fires when this metric goes missing: every successful call counts.
    metrics.addMetric('LoadSucceeded', MetricUnit.Count, 1);
    metrics.addMetric('BatchesLoaded', MetricUnit.Count, result.batches.length);
    return {
      more,
      batches: result.batches.length,
      lastLoadedSeq: result.lastLoadedSeq,
    };
  } catch (error) {
    log.error('load failed', { error });
    throw error;
  } finally {
    await warehouse.end().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
    metrics.publishStoredMetrics();
  }
}
