import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { connectPg } from '../../lambdas/shared/db/connect';
import { createSourceSchema, type SeedProgress, seedFromSnapshot } from '../../lambdas/shared/source/seed';
import { openEnvironment } from '../environment';
import { emit, renderTable } from '../output';

interface SeedOptions {
  from?: string;
  reset?: boolean;
  upsert?: boolean;
  json?: boolean;
}

/** `totes seed`: create the totesys schema in the source and load a snapshot folder. */
export function register(program: Command): void {
  program
    .command('seed')
    .description('create the totesys schema in the source database and fill it from a snapshot folder')
    .option('--from <dir>', 'snapshot folder: <table>.jsonl (JSON Lines) or <table>.json (JSON array) files')
    .option('--reset', 'drop the totesys tables first (all source data is lost)')
    .option('--upsert', 'overwrite existing rows with the snapshot values, last_updated included')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  totes seed --from ../shared/totesys-data/aidan-mooney-2024-11-15/jsonl
  totes seed --reset --from ../shared/totesys-data/aranparrish-2024-05-21
  totes seed --upsert --from ../shared/totesys-data/aidan-mooney-2024-11-15/jsonl`,
    )
    .action(async (options: SeedOptions, command: Command) => {
      const usage = (message: string) => command.error(`totes seed: ${message}`, { exitCode: 2 });
      if (!options.from) return usage('say what to load: --from <dir>');
      if (options.reset && options.upsert) return usage('--reset and --upsert exclude each other');
      const env = await openEnvironment(program.opts());
      const source = await connectPg(env.sourceUrl, 'source');
      const bar = progressBar();
      try {
        await createSourceSchema(source, { reset: options.reset ?? false });
        const result = await seedFromSnapshot(source, options.from, {
          upsert: options.upsert ?? false,
          log: env.log,
          ...(bar ? { onProgress: bar.update } : {}),
        });
        bar?.stop();
        emit(options.json, result, () =>
          [
            renderTable(result.tables, [
              { header: 'table', value: (t) => t.table },
              { header: 'rows', value: (t) => t.rows, right: true },
              { header: 'inserted', value: (t) => t.inserted, right: true },
              { header: 'updated', value: (t) => t.updated, right: true },
            ]),
            result.missing.length
              ? `not in the snapshot (left as they were): ${result.missing.join(', ')}`
              : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      } finally {
        bar?.stop();
        await source.end();
        await env.close();
      }
    });
}

/** A progress bar on stderr when it is a terminal; nothing when output is piped or logged. */
function progressBar(): { update: (p: SeedProgress) => void; stop: () => void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'seeding {table} [{bar}] {percentage}% | {rows} rows | eta {eta}s',
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  let stopped = false;
  return {
    update: (p) => {
      if (!started) {
        bar.start(p.total, 0, { table: p.table, rows: 0 });
        started = true;
      }
      bar.update(p.done, { table: p.table, rows: p.rows.toLocaleString('en-GB') });
    },
    stop: () => {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}
