import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { STAGE_METRICS } from '../../../lambdas/kernel/aws/stage-metrics';
import type { Catalog } from '../../../lambdas/kernel/catalog/catalog';
import { GlueCatalog } from '../../../lambdas/kernel/catalog/glue-catalog';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import {
  createTransformHandler,
  curatedLocation,
  transformLambdaDependencies,
} from '../../../lambdas/transform/handler';
import type { TransformDeps, TransformResult } from '../../../lambdas/transform/transform';
import { lambdaContext, RecordedLease, RecordedMetrics, silentLogger, stackEnvironment } from './fixtures';

const lake = { url: 's3://curated-bucket' } as LakeStore;
const catalog = {
  switchDimension: async () => undefined,
  currentDimension: async () => undefined,
} as Catalog;
const committed: TransformResult = {
  status: 'committed',
  seq: 3,
  more: true,
  ingestSeqs: { from: 1, to: 2 },
  facts: { fact_sales_order: 10 },
  dimensions: {},
  quarantined: [{ table: 'sales_order', reason: 'not_null', column: 'design_id', rows: 2 }],
  held: {},
};

function setup(run: (deps: TransformDeps) => Promise<TransformResult>) {
  const metrics = new RecordedMetrics();
  const lease = new RecordedLease();
  const calls: TransformDeps[] = [];
  const handler = createTransformHandler({
    lake,
    catalog,
    transform: async (deps) => {
      calls.push(deps);
      if (!lease.held) throw new Error('transform ran outside the lease');
      return run(deps);
    },
    lease: lease.guard,
    sizing: { memoryLimit: '2457MB', threads: 2 },
    scratchRoot: tmpdir(),
    logger: silentLogger(),
    metrics,
  });
  return { handler, metrics, lease, calls };
}

describe('transform handler', () => {
  it('answers more while ingest runs remain, so the state machine calls again', async () => {
    const t = setup(async () => committed);
    await expect(t.handler({ executionId: 'exec-1' }, lambdaContext)).resolves.toEqual({
      more: true,
      status: 'committed',
      seq: 3,
      quarantined: 2,
    });
  });

  it('transforms under the pipeline lease with its catalog and lake', async () => {
    const t = setup(async () => committed);
    await t.handler({}, lambdaContext);
    expect(t.lease.purposes).toEqual(['transform']);
    expect(t.calls[0]).toEqual(expect.objectContaining({ lake, catalog }));
  });

  it('publishes the quarantined rows as RowsQuarantined, which an alarm watches', async () => {
    const t = setup(async () => committed);
    await t.handler({}, lambdaContext);
    expect(t.metrics.value(STAGE_METRICS.rowsQuarantined)).toBe(2);
    expect(t.metrics.value(STAGE_METRICS.factVersions)).toBe(10);
  });

  it('sizes DuckDB as told and works in a fresh scratch folder it removes afterwards', async () => {
    const t = setup(async () => committed);
    await t.handler({}, lambdaContext);
    const deps = t.calls[0];
    expect(deps).toEqual(expect.objectContaining({ memoryLimit: '2457MB', threads: 2 }));
    expect(deps?.workDir.startsWith(`${tmpdir()}/transform-`)).toBe(true);
    expect(existsSync(deps?.workDir ?? '/')).toBe(false);
  });

  it('rethrows a failure for the state machine to retry, and still publishes', async () => {
    const t = setup(async () => {
      throw new Error('disk full');
    });
    await expect(t.handler({}, lambdaContext)).rejects.toThrow('disk full');
    expect(existsSync(t.calls[0]?.workDir ?? '/')).toBe(false);
  });
});

describe('transform Lambda dependencies', () => {
  it('switch dimensions through the Glue catalog of the stage and size DuckDB to the function', () => {
    const deps = transformLambdaDependencies(stackEnvironment);
    expect(deps.catalog).toBeInstanceOf(GlueCatalog);
    expect(deps.sizing).toEqual({ memoryLimit: '2457MB', threads: 2 });
  });

  it('name the missing contract variable', () => {
    const { GLUE_DATABASE: _, ...env } = stackEnvironment;
    expect(() => transformLambdaDependencies(env)).toThrow(/GLUE_DATABASE is not set/);
  });

  it('find the curated bucket and prefix in LAKE_URL', () => {
    expect(curatedLocation('s3://curated/lake')).toEqual({ bucket: 'curated', prefix: 'lake' });
    expect(() => curatedLocation('file:///tmp/lake')).toThrow(/LAKE_URL must be s3:\/\/bucket\/prefix/);
  });
});
