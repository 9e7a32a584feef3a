import { TotesError } from '../kernel/errors';

/** Base of ingest-stage errors. */
export class IngestError extends TotesError {}

/**
 * The source table no longer matches the schema module (a column was dropped or changed
 * type, or the table is gone). The run skips this table and goes on with the others.
 */
export class SourceDriftError extends IngestError {}
