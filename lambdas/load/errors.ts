import { TotesError } from '../kernel/errors';

/** Base of every error the load stage raises on purpose. */
export class LoadError extends TotesError {}

/**
 * A migration that was already applied to the warehouse has changed (or vanished) since.
 * Applied migrations are history: the fix is a new numbered migration, never an edit.
 */
export class MigrationChangedError extends LoadError {}

/** A migration failed to apply; its transaction was rolled back. */
export class MigrationFailedError extends LoadError {}

/** The warehouse tables differ from the schema module (a column missing, extra or of another type). */
export class SchemaDriftError extends LoadError {
  constructor(
    message: string,
    /** One line per difference, each naming `table.column`. */
    readonly problems: readonly string[],
  ) {
    super(message, { context: { problems } });
  }
}

/** A transform batch could not be applied; its transaction was rolled back, the ledger is unchanged. */
export class BatchLoadError extends LoadError {}

/**
 * The warehouse's ledger does not match what it holds or what the lake committed (a ledger
 * truncated or edited, a lake of another environment): loading would duplicate or skip
 * batches, so nothing is loaded. The message says how to restore or rebuild.
 */
export class LedgerMismatchError extends LoadError {}
