/** Context carried by every pipeline error, so a message can name what failed. */
export interface ErrorContext {
  readonly table?: string;
  readonly key?: string | number;
  readonly column?: string;
  readonly runId?: string;
  readonly [extra: string]: unknown;
}

/**
 * Base of every error the pipeline raises on purpose. The message says what is wrong and
 * what to do; `context` names the table, key and run; `cause` keeps the original error.
 */
export class TotesError extends Error {
  readonly context: ErrorContext;

  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }
}

/** A configuration value is missing or malformed. */
export class ConfigError extends TotesError {}

/** A conditional write lost a race: another writer changed the object first. */
export class PreconditionFailedError extends TotesError {}

/** Another run holds the pipeline lease. */
export class LeaseHeldError extends TotesError {}

/** A database could not be reached or refused the credentials. */
export class DatabaseUnavailableError extends TotesError {}
