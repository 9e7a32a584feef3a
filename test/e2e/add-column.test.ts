import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql } from '../support/cli-workspace';
import { createTestDatabase } from '../support/pg';
import { runTotes, type TotesRun } from './support/totes-process';

/**
 * A contributor adds one column end to end, the way the contributor guide says: in a copy of
 * the repository, edit the schema module (the source column and its star column) and add one
 * warehouse migration, build the CLI, then seed, run and verify with it. Everything else —
 * the seeder's DDL, the synthetic generator, ingest, the transform, the curated Parquet, the
 * local and Glue views, the load, verify, dbt sources — must follow from the schema module.
 */

const REPO = join(__dirname, '..', '..');
const COLUMN = 'discount_percent';

/** The repository's files as a contributor's checkout has them (tracked and new), node_modules linked. */
function copyRepository(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(REPO, f)) && lstatSync(join(REPO, f)).isFile());
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(REPO, file), join(to, file));
  }
  symlinkSync(join(REPO, 'node_modules'), join(to, 'node_modules'), 'dir');
}

/** Replaces the one occurrence of `anchor` in a file of the copy; fails when it is not exactly one. */
function editOnce(repo: string, file: string, anchor: string, replacement: string): void {
  const path = join(repo, file);
  const text = readFileSync(path, 'utf8');
  expect({ file, occurrences: text.split(anchor).length - 1 }).toEqual({ file, occurrences: 1 });
  writeFileSync(path, text.replace(anchor, replacement));
}

/** The next free migration number of the copy's warehouse-sql/. */
function nextMigration(repo: string): string {
  const numbers = readdirSync(join(repo, 'warehouse-sql')).flatMap((f) => {
    const m = /^(\d{3,})_/.exec(f);
    return m ? [Number(m[1])] : [];
  });
  return String(Math.max(...numbers) + 1).padStart(3, '0');
}

/** The contributor's whole change: the schema module and one migration. */
function addColumn(repo: string): void {
  editOnce(
    repo,
    'lambdas/kernel/schema/source.ts',
    "    ],\n  },\n  {\n    name: 'purchase_order',",
    `      { name: '${COLUMN}', type: 'money', nullable: true },\n    ],\n  },\n  {\n    name: 'purchase_order',`,
  );
  editOnce(
    repo,
    'lambdas/kernel/schema/warehouse.ts',
    "      dimRef('agreed_delivery_location_id', 'dim_location', 'location_id', 'Where the order is delivered'),\n      ...factLineage,\n    ],\n  },\n  {\n    name: 'fact_purchase_order',",
    `      dimRef('agreed_delivery_location_id', 'dim_location', 'location_id', 'Where the order is delivered'),\n      { name: '${COLUMN}', type: 'money', nullable: true, comment: 'Discount agreed on the order, in percent' },\n      ...factLineage,\n    ],\n  },\n  {\n    name: 'fact_purchase_order',`,
  );
  writeFileSync(
    join(repo, 'warehouse-sql', `${nextMigration(repo)}_sales_order_${COLUMN}.sql`),
    `ALTER TABLE fact_sales_order ADD COLUMN ${COLUMN} numeric(10,2);\n` +
      `COMMENT ON COLUMN fact_sales_order.${COLUMN} IS 'Discount agreed on the order, in percent';\n`,
  );
}

/** `{ sales_order_id: discount }` of rows, as exact decimal text ('' for NULL). */
const byOrder = (rows: readonly Record<string, unknown>[]): Record<string, string> =>
  Object.fromEntries(
    rows.map((r) => [String(r.sales_order_id), r[COLUMN] === null ? '' : String(r[COLUMN])]),
  );

describe('adding a column end to end', () => {
  let dir: string;
  let repo: string;
  let source: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;

  /** Runs the copy's CLI; fails the test with its output when it exits non-zero. */
  async function totes(...args: string[]): Promise<TotesRun> {
    const run = await runTotes(args, { env, cwd: repo, bin: join(repo, 'bin', 'totes.cjs') });
    expect({ args, code: run.code, stderr: run.code === 0 ? '' : run.stderr.slice(-3000) }).toEqual({
      args,
      code: 0,
      stderr: '',
    });
    return run;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'totes-add-column-'));
    repo = join(dir, 'repo');
    copyRepository(repo);
    addColumn(repo);
    execFileSync(process.execPath, [join(repo, 'scripts', 'build-cli.mjs'), '--quiet'], {
      cwd: repo,
      stdio: 'inherit',
    });
    source = await createTestDatabase('addcol_src');
    warehouse = await createTestDatabase('addcol_wh');
    env = {
      TOTESYS_URL: source.url,
      WAREHOUSE_URL: warehouse.url,
      LAKE_URL: `file://${join(dir, 'lake')}`,
      TOTES_HOME: join(dir, 'home'),
    };
  }, 120_000);

  afterAll(async () => {
    await source?.drop();
    await warehouse?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reaches the source, the curated lake, the warehouse and verify from the schema module and one migration', async () => {
    await totes('seed', '--synthetic', '--scale', '400', '--seed', '3');
    const seeded = byOrder(await sql(source.url, `SELECT sales_order_id, ${COLUMN}::text FROM sales_order`));
    const values = Object.values(seeded);
    expect(values).toHaveLength(400);
    // Generated from the column's type: exact decimals, some NULL (it is nullable), not all alike.
    expect(values.filter((v) => v === '').length).toBeGreaterThan(0);
    expect(new Set(values.filter((v) => v !== '')).size).toBeGreaterThan(50);
    for (const v of values) expect(v).toMatch(/^$|^\d+\.\d{2}$/);

    await totes('run');
    await totes('simulate', '--changes', '40', '--seed', '2');
    await totes('run');
    const current = byOrder(await sql(source.url, `SELECT sales_order_id, ${COLUMN}::text FROM sales_order`));
    // The simulator's new orders fill the column too.
    const added = Object.entries(current).filter(([id]) => Number(id) > 400);
    expect(added.length).toBeGreaterThan(0);
    expect(added.filter(([, v]) => v !== '').length).toBeGreaterThan(0);

    // The curated Parquet, through the local lake's current view (what `totes query` shows analysts).
    const lake = await totes(
      'query',
      '--json',
      `SELECT sales_order_id, ${COLUMN} FROM fact_sales_order_current`,
    );
    expect(byOrder(JSON.parse(lake.out) as Record<string, unknown>[])).toEqual(current);

    // The warehouse: the latest version of every order that still exists.
    const loaded = await sql(
      warehouse.url,
      `SELECT DISTINCT ON (sales_order_id) sales_order_id, ${COLUMN}::text, is_deleted
         FROM fact_sales_order ORDER BY sales_order_id, observed_at DESC, is_deleted DESC`,
    );
    expect(byOrder(loaded.filter((r) => r.is_deleted === false))).toEqual(current);
    // Its current view, which the migration did not touch: migrate appended the column after
    // the existing ones (the measure stays where it was) and described it from the schema module.
    const view = await sql(
      warehouse.url,
      `SELECT sales_order_id, ${COLUMN}::text FROM fact_sales_order_current`,
    );
    expect(byOrder(view)).toEqual(current);
    const columns = await sql(
      warehouse.url,
      `SELECT a.attname, col_description(a.attrelid, a.attnum) AS description
         FROM pg_attribute a
        WHERE a.attrelid = 'fact_sales_order_current'::regclass AND a.attnum > 0
        ORDER BY a.attnum`,
    );
    expect(columns.slice(-2)).toEqual([
      { attname: 'sale_value', description: expect.any(String) },
      { attname: COLUMN, description: 'Discount agreed on the order, in percent' },
    ]);

    const verify = await totes('verify', '--json');
    expect(verify.out).toContain('fact_sales_order');

    // The Glue tables and views of an S3 lake, and dbt's sources, name the column too.
    const glue = JSON.parse(
      execFileSync(
        join(repo, 'node_modules', '.bin', 'tsx'),
        [
          '-e',
          `const d = require('./lambdas/kernel/catalog/definitions');
           const names = (all, name) => all.find((t) => t.name === name).columns.map((c) => c.name);
           console.log(JSON.stringify({
             raw: names(d.rawTableDefinitions(), 'raw_sales_order'),
             curated: names(d.curatedTableDefinitions(), 'fact_sales_order'),
             view: names(d.currentViewDefinitions(), 'fact_sales_order_current'),
           }));`,
        ],
        { cwd: repo, encoding: 'utf8' },
      ),
    ) as Record<string, string[]>;
    expect(glue).toEqual({
      raw: expect.arrayContaining([COLUMN]),
      curated: expect.arrayContaining([COLUMN]),
      view: expect.arrayContaining([COLUMN]),
    });
    const dbt = await totes('dbt-sources');
    expect(dbt.out).toContain(COLUMN);
  });
});
