/**
 * Lambda entry of the transform stage (Step Functions task `Transform`, called again while
 * it answers `more: true`). Thin: validates the event, runs {@link transform} on `/tmp`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { duckDbSizing, requiredEnv } from '../kernel/aws/lambda-env';
import { powertoolsLog } from '../kernel/aws/powertools-log';
import { GlueCatalog } from '../kernel/catalog/glue-catalog';
import { loadConfig } from '../kernel/config';
import { openLake } from '../kernel/lake/open-lake';
import { transform } from './transform';

/** What the state machine sends. */
export const transformEvent = z.object({ executionId: z.string().optional() });

/** What the state machine receives. */
export interface TransformSummary {
  /** True while committed ingest runs remain: the state machine calls again. */
  readonly more: boolean;
  readonly status: 'committed' | 'up-to-date';
  readonly seq: number;
  readonly quarantined: number;
}

const logger = new Logger();
const metrics = new Metrics();
const log = powertoolsLog(logger);
const config = loadConfig(process.env, '/tmp');
const lake = openLake(config.lakeUrl, { region: config.awsRegion, rawLakeUrl: config.rawLakeUrl });
const catalog = GlueCatalog.fromOptions({
  database: requiredEnv(process.env, 'GLUE_DATABASE'),
  ...curatedLocation(config.lakeUrl),
  ...(config.awsRegion ? { region: config.awsRegion } : {}),
});
const sizing = duckDbSizing(process.env);

export async function handler(event: unknown, context: Context): Promise<TransformSummary> {
  const { executionId } = transformEvent.parse(event ?? {});
  logger.addContext(context);
  logger.appendKeys({ executionId, stage: 'transform' });
  // A fresh folder per call: a warm container may hold the previous call's files.
  const workDir = await mkdtemp(join('/tmp', 'transform-'));
  try {
    const result = await transform({ lake: await lake, catalog, log, workDir, ...sizing });
    const quarantined = result.quarantined.reduce((n, q) => n + q.rows, 0);
    metrics.addMetric('FactVersions', MetricUnit.Count, sum(Object.values(result.facts)));
    metrics.addMetric('RowsQuarantined', MetricUnit.Count, quarantined);
    return { more: result.more, status: result.status, seq: result.seq, quarantined };
  } catch (error) {
    log.error('transform failed', { error });
    throw error;
  } finally {
    await rm(workDir, { recursive: true, force: true });
    metrics.publishStoredMetrics();
  }
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** Bucket and prefix of the curated zone (`LAKE_URL`), where the catalog's tables point. */
function curatedLocation(lakeUrl: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(lakeUrl);
  if (!match?.[1]) throw new RangeError(`LAKE_URL must be s3://bucket/prefix in the Lambda (got ${lakeUrl})`);
  return { bucket: match[1], prefix: match[2] ?? '' };
}
