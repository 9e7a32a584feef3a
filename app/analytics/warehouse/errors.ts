import { TotesError } from '../../../lambdas/kernel/errors';

/** Base of the errors of reaching the warehouse as an analyst. */
export class WarehouseAccessError extends TotesError {}

/** The warehouse has no `totes_analyst` role: its migrations have not run. */
export class AnalystRoleMissingError extends WarehouseAccessError {}
