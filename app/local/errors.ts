import { TotesError } from '../../lambdas/kernel/errors';

/**
 * The embedded PostgreSQL could not be prepared or started. The message names what failed
 * (binary, port, data folder), quotes the end of the server's output and says what to do;
 * `context` carries `dataDir`, `port` and `logFile` where they are known.
 */
export class EmbeddedPostgresError extends TotesError {}
