import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace, sql } from '../../support/cli-workspace';

/**
 * `totes verify` checks every table on its own, catches a stale dimension value, names the
 * first keys that differ and the next step, and turns a table it cannot check into a row.
 */
describe('totes verify, table by table', () => {
  let ws: CliWorkspace;

  beforeEach(async () => {
    ws = await createCliWorkspace('verifyt');
  });

  afterEach(async () => {
    await ws.cleanup();
  });

  const verify = () => totes(['verify'], ws.env);
  const row = (table: string, check: string, verdict: string) =>
    new RegExp(`${table}\\s+${check}\\s+[^\\n]*${verdict}\\n`);
  const run = async () => expect((await totes(['run'], ws.env)).code).toBe(0);

  it('catches a dimension value the lake has not caught up with, naming the key and the next step', async () => {
    await run();
    await sql(ws.source.url, "UPDATE design SET design_name = 'Granite' WHERE design_id = 1");

    const stale = await verify();
    expect(stale.code).toBe(3);
    expect(stale.stdout).toMatch(row('dim_design', 'source checksum', 'MISMATCH'));
    expect(stale.stdout).toMatch(row('dim_design', 'current checksum', 'ok'));
    expect(stale.stdout).toContain(
      'dim_design: members differ between source and lake; first differing design_id: 1. Next: run `totes run`',
    );

    await run();
    const caughtUp = await verify();
    expect(caughtUp.stdout).toContain('verified: source, raw, lake and warehouse agree');
    expect(caughtUp.code).toBe(0);
  });

  it('names the fact version the warehouse lost and says how to rebuild it', async () => {
    await run();
    await sql(ws.warehouse.url, 'DELETE FROM fact_sales_order WHERE sales_order_id = 2');

    const damaged = await verify();
    expect(damaged.code).toBe(3);
    expect(damaged.stdout).toContain(
      'fact_sales_order: current rows differ between lake and warehouse; first differing sales_order_id: 2 (not in warehouse). Next: run `totes load`; if it still differs, rebuild the warehouse from the lake with `totes verify --repair`',
    );
    expect(damaged.stdout).not.toMatch(/^fact_payment:/m);
  });

  it('names a fact version the warehouse holds twice', async () => {
    await run();
    const columns = (
      await sql(
        ws.warehouse.url,
        "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_name = 'fact_payment' AND column_name <> 'payment_record_id'",
      )
    )[0]?.c as string;
    await sql(ws.warehouse.url, `INSERT INTO fact_payment (${columns}) SELECT ${columns} FROM fact_payment`);

    const damaged = await totes(['verify', '--json'], ws.env);
    expect(damaged.code).toBe(3);
    const report = JSON.parse(damaged.stdout) as {
      checks: { table: string; check: string; ok: boolean }[];
      findings: { table: string; between: string[]; keys: { key: string; kind: string }[] }[];
    };
    expect(report.checks.filter((c) => !c.ok).map((c) => `${c.table} ${c.check}`)).toEqual([
      'fact_payment history rows',
    ]);
    expect(report.findings).toEqual([
      expect.objectContaining({
        table: 'fact_payment',
        between: ['lake', 'warehouse'],
        keys: [{ key: '1', kind: 'differs' }],
      }),
    ]);
  });

  it('reports a processed raw object missing from the lake as an error row and checks the other tables', async () => {
    await run();
    const folder = join(ws.dir, 'lake', 'raw', 'sales_order');
    const [day] = await readdir(folder);
    const [object] = await readdir(join(folder, day ?? ''));
    await rm(join(folder, day ?? '', object ?? ''));

    const damaged = await verify();
    expect(damaged.code).toBe(3);
    expect(damaged.stdout).toMatch(row('fact_sales_order', 'error', 'ERROR'));
    expect(damaged.stdout).toContain(
      `fact_sales_order: could not be checked: raw object of ingest run 1 raw/sales_order/${day}/${object} is missing from`,
    );
    expect(damaged.stdout).toContain('restore');
    expect(damaged.stdout).toMatch(row('fact_payment', 'current checksum', 'ok'));
    expect(damaged.stdout).toMatch(row('dim_design', 'source checksum', 'ok'));
    expect(damaged.stderr).toBe('');
  });

  it('reports a source table that is gone, and one that lost a column, as error rows of their tables', async () => {
    await run();
    await sql(ws.source.url, 'ALTER TABLE design RENAME TO design_away');
    await sql(ws.source.url, 'ALTER TABLE payment DROP COLUMN paid');

    const drifted = await verify();
    expect(drifted.code).toBe(3);
    expect(drifted.stdout).toMatch(row('dim_design', 'error', 'ERROR'));
    expect(drifted.stdout).toContain('dim_design: could not be checked: the source has no table design');
    expect(drifted.stdout).toContain(
      'fact_payment: could not be checked: a column of source table payment is missing',
    );
    expect(drifted.stdout).toMatch(row('fact_sales_order', 'current checksum', 'ok'));
    expect(drifted.stdout).toMatch(row('dim_staff', 'source checksum', 'ok'));
  });

  it('says that nothing has been loaded yet instead of failing on a missing relation', async () => {
    expect((await totes(['ingest'], ws.env)).code).toBe(0);

    const early = await verify();
    expect(early.code).toBe(3);
    expect(early.stderr).toBe('');
    expect(early.stdout).toMatch(row('dim_date', 'error', 'ERROR'));
    expect(early.stdout).toContain(
      'fact_sales_order: could not be checked: the warehouse has no table fact_sales_order yet',
    );
    expect(early.stdout).toContain('run `totes run`');
  });
});
