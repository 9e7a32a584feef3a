import { createServer } from 'node:net';
import { join } from 'node:path';
import { readTransformState } from '../../../lambdas/kernel/lake/documents/transform-state';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace, sql } from '../../support/cli-workspace';

/** A loopback port nothing listens on (taken, then freed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface StatusJson {
  readonly ingest: { readonly seq: number };
  readonly transform: { readonly seq: number };
  readonly lastRun?: { readonly status: string; readonly failedStage?: string };
  readonly failedRuns: readonly {
    readonly failedStage?: string;
    readonly error?: string;
    readonly hint?: string;
    readonly finishedAt: string;
    readonly stages: readonly { readonly stage: string; readonly status: string }[];
  }[];
  readonly warehouseError?: string;
  readonly health: { readonly healthy: boolean; readonly problems: readonly { readonly problem: string }[] };
}

/** `totes run` and `totes status` when a stage cannot do its work: real processes, real databases. */
describe('a run with a stage that fails', () => {
  let ws: CliWorkspace;
  let lakeDir: string;

  beforeEach(async () => {
    ws = await createCliWorkspace('fail');
    lakeDir = join(ws.dir, 'lake');
  });

  afterEach(() => ws.cleanup());

  it('still brings the lake up to date when the warehouse is down, and says so in run and status', async () => {
    const down = { ...ws.env, WAREHOUSE_URL: `postgres://totes@127.0.0.1:${await closedPort()}/warehouse` };

    const run = await totes(['run'], down);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /totes: the load stage failed \(ingest, transform succeeded; compact not run\): .*127\.0\.0\.1/,
    );
    // The lake is fresh: the batch is committed even though nothing could be loaded.
    expect((await readTransformState(new LocalLakeStore(lakeDir))).state.seq).toBe(1);

    const status = await totes(['status'], down);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('NOT HEALTHY');
    expect(status.stdout).toMatch(/the last run failed in the load stage: .* \(at \d{4}-\d\d-\d\dT/);
    expect(status.stdout).toContain('what to do: the lake is up to date; once the warehouse is reachable');
    expect(status.stdout).toContain('transform: batch #1');
    expect(status.stdout).toContain('load:      unknown (the warehouse cannot be reached)');

    const json = JSON.parse((await totes(['status', '--json'], down)).stdout) as StatusJson;
    expect(json.failedRuns).toHaveLength(1);
    expect(json.failedRuns[0]).toMatchObject({
      failedStage: 'load',
      hint: expect.stringContaining('lake is up to date'),
    });
    expect(json.failedRuns[0]?.stages.map((s) => `${s.stage}:${s.status}`)).toEqual([
      'ingest:succeeded',
      'transform:succeeded',
      'load:failed',
      'compact:skipped',
    ]);
    expect(json.warehouseError).toContain('127.0.0.1');

    // Once the warehouse is back, the next run loads what waited and status is healthy again.
    expect((await totes(['run'], ws.env)).code).toBe(0);
    expect(await sql(ws.warehouse.url, 'SELECT batch_seq FROM etl.load_log')).toEqual([{ batch_seq: 1 }]);
    const healthy = await totes(['status'], ws.env);
    expect({
      code: healthy.code,
      health: healthy.stdout.split('\n').find((l) => l.startsWith('health:')),
    }).toEqual({
      code: 0,
      health: 'health:    healthy',
    });
    const after = JSON.parse((await totes(['status', '--json'], ws.env)).stdout) as StatusJson;
    expect(after.failedRuns).toEqual([]);
    expect(after.lastRun?.status).toBe('succeeded');
  });

  it('still transforms and loads what is committed when the source is down', async () => {
    expect((await totes(['ingest'], ws.env)).code).toBe(0);
    const down = { ...ws.env, TOTESYS_URL: `postgres://totes@127.0.0.1:${await closedPort()}/totesys` };

    const run = await totes(['run'], down);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('totes: the ingest stage failed (transform, load, compact succeeded): ');
    expect(await sql(ws.warehouse.url, 'SELECT batch_seq FROM etl.load_log')).toEqual([{ batch_seq: 1 }]);
  });

  it('fails the run with its exit code and record when compaction fails', async () => {
    expect((await totes(['run'], ws.env)).code).toBe(0);
    const lake = new LocalLakeStore(lakeDir);
    await lake.put('state/compaction.json', '{"seq": 1, "id": "cut');

    const run = await totes(['run'], ws.env);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'totes: the compact stage failed (ingest, transform, load succeeded): the compaction state state/compaction.json',
    );
    expect(run.stderr).toContain(`restore ${join(lakeDir, 'state', 'compaction.json')} from a backup copy`);
    const json = JSON.parse((await totes(['status', '--json'], ws.env)).stdout) as StatusJson;
    expect(json.lastRun).toMatchObject({ status: 'failed', failedStage: 'compact' });
    expect(json.health.healthy).toBe(false);
  });
});
