import { TotesError } from '../lambdas/shared/errors';

/** A benchmark step failed: a stage worker, a reference measurement or the set-up. */
export class BenchError extends TotesError {}
