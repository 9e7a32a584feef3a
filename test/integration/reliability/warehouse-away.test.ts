import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runPipeline } from '../../../app/pipeline/run-pipeline';
import { verifyPipeline } from '../../../app/verify/verify';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { connectPg } from '../../../lambdas/kernel/db/connect';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';
import { createTestDatabase, testServerUrl } from '../../support/pg';
import { createTinySource } from '../../support/source-fixture';

/**
 * The warehouse connection dies in the middle of the load transaction: its backend is
 * terminated with pg_terminate_backend from another connection, as a failover or an
 * administrator would. The batch must roll back whole and the next run complete it.
 */
describe('the warehouse going away mid-load', () => {
  let source: { url: string; drop: () => Promise<void> };
  let warehouse: { url: string; drop: () => Promise<void> };
  let dir: string;
  let lake: LocalLakeStore;

  beforeEach(async () => {
    source = await createTestDatabase('away_src');
    warehouse = await createTestDatabase('away_wh');
    const client = new Client({ connectionString: source.url });
    await client.connect();
    await createTinySource(client);
    await client.end();
    dir = await mkdtemp(join(tmpdir(), 'totes-away-'));
    lake = new LocalLakeStore(join(dir, 'lake'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await source.drop();
    await warehouse.drop();
  });

  /** One pipeline run; `before` runs before the first warehouse statement starting with `prefix`. */
  async function run(trigger?: { prefix: string; before: (pid: number) => Promise<void> }) {
    const src = await connectPg(source.url, 'source');
    const wh = await connectPg(warehouse.url, 'warehouse');
    const pid = (await wh.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
    if (trigger) {
      const query = wh.query.bind(wh) as (...args: unknown[]) => unknown;
      // Every call goes through unchanged (COPY streams are returned synchronously); only the
      // triggering statement waits for `before`.
      (wh as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) =>
        typeof args[0] === 'string' && args[0].startsWith(trigger.prefix)
          ? trigger.before(pid).then(() => query(...args))
          : query(...args);
    }
    try {
      return await runPipeline({
        source: src,
        warehouse: wh,
        lake,
        catalog: new LocalCatalog(lake),
        log: silentLog,
        workDir: join(dir, 'work'),
      });
    } finally {
      await src.end().catch(() => undefined);
      await wh.end().catch(() => undefined);
    }
  }

  async function terminate(pid: number): Promise<void> {
    const admin = new Client({ connectionString: testServerUrl() });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.end();
  }

  async function count(sql: string): Promise<number> {
    const client = new Client({ connectionString: warehouse.url });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>(sql)).rows[0]?.n);
    } finally {
      await client.end();
    }
  }

  it('rolls the batch back whole and lets the next run complete it', async () => {
    let killed = false;
    // Dimensions are in, facts are next: the middle of the batch transaction.
    const failed = run({
      // The first statement of the fact step: its bulk-mode decision reads the table's size.
      prefix: 'SELECT greatest(reltuples',
      before: async (pid) => {
        killed = true;
        await terminate(pid);
      },
    });
    // The load names the lost connection, the table and the batch, and says it rolled back.
    await expect(failed).rejects.toThrow(
      /the warehouse connection was lost while loading fact_sales_order of transform batch 1: .*rolled back; check that the warehouse is up/,
    );
    expect(killed).toBe(true);
    expect(await count('SELECT count(*) AS n FROM etl.load_log')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM dim_staff')).toBe(0);

    const next = await run();
    expect(next.load.batches.map((b) => b.seq)).toEqual([1]);
    expect(await count('SELECT count(*) AS n FROM fact_sales_order')).toBe(2);

    const src = await connectPg(source.url, 'source');
    const wh = await connectPg(warehouse.url, 'warehouse');
    try {
      const report = await verifyPipeline({ source: src, warehouse: wh, lake, workDir: join(dir, 'verify') });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    } finally {
      await src.end();
      await wh.end();
    }
  });
});
