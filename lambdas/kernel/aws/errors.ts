import { TotesError } from '../errors';

/** A database secret could not be read from Secrets Manager or does not hold usable credentials. */
export class DatabaseSecretError extends TotesError {}
