import { TotesError } from '../lambdas/kernel/errors';

/** A benchmark step failed: a stage worker, a reference measurement or the set-up. */
export class BenchError extends TotesError {}
