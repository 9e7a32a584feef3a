import { TotesError } from '../../../lambdas/kernel/errors';

/** Base of the Athena runner's errors; `context` carries the query execution id and workgroup. */
export class AthenaQueryError extends TotesError {}

/** The query ended in FAILED: the message has Athena's state-change reason (syntax, missing table, cutoff…). */
export class AthenaQueryFailedError extends AthenaQueryError {}

/** The query ended in CANCELLED: someone (or the workgroup's bytes-scanned cutoff) stopped it. */
export class AthenaQueryCancelledError extends AthenaQueryError {}

/** The query did not finish within the runner's timeout; the runner asked Athena to stop it. */
export class AthenaQueryTimeoutError extends AthenaQueryError {}

/** An Athena API call itself failed (access denied, unknown workgroup, throttling past retries). */
export class AthenaRequestError extends AthenaQueryError {}
