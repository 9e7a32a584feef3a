/**
 * Lambda entry of the ingest stage (Step Functions task `Ingest`). Thin: validates the event,
 * reads the source credentials, runs {@link ingest} and returns a small summary.
 */
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
import { ingest } from './ingest';

/** What the state machine sends: its execution id, for log correlation. */
export const ingestEvent = z.object({ executionId: z.string().optional() });

/** What the state machine receives: positions and counts, never data. */
export interface IngestSummary {
  readonly runId: string;
  readonly seq: number;
  readonly changed: boolean;
  readonly tables: { table: string; rows: number }[];
  /** Tables skipped this run (the others went on); alarmed on through the log. */
  readonly failedTables: string[];
}

const logger = new Logger();
const metrics = new Metrics();
const log = powertoolsLog(logger);
const config = loadConfig(process.env, '/tmp');
const sourceSecretArn = requiredEnv(process.env, 'SOURCE_SECRET_ARN');
const secrets = new SecretsManagerClient({});
const lake = openLake(config.lakeUrl, { region: config.awsRegion, rawLakeUrl: config.rawLakeUrl });

export async function handler(event: unknown, context: Context): Promise<IngestSummary> {
  const { executionId } = ingestEvent.parse(event ?? {});
  logger.addContext(context);
  logger.appendKeys({ executionId, stage: 'ingest' });
  const source = await connectPg(await readDatabaseUrl(secrets, sourceSecretArn), 'source');
  try {
    const result = await ingest({ source, lake: await lake, log });
    const failedTables = result.tables.filter((t) => t.error !== undefined).map((t) => t.table);
    for (const table of result.tables) {
      if (table.error) log.error('table skipped', { table: table.table, error: table.error });
    }
    metrics.addMetric(
      'RowsIngested',
      MetricUnit.Count,
      result.tables.reduce((n, t) => n + t.rows, 0),
    );
    metrics.addMetric('TablesFailed', MetricUnit.Count, failedTables.length);
    return {
      runId: result.runId,
      seq: result.seq,
      changed: result.changed,
      tables: result.tables.map((t) => ({ table: t.table, rows: t.rows })),
      failedTables,
    };
  } catch (error) {
    log.error('ingest failed', { error });
    throw error;
  } finally {
    await source.end().catch(() => undefined);
    metrics.publishStoredMetrics();
  }
}
