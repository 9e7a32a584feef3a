import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Client } from 'pg';
import { openLocalAthena } from '../../app/analytics/local-athena';
import { startEmbeddedPostgres } from '../../app/local/embedded-postgres';
import { pipelineStatus } from '../../app/pipeline/status';
import { createSourceSchema, seedFromSnapshot } from '../../app/totesys/seed';
import { simulateChanges } from '../../app/totesys/simulate';
import { seedSynthetic } from '../../app/totesys/synthetic';
import { LocalCatalog } from '../../lambdas/kernel/catalog/local-catalog';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { LocalLakeStore } from '../../lambdas/kernel/lake/local-lake-store';
import { JsonLogger } from '../../lambdas/kernel/logger';
import { cliConfig, type Environment } from '../environment';
import { positiveInteger } from '../options';
import { renderTable } from '../output';
import { formatResult } from './query';
import { renderRun, runOnce } from './run';
import { renderStatus } from './status';

/** The real November 2024 export, beside the repository when it is checked out with `shared/`. */
export const DEMO_SNAPSHOT = resolve(
  __dirname,
  '..',
  '..',
  '..',
  'shared',
  'totesys-data',
  'aidan-mooney-2024-11-15',
  'jsonl',
);

/** `totes demo`: the whole pipeline end to end on embedded defaults, from nothing. */
export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'start an embedded PostgreSQL, seed totesys, run the pipeline, simulate changes, run again and show what landed (uses its own demo databases and lake; never touches yours)',
    )
    .option('--from <dir>', 'snapshot folder to seed from', DEMO_SNAPSHOT)
    .option('--changes <n>', 'changes to simulate between the two runs', positiveInteger, 300)
    .action(async (options: { from: string; changes: number }) => {
      const started = performance.now();
      const env = await openDemoEnvironment(program.opts<{ verbose?: boolean }>().verbose ?? false);
      const say = (text: string) => process.stdout.write(`${text}\n`);
      try {
        const source = await connectPg(env.sourceUrl, 'source');
        try {
          say(`\n▶ 1. seeding totesys (${env.sourceUrl.replace(/:[^:@/]*@/, ':***@')})`);
          await seed(source, options.from, say);

          say('\n▶ 2. first run: ingest → transform → load');
          say(renderRun(await runOnce(env)));

          say(`\n▶ 3. simulating ${options.changes} changes in totesys`);
          const simulated = await simulateChanges(source, { changes: options.changes, seed: 42 });
          say(
            renderTable(simulated.effects, [
              { header: 'change', value: (e) => e.kind },
              { header: 'table', value: (e) => e.table },
              { header: 'operation', value: (e) => e.op },
              { header: 'last_updated bumped', value: (e) => (e.bumpsLastUpdated ? 'yes' : 'no') },
              { header: 'rows', value: (e) => e.keys.length, right: true },
            ]),
          );
        } finally {
          await source.end();
        }

        say('\n▶ 4. second run: only the changes flow');
        say(renderRun(await runOnce(env)));

        await showResults(env, say);
        say(
          `\n✔ demo finished in ${((performance.now() - started) / 1000).toFixed(1)} s — lake in ${env.lake.url}`,
        );
      } finally {
        await env.close();
      }
    });
}

async function seed(source: Client, dir: string, say: (text: string) => void): Promise<void> {
  await createSourceSchema(source, { reset: true });
  if (existsSync(dir)) {
    const result = await seedFromSnapshot(source, dir);
    say(
      `  real snapshot ${dir}: ${result.tables.reduce((n, t) => n + t.rows, 0).toLocaleString('en-GB')} rows in ${result.tables.length} tables`,
    );
  } else {
    await seedSynthetic(source, { scale: 10_000, seed: 1 });
    say(`  ${dir} not found: seeded a synthetic totesys with 10,000 sales orders instead`);
  }
}

/**
 * Embedded PostgreSQL with fresh `demo_totesys` / `demo_warehouse` databases and a fresh
 * `<TOTES_HOME>/demo-lake`, so the demo starts from nothing and never touches real settings.
 */
async function openDemoEnvironment(verbose: boolean): Promise<Environment> {
  // Only TOTES_HOME is read: the demo never touches the configured databases or lake.
  const config = cliConfig({ TOTES_HOME: process.env.TOTES_HOME });
  const log = new JsonLogger({ level: verbose ? 'debug' : 'warn' });
  const server = await startEmbeddedPostgres(join(config.home, 'pg'), { log });
  for (const database of ['demo_totesys', 'demo_warehouse']) await server.recreateDatabase(database);
  const lakeDir = join(config.home, 'demo-lake');
  await rm(lakeDir, { recursive: true, force: true });
  const lake = new LocalLakeStore(lakeDir);
  return {
    config,
    sourceUrl: server.url('demo_totesys'),
    warehouseUrl: server.url('demo_warehouse'),
    lake,
    catalog: new LocalCatalog(lake),
    log,
    close: () => server.stop(),
  };
}

async function showResults(env: Environment, say: (text: string) => void): Promise<void> {
  const warehouse = await connectPg(env.warehouseUrl, 'warehouse');
  try {
    say('\n▶ 5. where things stand (totes status)');
    say(renderStatus(await pipelineStatus({ lake: env.lake, warehouse })));

    const { rows } = await warehouse.query<Record<string, unknown>>(`
      WITH changed AS (
        SELECT sales_order_id FROM fact_sales_order GROUP BY sales_order_id
        HAVING count(*) > 1 ORDER BY bool_or(is_deleted), max(observed_at) DESC, sales_order_id LIMIT 1)
      SELECT f.sales_order_id, to_char(f.observed_at, 'YYYY-MM-DD HH24:MI:SS') AS observed_at,
             f.last_updated_date::text AS last_updated_date, f.last_updated_time::text AS last_updated_time,
             f.units_sold, f.unit_price, f.design_id, f.sales_staff_id,
             f.agreed_delivery_date::text AS agreed_delivery_date, f.agreed_delivery_location_id, f.is_deleted
        FROM fact_sales_order f JOIN changed USING (sales_order_id)
       ORDER BY f.observed_at, f.sales_record_id`);
    if (rows.length > 0) {
      say(
        `\n▶ 6. the full history of sales order ${String(rows[0]?.sales_order_id)} (warehouse, fact_sales_order)`,
      );
      say(
        renderTable(
          rows,
          Object.keys(rows[0] ?? {}).map((k) => ({
            header: k,
            value: (r: Record<string, unknown>) => display(r[k]),
          })),
        ),
      );
    }
  } finally {
    await warehouse.end();
  }

  say(
    '\n▶ 7. an Athena-style question answered from the lake (DuckDB over the Parquet files): sales by country, per currency',
  );
  const athena = await openLocalAthena(env.lake);
  try {
    const result = await athena.runQuery(`
      SELECT l.country, c.currency_code, count(*) AS orders, sum(s.sale_value) AS sales_value
        FROM fact_sales_order_current s JOIN dim_location l ON l.location_id = s.agreed_delivery_location_id
        JOIN dim_currency c ON c.currency_id = s.currency_id
       GROUP BY l.country, c.currency_code ORDER BY sales_value DESC LIMIT 5`);
    say(formatResult(result, 'table'));
  } finally {
    athena.close();
  }
}

const display = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
