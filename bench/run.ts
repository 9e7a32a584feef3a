/**
 * `npm run bench [-- --scale N] [--curve N,N|none] [--changes N] [--seed N] [--out FILE] [--keep] [--statements]`:
 * the performance benchmark. Prints Markdown tables and writes the results as JSON
 * (`bench/results.json` unless `--out` says otherwise).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULTS } from '../infra/config';
import { runBench } from './bench';
import { renderMarkdown, renderStatements } from './report';

function wholeNumber(text: string): number {
  const value = Number(text.replaceAll('_', ''));
  if (!/^[\d_]+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('expected a positive whole number such as 100000');
  }
  return value;
}

/** `--curve`: the scales besides the main one; by default a tenth and five times it. */
function curveScales(text: string | undefined, scale: number): number[] {
  if (text === undefined) return [Math.max(1000, Math.round(scale / 10)), scale * 5];
  if (text === 'none') return [];
  return text.split(',').map((part) => wholeNumber(part.trim()));
}

const program = new Command()
  .name('bench')
  .description('measure the pipeline against its references on a synthetic totesys')
  .option(
    '--scale <n>',
    'sales orders in the synthetic source (the quick mode is 100000)',
    wholeNumber,
    1_000_000,
  )
  .option(
    '--curve <scales>',
    'further scales of the cost curve, comma-separated, or "none" (default: a tenth and five times --scale)',
  )
  .option(
    '--from <dir>',
    'seed from a snapshot folder (as totes seed --from) instead of the synthetic source',
  )
  .option('--changes <n>', 'changes simulated before the incremental run', wholeNumber, 100)
  .option('--seed <n>', 'PRNG seed of the source and the changes', wholeNumber, 1)
  .option('--out <file>', 'where to write the results JSON', join(__dirname, 'results.json'))
  .option('--nice <n>', 'nice value of the bench processes and its PostgreSQL (0: unchanged)', Number, -10)
  .option('--keep', 'keep the temporary databases and lake')
  .option('--statements', 'also print the slowest statements of each stage')
  .action(
    async (options: {
      scale: number;
      curve?: string;
      from?: string;
      changes: number;
      seed: number;
      out: string;
      nice: number;
      keep?: boolean;
      statements?: boolean;
    }) => {
      const results = await runBench({
        scale: options.scale,
        curve: options.from ? [] : curveScales(options.curve, options.scale),
        ...(options.from ? { from: options.from } : {}),
        changes: options.changes,
        seed: options.seed,
        keep: options.keep ?? false,
        nice: options.nice,
        progress: (line) => process.stderr.write(`bench: ${line}\n`),
        usage: {
          scheduleMinutes: DEFAULTS.scheduleMinutes,
          memoryMiB: {
            ingest: DEFAULTS.ingest.memoryMiB,
            transform: DEFAULTS.transform.memoryMiB,
            load: DEFAULTS.load.memoryMiB,
            compact: DEFAULTS.compact.memoryMiB,
          },
          queriesPerDay: 10,
          transitionsPerRun: 12,
        },
      });
      await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);
      process.stdout.write(renderMarkdown(results));
      if (options.statements) process.stdout.write(`\n${renderStatements(results)}`);
      process.stderr.write(
        `bench: results written to ${options.out} (${results.totalSeconds.toFixed(0)} s in all)\n`,
      );
    },
  );

// Exit explicitly: DuckDB handles and the embedded server's exit hook would otherwise keep it alive.
program.parseAsync(process.argv).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
