import { Command, CommanderError } from 'commander';
import { NamedQueryParameterError, UnknownNamedQueryError } from '../app/analytics/named-queries';
import { ConfigError, LeaseHeldError } from '../lambdas/kernel/errors';
import { redact } from '../lambdas/kernel/redact';
import { version } from '../package.json';
import { commands } from './commands';
import { UsageError } from './errors';
import { configureOutput, OutputClosedError } from './output';

/** Exit codes (documented in the README): 0 ok, 1 failure, 2 usage/config, 3 verify mismatch, 4 lease held. */
export const EXIT = { ok: 0, failure: 1, usage: 2, mismatch: 3, busy: 4 } as const;

/** A reader that closed the pipe early ends totes as SIGPIPE ends other tools: 128 + 13, no message. */
const CLOSED_PIPE = 141;

/** How long the process may linger once the command is done and its output is flushed. */
const LINGER_MS = 3000;

const program = new Command()
  .name('totes')
  .description('totesys lake: capture totesys changes into an S3 data lake and a PostgreSQL warehouse')
  .version(version, '-V, --version', 'print the version of totes')
  .option('-v, --verbose', 'log debug detail as JSON lines on stderr')
  .option(
    '-q, --quiet',
    'print only errors and the output asked for (--json, --csv, query rows): no progress, no summaries; the exit code tells the outcome',
  )
  .showHelpAfterError()
  // Usage errors come back as exceptions (mapped to exit 2 below) instead of process.exit(1).
  .exitOverride()
  .hook('preAction', () => configureOutput(program.opts<{ quiet?: boolean }>()));

for (const register of commands) register(program);

// A reader that goes away (`totes query … | head`) ends the output, not the process with a stack.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

program.parseAsync(process.argv).then(
  () => finish(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok),
  (error: unknown) => {
    if (!(error instanceof CommanderError || error instanceof OutputClosedError)) {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`totes: ${redact(message)}\n`);
    }
    finish(exitCodeOf(error));
  },
);

/**
 * Ends the process with `code` without cutting its output: the code is set, never passed to
 * `process.exit()` while stdout may still hold data for a pipe, and the process ends by itself
 * once the event loop is empty. The code is set again on `exit`, so that an exit hook of a
 * library calling `process.exit(0)` (as async-exit-hook does) cannot turn a failure into a
 * success. A handle left open by a library would keep the process alive: once stdout and
 * stderr are flushed, it gets {@link LINGER_MS} before the process is ended.
 */
function finish(code: number): void {
  process.exitCode = code;
  process.on('exit', () => {
    process.exitCode = code;
  });
  flushed(process.stdout)
    .then(() => flushed(process.stderr))
    .then(() => setTimeout(() => process.exit(code), LINGER_MS).unref());
}

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end with 0; a wrong command, option or value is a usage error.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof UnknownNamedQueryError ||
    error instanceof NamedQueryParameterError
  ) {
    return EXIT.usage;
  }
  if (error instanceof LeaseHeldError) return EXIT.busy;
  if (error instanceof OutputClosedError) return CLOSED_PIPE;
  return EXIT.failure;
}
