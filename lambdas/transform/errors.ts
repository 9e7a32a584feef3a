import { TotesError } from '../kernel/errors';

/** Base of the errors the transform stage raises on purpose. */
export class TransformError extends TotesError {}

/** A committed ingest run names a raw object the lake does not hold. */
export class RawObjectMissingError extends TransformError {}

/** DuckDB failed on a step of a batch; the context names the table and batch. */
export class TransformSqlError extends TransformError {}

/**
 * A raw object holds fewer or more rows than its ingest manifest says: it was cut short or
 * replaced. The batch stops rather than commit a partial read (restore the object from the
 * bucket's version history).
 */
export class RawObjectCorruptError extends TransformError {}
