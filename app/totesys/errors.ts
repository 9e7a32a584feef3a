import { TotesError } from '../../lambdas/kernel/errors';

/** Base of the errors raised while seeding or changing a `totesys` source. */
export class SourceError extends TotesError {}

/**
 * A snapshot file cannot be read as totesys rows: malformed JSON, a value of the wrong shape
 * for its column, a null in a NOT NULL column. Context names the file, table, record and column.
 */
export class SnapshotFormatError extends SourceError {}

/** The snapshot folder holds no table file at all, or holds two files for one table. */
export class SnapshotFolderError extends SourceError {}

/** Rows cannot be loaded because the target tables already hold rows with the same keys. */
export class SeedConflictError extends SourceError {}

/** The source schema is partly there (some tables exist, others not): refuse to guess. */
export class SourceSchemaError extends SourceError {}

/** A change simulation found the source unable to support it (e.g. empty tables). */
export class SimulationError extends SourceError {}

/** Snapshot rows break a foreign key: they reference rows the snapshot (or database) lacks. */
export class SnapshotIntegrityError extends SourceError {}

/** The synthetic generator cannot write a value for a column of the schema module. */
export class GeneratorError extends SourceError {}
