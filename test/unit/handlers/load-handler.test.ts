import { tmpdir } from 'node:os';
import { STAGE_METRICS } from '../../../lambdas/kernel/aws/stage-metrics';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import {
  createLoadHandler,
  loadLambdaDependencies,
  MAX_BATCHES_PER_CALL,
  type WarehouseConnection,
} from '../../../lambdas/load/handler';
import type { LoadStageResult, runLoadStage } from '../../../lambdas/load/stage';
import { lambdaContext, RecordedLease, RecordedMetrics, silentLogger, stackEnvironment } from './fixtures';

const lake = { url: 's3://curated-bucket' } as LakeStore;
const loaded = (lastLoadedSeq: number, committedSeq: number): LoadStageResult => ({
  migrations: { applied: [], alreadyApplied: ['001_star_schema.sql'] },
  batches: [{ seq: lastLoadedSeq, batchId: 'b', rows: {} }],
  rows: {},
  lastLoadedSeq,
  committedSeq,
});

function setup(run: (deps: Parameters<typeof runLoadStage>[0]) => Promise<LoadStageResult>) {
  const metrics = new RecordedMetrics();
  const lease = new RecordedLease();
  const closed: string[] = [];
  const calls: Parameters<typeof runLoadStage>[0][] = [];
  const warehouse = { end: async () => void closed.push('warehouse') } as unknown as WarehouseConnection;
  const handler = createLoadHandler({
    lake,
    warehouseTarget: async () => ({ url: 'postgres://u:p@db.internal:5432/warehouse' }),
    connect: async () => warehouse,
    runLoadStage: async (deps) => {
      calls.push(deps);
      if (!lease.held) throw new Error('load ran outside the lease');
      return run(deps);
    },
    lease: lease.guard,
    migrationsDir: '/var/task/warehouse-sql',
    scratchRoot: tmpdir(),
    logger: silentLogger(),
    metrics,
  });
  return { handler, metrics, lease, closed, calls, warehouse };
}

describe('load handler', () => {
  it('migrates and loads under the lease with the bundled migrations, a bounded number of batches', async () => {
    const t = setup(async () => loaded(5, 5));
    await t.handler({ executionId: 'exec-1' }, lambdaContext);
    expect(t.lease.purposes).toEqual(['load']);
    expect(t.calls[0]).toEqual(
      expect.objectContaining({
        warehouse: t.warehouse,
        lake,
        migrationsDir: '/var/task/warehouse-sql',
        maxBatches: MAX_BATCHES_PER_CALL,
      }),
    );
  });

  it('answers more while committed batches remain, and the last loaded batch for compaction', async () => {
    const t = setup(async () => loaded(20, 31));
    await expect(t.handler({}, lambdaContext)).resolves.toEqual({
      more: true,
      batches: 1,
      lastLoadedSeq: 20,
    });
    const u = setup(async () => loaded(31, 31));
    await expect(u.handler({}, lambdaContext)).resolves.toEqual(
      expect.objectContaining({ more: false, lastLoadedSeq: 31 }),
    );
  });

  it('publishes the LoadSucceeded metric the freshness alarm watches', async () => {
    const t = setup(async () => loaded(5, 5));
    await t.handler({}, lambdaContext);
    expect(t.metrics.value(STAGE_METRICS.loadSucceeded)).toBe(1);
    expect(t.closed).toEqual(['warehouse']);
  });

  it('publishes no success and closes the connection when the load fails', async () => {
    const t = setup(async () => {
      throw new Error('warehouse drifted');
    });
    await expect(t.handler({}, lambdaContext)).rejects.toThrow('warehouse drifted');
    expect(t.metrics.value(STAGE_METRICS.loadSucceeded)).toBeUndefined();
    expect(t.closed).toEqual(['warehouse']);
  });
});

describe('load Lambda dependencies', () => {
  it('name the missing contract variable', () => {
    const { MIGRATIONS_DIR: _, ...env } = stackEnvironment;
    expect(() => loadLambdaDependencies(env)).toThrow(/MIGRATIONS_DIR is not set/);
  });

  it('take the migrations folder from the environment', () => {
    expect(loadLambdaDependencies(stackEnvironment).migrationsDir).toBe('/var/task/warehouse-sql');
  });
});
