import {
  createIngestHandler,
  type IngestHandlerDeps,
  ingestLambdaDependencies,
  type SourceConnection,
} from '../../../lambdas/ingest/handler';
import type { IngestDeps, IngestResult } from '../../../lambdas/ingest/ingest';
import type { DatabaseTarget } from '../../../lambdas/kernel/aws/database-secret';
import { STAGE_METRICS } from '../../../lambdas/kernel/aws/stage-metrics';
import { TotesError } from '../../../lambdas/kernel/errors';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import { RoutedLakeStore } from '../../../lambdas/kernel/lake/routed-lake-store';
import { lambdaContext, RecordedLease, RecordedMetrics, silentLogger, stackEnvironment } from './fixtures';

const lake = { url: 's3://curated-bucket' } as LakeStore;
const result: IngestResult = {
  runId: 'run-1',
  seq: 4,
  changed: true,
  extractedAt: '2024-11-15T14:40:10.188Z',
  tables: [
    { table: 'address', rows: 2, ops: { c: 2, u: 0, d: 0 }, extraColumns: [] },
    {
      table: 'design',
      rows: 0,
      ops: { c: 0, u: 0, d: 0 },
      extraColumns: [],
      error: new TotesError('drifted'),
    },
  ],
};

/** A handler over recorded collaborators; `run` stands in for the stage. */
function setup(run: (deps: IngestDeps) => Promise<IngestResult>) {
  const metrics = new RecordedMetrics();
  const lease = new RecordedLease();
  const closed: string[] = [];
  const connected: DatabaseTarget[] = [];
  const calls: IngestDeps[] = [];
  const source = { end: async () => void closed.push('source') } as unknown as SourceConnection;
  const deps: IngestHandlerDeps = {
    lake: Promise.resolve(lake),
    sourceTarget: async () => ({ url: 'postgres://u:p@db.internal:5432/totesys', caPem: 'PEM' }),
    connect: async (target) => {
      connected.push(target);
      return source;
    },
    ingest: async (d) => {
      calls.push(d);
      if (!lease.held) throw new Error('ingest ran outside the lease');
      return run(d);
    },
    lease: lease.guard,
    logger: silentLogger(),
    metrics,
  };
  return { handler: createIngestHandler(deps), metrics, lease, closed, connected, calls, source };
}

describe('ingest handler', () => {
  it('connects to the source its secret names, with the secret CA bundle, and returns positions and counts only', async () => {
    const t = setup(async () => result);

    const summary = await t.handler({ executionId: 'exec-1' }, lambdaContext);

    expect(t.connected).toEqual([{ url: 'postgres://u:p@db.internal:5432/totesys', caPem: 'PEM' }]);
    expect(t.calls[0]).toEqual(expect.objectContaining({ source: t.source, lake }));
    expect(summary).toEqual({
      runId: 'run-1',
      seq: 4,
      changed: true,
      tables: [
        { table: 'address', rows: 2 },
        { table: 'design', rows: 0 },
      ],
      failedTables: ['design'],
    });
  });

  it('captures under the pipeline lease', async () => {
    const t = setup(async () => result);
    await t.handler({}, lambdaContext);
    expect(t.lease.purposes).toEqual(['ingest']);
  });

  it('publishes the skipped tables as TablesFailed, which an alarm watches', async () => {
    const t = setup(async () => result);
    await t.handler({}, lambdaContext);
    expect(t.metrics.value(STAGE_METRICS.tablesFailed)).toBe(1);
    expect(t.metrics.value(STAGE_METRICS.rowsIngested)).toBe(2);
  });

  it('publishes TablesFailed 0 when every table was read', async () => {
    const t = setup(async () => ({ ...result, tables: result.tables.slice(0, 1) }));
    await t.handler({}, lambdaContext);
    expect(t.metrics.value(STAGE_METRICS.tablesFailed)).toBe(0);
  });

  it('closes the source connection when ingest fails, and rethrows for the state machine', async () => {
    const failure = new Error('source went away');
    const t = setup(async () => {
      throw failure;
    });

    await expect(t.handler({}, lambdaContext)).rejects.toBe(failure);
    expect(t.closed).toEqual(['source']);
  });

  it('rejects an event that is not the state machine payload, before connecting', async () => {
    const t = setup(async () => result);
    await expect(t.handler({ executionId: 42 }, lambdaContext)).rejects.toThrow();
    expect(t.connected).toEqual([]);
  });
});

describe('ingest Lambda dependencies', () => {
  it('name the missing contract variable', () => {
    const { SOURCE_SECRET_ARN: _, ...env } = stackEnvironment;
    expect(() => ingestLambdaDependencies(env)).toThrow(/SOURCE_SECRET_ARN is not set/);
  });

  it('open the curated lake with the raw zone routed to the raw bucket', async () => {
    const deps = ingestLambdaDependencies(stackEnvironment);
    const lake = await deps.lake;
    expect(lake).toBeInstanceOf(RoutedLakeStore);
    expect(lake.url).toBe('s3://curated-bucket (raw zone: s3://raw-bucket)');
  });

  it('read the database timeouts (TOTES_DB_*) at start, naming a bad one', () => {
    expect(() => ingestLambdaDependencies({ ...stackEnvironment, TOTES_DB_CONNECT_TIMEOUT: 'soon' })).toThrow(
      /TOTES_DB_CONNECT_TIMEOUT must be a whole number of seconds/,
    );
  });
});
