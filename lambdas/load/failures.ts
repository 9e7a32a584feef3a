import { BatchLoadError } from './errors';

/** The message of an error of any kind. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * What went wrong loading a table, told by the SQLSTATE class: bad data (`23`), a value that
 * does not fit its type (`22`), a lost connection, or other.
 */
export function explainFailure(seq: number, table: string, error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const rolledBack = 'The batch was rolled back';
  if (code.startsWith('23')) {
    return `transform batch ${seq} violates a constraint of ${table}: ${messageOf(error)}. ${rolledBack}; fix the curated data (or the transform) and load again.`;
  }
  if (code.startsWith('22')) {
    return `a value of ${table} in transform batch ${seq} does not fit its warehouse type: ${messageOf(error)}. ${rolledBack}; check the transform.`;
  }
  if (
    code.startsWith('08') ||
    code === '57P01' ||
    /connection|terminat|not queryable/i.test(messageOf(error))
  ) {
    return `the warehouse connection was lost while loading ${table} of transform batch ${seq}: ${messageOf(error)}. ${rolledBack}; check that the warehouse is up and run again.`;
  }
  return `loading ${table} of transform batch ${seq} failed: ${messageOf(error)}. ${rolledBack}; run again, and if it fails the same way, check the warehouse logs.`;
}

/** A warehouse statement of one table failed: the error says why (see {@link explainFailure}). */
export const tableFailure = (seq: number, table: string, error: unknown): BatchLoadError =>
  new BatchLoadError(explainFailure(seq, table, error), { cause: error, context: { batchSeq: seq, table } });

/** DuckDB could not read a table's Parquet: the files break the curated contract. */
export const unreadableParquet = (seq: number, table: string, error: unknown): BatchLoadError =>
  new BatchLoadError(
    `cannot read the Parquet of ${table} in transform batch ${seq}: ${messageOf(error)}. The files do not match the curated contract; check the transform.`,
    { cause: error, context: { batchSeq: seq, table } },
  );

/** A committed batch whose manifest cannot be read. */
export const unreadableManifest = (seq: number, lakeUrl: string, error: unknown): BatchLoadError =>
  new BatchLoadError(
    `transform batch ${seq} is committed but its manifest cannot be read from ${lakeUrl}: ${messageOf(error)}. Check the lake; the load resumes at this batch.`,
    { cause: error, context: { batchSeq: seq } },
  );

/** Any other failure of batch `seq`, after its transaction was rolled back. */
export const batchRolledBack = (seq: number, error: unknown): BatchLoadError =>
  new BatchLoadError(
    `transform batch ${seq} could not be loaded and was rolled back (the warehouse is unchanged): ${messageOf(error)}. Fix the cause and run the load again; it resumes at this batch.`,
    { cause: error, context: { batchSeq: seq } },
  );
