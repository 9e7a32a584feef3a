import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace, sql } from '../../support/cli-workspace';

/**
 * The warehouse does not trust its ledger blindly: a lost ledger is refused instead of
 * loading everything twice, a restored transform state is reconciled by batch id, and
 * `totes verify --repair` rebuilds a warehouse that drifted from the lake.
 */
describe('a warehouse that can prove what it holds', () => {
  let ws: CliWorkspace;

  beforeEach(async () => {
    ws = await createCliWorkspace('proof');
  });

  afterEach(async () => {
    await ws.cleanup();
  });

  const run = () => totes(['run'], ws.env);
  const versions = async () =>
    (
      await sql(
        ws.warehouse.url,
        `SELECT (SELECT count(*) FROM fact_sales_order)::int AS sales,
                (SELECT count(DISTINCT (sales_order_id, observed_at)) FROM fact_sales_order)::int AS distinct_sales,
                (SELECT count(*) FROM fact_payment)::int AS payments`,
      )
    )[0];
  const change = (units: number) =>
    sql(ws.source.url, 'UPDATE sales_order SET units_sold = $1 WHERE sales_order_id = 1', [units]);

  it('refuses to load again after etl.load_log was truncated, and verify --repair rebuilds the warehouse', async () => {
    expect((await run()).code).toBe(0);
    await change(7);
    expect((await run()).code).toBe(0);
    const before = await versions();
    expect(before).toEqual({ sales: 3, distinct_sales: 3, payments: 1 });

    await sql(ws.warehouse.url, 'TRUNCATE etl.load_log');
    const refused = await run();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('its ledger etl.load_log ends at batch 0');
    expect(refused.stderr).toContain('`totes verify --repair`');
    expect(await versions()).toEqual(before);

    const verify = await totes(['verify'], ws.env);
    expect(verify.code).toBe(3);
    expect(verify.stdout).toMatch(/etl\.load_log\s+batches loaded\s+2\s+0\s+MISMATCH/);

    const repair = await totes(['verify', '--repair'], ws.env);
    expect(repair.stdout).toContain('repair: rebuilt the warehouse from the lake');
    expect(repair.stdout).toContain('verified: source, raw, lake and warehouse agree');
    expect(repair.code).toBe(0);
    expect(await versions()).toEqual(before);
    expect((await run()).code).toBe(0);
    expect(await versions()).toEqual(before);
  });

  it('loads the batches a transform rebuilt after its state was restored to an earlier version', async () => {
    const state = join(ws.dir, 'lake', 'state', 'transform.json');
    const backup = join(ws.dir, 'transform-after-first-run.json');
    expect((await run()).code).toBe(0);
    await copyFile(state, backup);
    await change(7);
    expect((await run()).code).toBe(0);
    await change(8);
    expect((await run()).code).toBe(0);
    const before = await versions();
    expect(before).toEqual({ sales: 4, distinct_sales: 4, payments: 1 });

    // As one restores it from the bucket's object versions.
    await copyFile(backup, state);
    const rerun = await run();
    expect(rerun.stderr).not.toContain('different environments');
    expect(rerun.code).toBe(0);
    expect(await versions()).toEqual(before);

    // The abandoned batch's fact files are still in the lake, where Athena would read them.
    const stale = await totes(['verify'], ws.env);
    expect(stale.code).toBe(3);
    expect(stale.stdout).toMatch(
      /fact_sales_order: 1 fact file\(s\) under curated\/fact_sales_order\/ belong to no committed batch/,
    );
    expect(stale.stdout).toMatch(/etl\.load_log\s+batches loaded\s+2\s+2\s+ok/);
    const repair = await totes(['verify', '--repair'], ws.env);
    expect(repair.stdout).toContain('repair: removed 1 stray fact file(s)');
    expect(repair.stdout).not.toContain('rebuilt the warehouse');
    expect(repair.stdout).toContain('verified: source, raw, lake and warehouse agree');
    expect(repair.code).toBe(0);
    const verify = await totes(['verify'], ws.env);
    expect(verify.code).toBe(0);
    expect(await versions()).toEqual(before);
  });

  it('rebuilds a warehouse whose facts were edited by hand', async () => {
    expect((await run()).code).toBe(0);
    await sql(ws.warehouse.url, 'UPDATE fact_payment SET payment_amount = payment_amount + 1');
    expect((await totes(['verify'], ws.env)).code).toBe(3);

    const repair = await totes(['verify', '--repair', '--json'], ws.env);
    expect(repair.code).toBe(0);
    const report = JSON.parse(repair.stdout) as { ok: boolean; repairs: string[] };
    expect(report).toMatchObject({ ok: true, repairs: [expect.stringMatching(/^rebuilt the warehouse/)] });
    expect(await sql(ws.warehouse.url, 'SELECT payment_amount FROM fact_payment')).toEqual([
      { payment_amount: '552548.62' },
    ]);
  });
});
