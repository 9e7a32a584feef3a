import { TotesError } from '../shared/errors';

/** Base of the errors the transform stage raises on purpose. */
export class TransformError extends TotesError {}

/** A committed ingest run names a raw object the lake does not hold. */
export class RawObjectMissingError extends TransformError {}

/** The transform state object is unreadable or names objects that are gone. */
export class TransformStateError extends TransformError {}

/** DuckDB failed on a step of a batch; the context names the table and batch. */
export class TransformSqlError extends TransformError {}
