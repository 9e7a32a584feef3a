import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { commandLease } from '../../app/pipeline/command-lease';
import {
  createSourceSchema,
  type SeedProgress,
  type SnapshotSeedResult,
  seedFromSnapshot,
} from '../../app/totesys/seed';
import { seedSynthetic } from '../../app/totesys/synthetic';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { type HeldLease, holdLease } from '../../lambdas/kernel/lake/documents/lease';
import { openEnvironment } from '../environment';
import { emit, isQuiet, renderTable } from '../output';

interface SeedOptions {
  from?: string;
  synthetic?: boolean;
  scale?: number;
  seed?: number;
  reset?: boolean;
  upsert?: boolean;
  json?: boolean;
}

/** `totes seed`: create the totesys schema in the source and fill it from a snapshot or synthetic rows. */
export function register(program: Command): void {
  program
    .command('seed')
    .description(
      'create the totesys schema in the source database and fill it from a snapshot folder or with synthetic rows',
    )
    .option('--from <dir>', 'snapshot folder: <table>.jsonl (JSON Lines) or <table>.json (JSON array) files')
    .option('--synthetic', 'generate a deterministic synthetic totesys instead (needs an empty source)')
    .option('--scale <n>', 'synthetic: number of sales orders (other tables follow)', wholeNumber, 11_187)
    .option('--seed <s>', 'synthetic: PRNG seed; same seed and scale give the same rows', wholeNumber, 1)
    .option('--reset', 'drop the totesys tables first (all source data is lost)')
    .option('--upsert', 'snapshot: overwrite existing rows with the file values, last_updated included')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  totes seed --from ../shared/totesys-data/aidan-mooney-2024-11-15/jsonl
  totes seed --reset --from ../shared/totesys-data/aranparrish-2024-05-21
  totes seed --upsert --from ../shared/totesys-data/aidan-mooney-2024-11-15/jsonl
  totes seed --reset --synthetic --scale 1000000 --seed 42`,
    )
    .action(async (options: SeedOptions, command: Command) => {
      const usage = (message: string) => command.error(`totes seed: ${message}`, { exitCode: 2 });
      if (!options.from === !options.synthetic) return usage('say what to load: --from <dir> or --synthetic');
      if (options.reset && options.upsert) return usage('--reset and --upsert exclude each other');
      if (options.synthetic && options.upsert) return usage('--upsert applies to --from only');
      const env = await openEnvironment(program.opts());
      const source = await connectPg(env.sourceUrl, 'source');
      const bar = progressBar();
      const onProgress = bar ? { onProgress: bar.update } : {};
      let held: HeldLease | undefined;
      try {
        // --reset empties the tables a run reads: never while a writer holds the pipeline lease.
        if (options.reset) held = await holdLease(env.lake, commandLease('totes seed --reset', {}, env));
        await createSourceSchema(source, { reset: options.reset ?? false });
        if (options.from) {
          const result = await seedFromSnapshot(source, options.from, {
            upsert: options.upsert ?? false,
            log: env.log,
            ...onProgress,
          });
          bar?.stop();
          emit(options.json, result, () => renderSnapshotResult(result));
        } else {
          const result = await seedSynthetic(source, {
            scale: options.scale ?? 11_187,
            seed: options.seed ?? 1,
            log: env.log,
            ...onProgress,
          });
          bar?.stop();
          emit(options.json, result, () =>
            [
              `synthetic totesys, seed ${result.plan.seed}, in ${result.seconds.toFixed(1)} s`,
              renderTable(result.tables, [
                { header: 'table', value: (t) => t.table },
                { header: 'rows', value: (t) => t.rows, right: true },
              ]),
            ].join('\n'),
          );
        }
      } finally {
        await held?.end();
        bar?.stop();
        await source.end();
        await env.close();
      }
    });
}

function renderSnapshotResult(result: SnapshotSeedResult): string {
  const table = renderTable(result.tables, [
    { header: 'table', value: (t) => t.table },
    { header: 'rows', value: (t) => t.rows, right: true },
    { header: 'inserted', value: (t) => t.inserted, right: true },
    { header: 'updated', value: (t) => t.updated, right: true },
  ]);
  return result.missing.length
    ? `${table}\nnot in the snapshot (left as they were): ${result.missing.join(', ')}`
    : table;
}

function wholeNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError('expected a whole number such as 1000000');
  }
  return value;
}

/** A progress bar on stderr when it is a terminal; nothing when output is piped or logged. */
function progressBar(): { update: (p: SeedProgress) => void; stop: () => void } | undefined {
  if (!process.stderr.isTTY || isQuiet()) return undefined;
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
