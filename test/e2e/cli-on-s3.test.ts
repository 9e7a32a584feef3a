import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type LocalS3Server, startLocalS3 } from '../integration/lake/s3-server';
import { type CliWorkspace, createCliWorkspace, sql } from '../support/cli-workspace';
import { runTotes, type TotesRun } from './support/totes-process';

/**
 * The shipped CLI (`node bin/totes.cjs`, as `npx totes` runs it) against an S3-compatible
 * server: the lake in one bucket under a prefix, the raw zone in another (`RAW_LAKE_URL`),
 * reached through `S3_ENDPOINT` with credentials from the SDK's default chain (here its
 * environment variables). The databases are the test PostgreSQL.
 *
 * The server accepts but does not enforce If-Match / If-None-Match: with one writer at a
 * time (these tests run the commands one after another) that changes nothing; the
 * conditional writes themselves are tested against SDK mocks in test/unit/lake.
 */
describe('totes on an S3 lake', () => {
  let s3: LocalS3Server;
  let ws: CliWorkspace;
  let env: Record<string, string>;

  beforeAll(async () => {
    s3 = await startLocalS3(['lake', 'raw-zone']);
    ws = await createCliWorkspace('e2e_s3');
    env = {
      TOTESYS_URL: ws.source.url,
      WAREHOUSE_URL: ws.warehouse.url,
      LAKE_URL: 's3://lake/totes/dev',
      RAW_LAKE_URL: 's3://raw-zone/totes',
      S3_ENDPOINT: s3.endpoint,
      AWS_REGION: 'eu-west-2',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_EC2_METADATA_DISABLED: 'true',
      TOTES_HOME: `${ws.dir}/home`,
    };
  });

  afterAll(async () => {
    await ws?.cleanup();
    await s3?.stop();
  });

  const totes = (...args: string[]) => runTotes(args, { env });
  const json = <T>(run: TotesRun): T => {
    if (run.code !== 0) throw new Error(`totes exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.out) as T;
  };
  const keys = async (bucket: string, prefix: string): Promise<string[]> => {
    const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key ?? '');
  };
  const count = async (table: string) =>
    Number((await sql(ws.warehouse.url, `SELECT count(*)::int AS n FROM ${table}`))[0]?.n);

  interface RunJson {
    ingest: { changed: boolean; seq: number };
    transform: { status: string }[];
    load: { batches: unknown[]; lastLoadedSeq: number };
  }

  it('runs the whole pipeline into the buckets on a first run', async () => {
    const run = await totes('run', '--json');
    const result = json<RunJson>(run);
    expect(result.ingest).toMatchObject({ changed: true, seq: 1 });
    expect(result.transform[0]?.status).toBe('committed');
    expect(result.load.lastLoadedSeq).toBe(1);
    // The raw zone went to its own bucket, everything else under the lake's prefix.
    expect((await keys('raw-zone', 'totes/raw/sales_order/')).length).toBe(1);
    expect(await keys('lake', 'totes/dev/raw/')).toEqual([]);
    expect(await keys('lake', 'totes/dev/state/ingest.json')).toEqual(['totes/dev/state/ingest.json']);
    expect((await keys('lake', 'totes/dev/curated/fact_sales_order/')).length).toBeGreaterThan(0);
    expect(await count('fact_sales_order')).toBe(2);
    // Progress is reported per stage on stderr (plain lines: stderr is a pipe here).
    expect(run.stderr).toMatch(/^ingest: sales_order 2 rows/m);
    expect(run.stderr).toMatch(/^load: done in [\d.]+ s, [\d,]+ rows/m);
  });

  it('verifies source, raw, lake and warehouse against each other', async () => {
    const run = await totes('verify', '--json');
    const report = json<{ ok: boolean; checks: { check: string; values: Record<string, unknown> }[] }>(run);
    expect(report.ok).toBe(true);
    const rows = report.checks.find((c) => c.check === 'current rows');
    // One --json typing: counts are numbers.
    expect(Object.values(rows?.values ?? {}).every((v) => typeof v === 'number')).toBe(true);
  });

  it('reports status as JSON with integer counts', async () => {
    const run = await totes('status', '--json');
    const status = json<{
      ingest: { seq: number };
      load: { seq: number };
      sourceTables: { table: string; rows: number }[];
    }>(run);
    expect(status.ingest.seq).toBe(1);
    expect(status.load.seq).toBe(1);
    expect(status.sourceTables.find((t) => t.table === 'sales_order')?.rows).toBe(2);
  });

  it('carries simulated changes through an incremental run', async () => {
    expect((await totes('simulate', '--changes', '12', '--seed', '3')).code).toBe(0);
    const result = json<RunJson>(await totes('run', '--json'));
    expect(result.ingest).toMatchObject({ changed: true, seq: 2 });
    expect(result.load.lastLoadedSeq).toBe(2);
    expect((await keys('raw-zone', 'totes/raw/')).length).toBeGreaterThan(1);
    expect(json<{ ok: boolean }>(await totes('verify', '--json')).ok).toBe(true);
  });

  it('does nothing on an idle run', async () => {
    const before = await keys('lake', 'totes/dev/curated/');
    const result = json<RunJson>(await totes('run', '--json'));
    expect(result.ingest.changed).toBe(false);
    expect(result.transform.map((b) => b.status)).toEqual(['up-to-date']);
    expect(result.load.batches).toEqual([]);
    expect(await keys('lake', 'totes/dev/curated/')).toEqual(before);
  });

  it('runs the stages one by one, then compacts the loaded fact files', async () => {
    expect((await totes('simulate', '--changes', '12', '--seed', '4')).code).toBe(0);
    expect(json<{ changed: boolean }>(await totes('ingest', '--json')).changed).toBe(true);
    expect(json<{ status: string }[]>(await totes('transform', '--json'))[0]?.status).toBe('committed');
    expect(json<{ lastLoadedSeq: number }>(await totes('load', '--json')).lastLoadedSeq).toBe(3);

    const compacted = json<{ compactions: { replaced: string[] }[] }>(
      await totes('compact', '--threshold', '1', '--json'),
    );
    expect(compacted.compactions.length).toBeGreaterThan(0);
    for (const c of compacted.compactions) {
      for (const key of c.replaced) expect(await keys('lake', `totes/dev/${key}`)).toEqual([]);
    }
    expect(json<{ ok: boolean }>(await totes('verify', '--json')).ok).toBe(true);
  });

  it('says what to set before running SQL on Athena', async () => {
    const run = await totes('query', 'SELECT count(*) FROM fact_sales_order');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ATHENA_WORKGROUP');
    expect(run.stderr).toContain('GLUE_DATABASE');
  });
});
