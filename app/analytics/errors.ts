import { TotesError } from '../../lambdas/kernel/errors';

/** Base of the errors of the local query engine. */
export class QueryError extends TotesError {}

/** The lake is remote: local views need its files on this machine. */
export class RemoteLakeQueryError extends QueryError {}

/** DuckDB rejected the analyst's SQL. */
export class QuerySqlError extends QueryError {}
