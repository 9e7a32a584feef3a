import { TotesError } from '../lambdas/kernel/errors';

/** The command line asks for something that cannot be done as asked (exit code 2); the message says what to pass. */
export class UsageError extends TotesError {}

/** `totes query` / `totes queries` on an S3 lake could not run the SQL on Athena. */
export class AthenaQueryCommandError extends TotesError {}
