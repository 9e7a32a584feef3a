import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace, sql } from '../../support/cli-workspace';
import { testServerUrl } from '../../support/pg';

/**
 * Bad and drifting input end to end, through the CLI: each case says what happened in the
 * exit code and the summary, names table, key and column, and lets the rest of the data
 * through. (Per-stage cases — every quarantine reason, drift detection — are in the ingest,
 * transform and load suites; these prove the whole run reports them.)
 */
describe('totes run on bad input', () => {
  let ws: CliWorkspace;
  let source: CliWorkspace['source'];
  let warehouse: CliWorkspace['warehouse'];
  let dir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    ws = await createCliWorkspace('bad');
    ({ source, warehouse, dir, env } = ws);
  });

  afterEach(() => ws.cleanup());

  const salesOrder = (id: number, overrides: string) =>
    `INSERT INTO sales_order (sales_order_id, created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
     SELECT ${id}, created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id
       FROM sales_order WHERE sales_order_id = 1;
     UPDATE sales_order SET ${overrides} WHERE sales_order_id = ${id};`;

  async function quarantined(table: string): Promise<Record<string, unknown>[]> {
    const folder = join(dir, 'lake', 'quarantine', table);
    const lines: Record<string, unknown>[] = [];
    for (const file of await readdir(folder)) {
      for (const line of (await readFile(join(folder, file), 'utf8')).split('\n')) {
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    }
    return lines;
  }

  it('quarantines bad rows with table, key, column and reason, loads the rest and exits 1', async () => {
    // The source's own constraints would refuse these rows; real databases drift.
    await sql(
      source.url,
      `ALTER TABLE sales_order ALTER COLUMN units_sold DROP NOT NULL;
       ALTER TABLE sales_order ALTER COLUMN unit_price TYPE numeric(14,2);
       ALTER TABLE sales_order DROP CONSTRAINT sales_order_design_id_fkey;
       ${salesOrder(101, "agreed_payment_date = '2024-13-45'")}
       ${salesOrder(102, 'units_sold = NULL')}
       ${salesOrder(103, 'unit_price = 123456789.00')}
       ${salesOrder(104, 'design_id = 9999')}
       ${salesOrder(105, "agreed_delivery_date = 'next week'")}`,
    );
    const run = await totes(['run'], env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('quarantined (see quarantine/<table>/ in the lake)');
    for (const [column, reason] of [
      ['agreed_payment_date', 'invalid_date'],
      ['units_sold', 'not_null'],
      ['unit_price', 'invalid_money'],
      ['design_id', 'missing_dimension_row'],
      ['agreed_delivery_date', 'invalid_date'],
    ]) {
      expect(run.stdout).toMatch(new RegExp(`sales_order\\s+${column}\\s+${reason}\\s+1`));
    }
    const lines = await quarantined('sales_order');
    expect(lines.map((l) => [l.key, l.column, l.reason]).sort()).toEqual([
      [101, 'agreed_payment_date', 'invalid_date'],
      [102, 'units_sold', 'not_null'],
      [103, 'unit_price', 'invalid_money'],
      [104, 'design_id', 'missing_dimension_row'],
      [105, 'agreed_delivery_date', 'invalid_date'],
    ]);
    expect(lines.find((l) => l.key === 103)?.row).toMatchObject({ unit_price: '123456789.00' });
    const facts = await sql(warehouse.url, 'SELECT sales_order_id FROM fact_sales_order ORDER BY 1');
    expect(facts.map((r) => r.sales_order_id)).toEqual([1, 2]);
  });

  it('emits a held fact once its dimension row arrives', async () => {
    await sql(
      source.url,
      `ALTER TABLE sales_order DROP CONSTRAINT sales_order_design_id_fkey; ${salesOrder(104, 'design_id = 9999')}`,
    );
    expect((await totes(['run'], env)).code).toBe(1);
    await sql(
      source.url,
      `INSERT INTO design (design_id, design_name, file_location, file_name, created_at, last_updated)
       VALUES (9999, 'Late', '/late', 'late.json', now(), now())`,
    );
    const later = await totes(['run'], env);
    expect(later.code).toBe(0);
    const facts = await sql(
      warehouse.url,
      'SELECT design_id FROM fact_sales_order WHERE sales_order_id = 104',
    );
    expect(facts).toEqual([{ design_id: 9999 }]);
  });

  it('keeps a new source column in raw, reports it and leaves curated unchanged', async () => {
    await sql(source.url, `ALTER TABLE design ADD COLUMN colour text DEFAULT 'teal'`);
    const run = await totes(['run'], env);

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /"message":"source table has columns the schema does not know; kept in raw","table":"design","columns":\["colour"\]/,
    );
    const rawFolder = join(dir, 'lake', 'raw', 'design');
    const [day] = await readdir(rawFolder);
    const [object] = await readdir(join(rawFolder, day ?? ''));
    const { gunzipSync } = await import('node:zlib');
    const raw = gunzipSync(await readFile(join(rawFolder, day ?? '', object ?? ''))).toString();
    expect(raw).toMatch(/"colour" ?: ?"teal"/);
    const dims = await sql(warehouse.url, 'SELECT * FROM dim_design');
    expect(Object.keys(dims[0] ?? {}).sort()).toEqual([
      'design_id',
      'design_name',
      'file_location',
      'file_name',
    ]);
  });

  it('stops only the table that lost a column, names table and column, and exits 1', async () => {
    await sql(source.url, 'ALTER TABLE staff DROP COLUMN email_address');
    const run = await totes(['run'], env);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/staff\s+0\s+0\s+0\s+.*email_address/);
    expect(run.stdout).toMatch(/sales_order\s+2\s+0\s+0/);
    const facts = await sql(warehouse.url, 'SELECT count(*)::int AS n FROM fact_sales_order');
    // Sales orders need their staff dimension row: held until staff is readable again.
    expect(facts).toEqual([{ n: 0 }]);
    const designs = await sql(warehouse.url, 'SELECT count(*)::int AS n FROM dim_design');
    expect(designs).toEqual([{ n: 1 }]);
  });

  /** Ingests, damages the sales_order raw object, runs: the outcome of the run. */
  async function runOnDamagedRaw(damage: (path: string, size: number) => Promise<void>) {
    expect((await totes(['ingest'], env)).code).toBe(0);
    const rawFolder = join(dir, 'lake', 'raw', 'sales_order');
    const [day] = await readdir(rawFolder);
    const [object] = await readdir(join(rawFolder, day ?? ''));
    const path = join(rawFolder, day ?? '', object ?? '');
    await damage(path, (await readFile(path)).length);
    return { object: object ?? '', run: await totes(['run'], env) };
  }

  /** The load still ran (it moves only committed batches) and found none to apply. */
  async function nothingLoaded(): Promise<void> {
    const ledger = await sql(warehouse.url, 'SELECT count(*)::int AS n FROM etl.load_log');
    expect(ledger).toEqual([{ n: 0 }]);
  }

  it.each([
    ['cut in half', (path: string, size: number) => truncate(path, Math.floor(size / 2))],
    ['not gzip', (path: string) => writeFile(path, '{"_op":"c"}\n')],
  ])('fails the run on a raw object that is %s, naming it, and loads nothing', async (_what, damage) => {
    const { object, run } = await runOnDamagedRaw(damage);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('failed on sales_order');
    expect(run.stderr).toContain(object);
    await nothingLoaded();
  });

  // DuckDB reads a gzip cut right after its header as zero rows without an error: only the
  // transform's comparison with the manifest's row count catches it.
  it('fails the run on a raw object cut to its gzip header, naming it', async () => {
    const { object, run } = await runOnDamagedRaw((path) => truncate(path, 20));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`raw object \\S+${object} holds 0 rows but its ingest manifest says 2`),
    );
    await nothingLoaded();
  });

  it('exits 1 naming the source when it is unreachable, without the password', async () => {
    const unreachable = { ...env, TOTESYS_URL: 'postgres://reader:Unreachable-Secret-1@127.0.0.1:9/totesys' };
    const run = await totes(['run'], unreachable);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'cannot connect to the source database postgres://reader:***@127.0.0.1:9/totesys',
    );
    expect(run.stderr).toContain('Check TOTESYS_URL');
    expect(run.stdout + run.stderr).not.toContain('Unreachable-Secret-1');
  });

  it('exits 1 when the source rejects the credentials, without the password', async () => {
    await sql(
      testServerUrl(),
      `DROP ROLE IF EXISTS totes_bad_reader; CREATE ROLE totes_bad_reader LOGIN PASSWORD 'Right-Secret-2'`,
    );
    const url = new URL(source.url);
    url.username = 'totes_bad_reader';
    url.password = 'Wrong-Secret-3';
    const run = await totes(['run'], { ...env, TOTESYS_URL: url.toString() });
    await sql(testServerUrl(), 'DROP ROLE totes_bad_reader');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cannot connect to the source database .*password authentication failed for user "totes_bad_reader"/,
    );
    expect(run.stdout + run.stderr).not.toMatch(/Wrong-Secret-3|Right-Secret-2/);
  });
});
