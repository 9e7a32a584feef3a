import { TotesError } from '../kernel/errors';

/** A fact compaction could not be written or committed; the context names the table and partition. */
export class CompactionError extends TotesError {}
