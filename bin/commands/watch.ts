import { type Command, InvalidArgumentError } from 'commander';
import { LeaseHeldError } from '../../lambdas/kernel/errors';
import { openEnvironment } from '../environment';
import { positiveInteger } from '../options';
import { isQuiet } from '../output';
import { renderRun, runOnce } from './run';

/** Parses `90`, `90s`, `5m`, `1h` into seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`expected a duration like 60s, 5m or 1h (got ${text})`);
  const unit = { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
  const seconds = Number(match[1]) * unit;
  if (seconds < 1) throw new InvalidArgumentError('the interval must be at least 1s');
  return seconds;
}

/** `totes watch`: run on a schedule until interrupted. */
export function register(program: Command): void {
  program
    .command('watch')
    .description('run the pipeline on a schedule until interrupted (Ctrl-C stops after the current run)')
    .option('--every <duration>', 'interval between run starts: 60s, 5m, 1h', parseDuration, 60)
    .option('--runs <n>', 'stop after this many runs (default: forever)', positiveInteger)
    .action(async (options: { every: number; runs?: number }) => {
      const env = await openEnvironment(program.opts());
      let stopping = false;
      const stop = () => {
        stopping = true;
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        for (let n = 1; !stopping && (options.runs === undefined || n <= options.runs); n++) {
          const started = Date.now();
          try {
            const result = await runOnce(env);
            if (!isQuiet()) {
              process.stdout.write(`${new Date().toISOString()} ${renderRun(result).split('\n')[0]}\n`);
            }
          } catch (error) {
            // A run in progress elsewhere is normal under a schedule; anything else is reported and retried.
            if (!(error instanceof LeaseHeldError)) process.exitCode = 1;
            process.stderr.write(`${new Date().toISOString()} run failed: ${(error as Error).message}\n`);
          }
          const wait = Math.max(0, options.every * 1000 - (Date.now() - started));
          const last = options.runs !== undefined && n >= options.runs;
          for (let waited = 0; !stopping && !last && waited < wait; waited += 250) {
            await new Promise((r) => setTimeout(r, Math.min(250, wait - waited)));
          }
        }
      } finally {
        await env.close();
      }
    });
}
