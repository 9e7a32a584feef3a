import { TotesError } from '../kernel/errors';

/** Base of ingest-stage errors. */
export class IngestError extends TotesError {}

/**
 * The source table no longer matches the schema module (a column was dropped or changed
 * type, or the table is gone). The run skips this table and goes on with the others.
 */
export class SourceDriftError extends IngestError {}

/**
 * Reading a source table failed in a way that concerns that table alone (no privilege, it was
 * renamed or altered during the run, a lock held on it, the read cancelled). The run skips it
 * and goes on with the others; the table keeps its capture point. `context.code` is the
 * SQLSTATE.
 */
export class TableUnreadableError extends IngestError {}
