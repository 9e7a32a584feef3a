import { TotesError } from '../../../lambdas/kernel/errors';

/** Base of the errors of the HTML report. */
export class ReportError extends TotesError {}

/** The warehouse lacks the views the report reads: its migrations have not run yet. */
export class WarehouseNotReadyError extends ReportError {}
