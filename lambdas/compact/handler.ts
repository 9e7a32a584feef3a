/**
 * Lambda entry of the compaction stage (Step Functions task `Compact`, after `Load` has
 * loaded every committed batch). Thin: validates the event, runs {@link compactFacts} over the
 * batches the load reported as loaded, and publishes what it did. A failure is thrown, so the
 * execution fails and alarms; nothing is lost (the next run removes what it wrote and retries).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { powertoolsLog } from '../kernel/aws/powertools-log';
import { loadConfig } from '../kernel/config';
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

const logger = new Logger();
const metrics = new Metrics();
const log = powertoolsLog(logger);
const config = loadConfig(process.env, '/tmp');
const lake = openLake(config.lakeUrl, { region: config.awsRegion, rawLakeUrl: config.rawLakeUrl });

export async function handler(event: unknown, context: Context): Promise<CompactSummary> {
  const { executionId, loadedSeq } = compactEvent.parse(event ?? {});
  logger.addContext(context);
  logger.appendKeys({ executionId, stage: 'compact' });
  const workDir = await mkdtemp(join('/tmp', 'compact-'));
  try {
    const result = await compactFacts({ lake: await lake, log, workDir, loadedSeq });
    const filesReplaced = result.compactions.reduce((n, c) => n + c.replaced.length, 0);
    metrics.addMetric('PartitionsCompacted', MetricUnit.Count, result.compactions.length);
    return { seq: result.seq, partitions: result.compactions.length, filesReplaced };
  } catch (error) {
    log.error('fact compaction failed', { error });
    metrics.addMetric('CompactionFailed', MetricUnit.Count, 1);
    throw error;
  } finally {
    await rm(workDir, { recursive: true, force: true });
    metrics.publishStoredMetrics();
  }
}
