import type { Client } from 'pg';
import type { Log } from '../../lambdas/kernel/logger';
import { ident, sourceTable } from '../../lambdas/kernel/schema';
import { copyLines } from './copy';
import { SeedConflictError, SourceError } from './errors';
import { type SyntheticPlan, SyntheticSource, syntheticPlan } from './generator';
import { inTransaction, resetSequences, type SeedProgress } from './seed';

/** Options of {@link seedSynthetic}. */
export interface SyntheticSeedOptions {
  /** Number of sales orders; every other volume follows from it. */
  readonly scale: number;
  /** PRNG seed: the same seed and scale give the same rows, byte for byte. @default 1 */
  readonly seed?: number;
  readonly log?: Log;
  readonly onProgress?: (progress: SeedProgress) => void;
}

/** What {@link seedSynthetic} generated. */
export interface SyntheticSeedResult {
  readonly plan: SyntheticPlan;
  readonly tables: readonly { readonly table: string; readonly rows: number }[];
  readonly seconds: number;
}

/**
 * Fills an empty source schema with a deterministic synthetic totesys of `scale` sales
 * orders, shaped like the real data. Rows stream into `COPY` as they are generated (bounded
 * memory at any scale), in one transaction. Foreign keys of the four large tables are
 * dropped during the load and added back afterwards, which makes PostgreSQL check them all
 * in one pass instead of row by row — they are still enforced: a wrong key fails the seed.
 *
 * @throws {SeedConflictError} when a source table already holds rows.
 * @example
 * await createSourceSchema(client, { reset: true });
 * await seedSynthetic(client, { scale: 1_000_000, seed: 42 }); // ≈ 4.3 M rows
 */
export async function seedSynthetic(
  client: Client,
  options: SyntheticSeedOptions,
): Promise<SyntheticSeedResult> {
  if (!Number.isInteger(options.scale) || options.scale < 1) {
    throw new SourceError(
      `the synthetic scale must be a positive whole number of sales orders, not ${options.scale}`,
    );
  }
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new SourceError(`the seed must be a whole number, not ${seed}`);
  const started = Date.now();
  const source = new SyntheticSource(syntheticPlan(options.scale, seed));
  const tables = source.tables();
  const total = tables.reduce((sum, t) => sum + t.rows, 0);
  const results: { table: string; rows: number }[] = [];
  await inTransaction(client, async () => {
    await assertEmpty(
      client,
      tables.map((t) => t.table),
    );
    await withForeignKeysDeferredToEnd(
      client,
      ['sales_order', 'purchase_order', 'transaction', 'payment'],
      async () => {
        let done = 0;
        for (const table of tables) {
          const lines = counted(table.lines(), (rows) =>
            options.onProgress?.({ table: table.table, rows, done: done + rows, total }),
          );
          const rows = await copyLines(client, table.table, table.columns, lines);
          done += rows;
          options.log?.info('generated table', { table: table.table, rows });
          results.push({ table: table.table, rows });
        }
      },
    );
    await resetSequences(
      client,
      tables.map((t) => sourceTable(t.table)),
    );
  });
  return { plan: source.plan, tables: results, seconds: (Date.now() - started) / 1000 };
}

async function assertEmpty(client: Client, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    const { rowCount } = await client.query(`SELECT 1 FROM ${ident(table)} LIMIT 1`);
    if (rowCount) {
      throw new SeedConflictError(
        `the source table ${table} already has rows; a synthetic seed needs an empty source: seed with --reset`,
        { context: { table } },
      );
    }
  }
}

/** Reports progress every 50,000 rows while passing lines through. */
function* counted(lines: Iterable<string>, report: (rows: number) => void): Generator<string> {
  let rows = 0;
  for (const line of lines) {
    yield line;
    if (++rows % 50_000 === 0) report(rows);
  }
  report(rows);
}

/**
 * Drops the foreign keys declared on `tables`, runs `work`, and adds them back exactly as
 * they were (definitions read from the catalog). Adding a key validates every row in one
 * join, far cheaper than a trigger per loaded row.
 */
async function withForeignKeysDeferredToEnd(
  client: Client,
  tables: readonly string[],
  work: () => Promise<void>,
): Promise<void> {
  const dropped: { table: string; name: string; definition: string }[] = [];
  for (const table of tables) {
    const { rows } = await client.query<{ name: string; definition: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition
         FROM pg_constraint WHERE contype = 'f' AND conrelid = to_regclass($1)`,
      [ident(table)],
    );
    for (const fk of rows) {
      await client.query(`ALTER TABLE ${ident(table)} DROP CONSTRAINT ${ident(fk.name)}`);
      dropped.push({ table, ...fk });
    }
  }
  await work();
  // The definition is PostgreSQL's own rendering of the constraint it just dropped.
  for (const fk of dropped) {
    await client.query(`ALTER TABLE ${ident(fk.table)} ADD CONSTRAINT ${ident(fk.name)} ${fk.definition}`);
  }
}
