import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactFacts } from '../../../lambdas/compact/compact';
import { compactLambdaDependencies, createCompactHandler } from '../../../lambdas/compact/handler';
import { STAGE_METRICS } from '../../../lambdas/kernel/aws/stage-metrics';
import { COMPACTION_STATE_KEY } from '../../../lambdas/kernel/lake/layout';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { lambdaContext, RecordedLease, RecordedMetrics, silentLogger, stackEnvironment } from './fixtures';

let dir: string;
let lake: LocalLakeStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'totes-compact-handler-'));
  lake = new LocalLakeStore(join(dir, 'lake'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The handler over a real folder lake and the real compaction. */
function setup() {
  const metrics = new RecordedMetrics();
  const lease = new RecordedLease();
  const seen: number[] = [];
  const handler = createCompactHandler({
    lake,
    compactFacts: (deps) => {
      seen.push(deps.loadedSeq);
      if (!lease.held) throw new Error('compaction ran outside the lease');
      return compactFacts(deps);
    },
    lease: lease.guard,
    scratchRoot: dir,
    logger: silentLogger(),
    metrics,
  });
  return { handler, metrics, lease, seen };
}

describe('compact handler', () => {
  it('compacts under the lease up to the batch the load reported, and counts no failure', async () => {
    const t = setup();

    const summary = await t.handler({ executionId: 'exec-1', loadedSeq: 7 }, lambdaContext);

    expect(summary).toEqual({ seq: 0, partitions: 0, filesReplaced: 0 });
    expect(t.seen).toEqual([7]);
    expect(t.lease.purposes).toEqual(['compact']);
    expect(t.metrics.value(STAGE_METRICS.compactionFailed)).toBe(0);
    expect(t.metrics.value(STAGE_METRICS.partitionsCompacted)).toBe(0);
  });

  it('counts a failed compaction in the alarmed CompactionFailed metric and fails the call', async () => {
    await lake.put(COMPACTION_STATE_KEY, '{"seq": 3, "id": "cut');
    const t = setup();

    await expect(t.handler({ loadedSeq: 7 }, lambdaContext)).rejects.toThrow();

    expect(t.metrics.value(STAGE_METRICS.compactionFailed)).toBe(1);
  });

  it('refuses an event without the loaded sequence, compacting nothing', async () => {
    const t = setup();
    await expect(t.handler({ executionId: 'exec-1' }, lambdaContext)).rejects.toThrow(/loadedSeq/);
    expect(t.seen).toEqual([]);
  });
});

describe('compact Lambda dependencies', () => {
  it('name the missing contract variable', () => {
    const { RAW_LAKE_URL: _, ...env } = stackEnvironment;
    expect(() => compactLambdaDependencies(env)).toThrow(/RAW_LAKE_URL is not set/);
  });
});
