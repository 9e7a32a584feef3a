/**
 * The transform's documents: its committed state (`state/transform.json`, the commit point of
 * every batch) and its intent (`state/transform-intent.json`, the batch being written).
 */
import { z } from 'zod';
import { TransformStateError } from '../errors';
import type { LakeStore, ObjectVersion } from '../lake-store';
import { TRANSFORM_INTENT_KEY, TRANSFORM_STATE_KEY } from '../layout';
import { commitDocument, type DocumentSpec, putDocument, readDocument } from './document';

export { currentStateKey, heldStateKey, TRANSFORM_INTENT_KEY } from '../layout';

/**
 * The committed transform state (`state/transform.json`). It is the only object that says
 * which batch is committed; every object it names was written before it, under a new key.
 * `seq` is what `committedTransformSeq()` reads.
 */
export interface TransformState {
  /** Last committed batch number (0 = none). */
  readonly seq: number;
  readonly batchId?: string;
  /** Last ingest run the committed batches consumed. */
  readonly ingestSeq: number;
  readonly committedAt?: string;
  /**
   * The transform's memory: per source table, a Parquet file with the latest known version
   * of every row ever seen (deleted rows flagged), for joins, ripple and de-duplication.
   * A base file then delta files, oldest first: a batch appends only the rows it changed
   * (fact sources), and the files are merged into a new base every so often.
   */
  readonly current: Readonly<Record<string, readonly string[]>>;
  /** Per fact source table: Parquet of versions held for a missing dimension row, retried next batch. */
  readonly held: Readonly<Record<string, string>>;
  /**
   * Per dimension: the folder of its committed snapshot (`curated/<dim>/snapshot=<batch>/`);
   * in states written before snapshots had several files, the snapshot's one Parquet file.
   */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Per dimension: the files of its committed snapshot, in key order (absent in older states). */
  readonly dimensionParts?: Readonly<Record<string, readonly DimensionPart[]>>;
}

/**
 * One file of a dimension snapshot: the members whose key (its ordinal: the integer, or a
 * date's day number) is at least `from` and below the next file's `from`; the first file
 * has no `from`, the last no upper bound.
 */
export interface DimensionPart {
  readonly key: string;
  readonly from?: number;
  readonly rows: number;
}

export const EMPTY_STATE: TransformState = { seq: 0, ingestSeq: 0, current: {}, held: {}, dimensions: {} };

/** The batch a transform started writing. */
export interface TransformIntent {
  readonly seq: number;
  readonly batchId: string;
}

const count = z.number().int().nonnegative();
const lakeKey = z.string().min(1);

/** The contract of `state/transform.json`. */
export const TRANSFORM_STATE: DocumentSpec<TransformState> = {
  what: 'the transform state',
  error: TransformStateError,
  pretty: true,
  schema: z.object({
    seq: count,
    batchId: z.string().min(1).optional(),
    ingestSeq: count,
    committedAt: z.string().optional(),
    // A single file per table is how states written before delta files named it.
    current: z
      .record(z.string(), z.union([lakeKey.transform((file) => [file]), z.array(lakeKey)]))
      .default({}),
    held: z.record(z.string(), lakeKey).default({}),
    dimensions: z.record(z.string(), lakeKey).default({}),
    dimensionParts: z
      .record(z.string(), z.array(z.object({ key: lakeKey, from: z.number().int().optional(), rows: count })))
      .optional(),
  }),
};

/** The contract of `state/transform-intent.json`. */
export const TRANSFORM_INTENT: DocumentSpec<TransformIntent> = {
  what: 'the transform intent',
  error: TransformStateError,
  schema: z.object({ seq: count, batchId: z.string().min(1) }),
};

/** The intent of the last batch started, if any. */
export async function readTransformIntent(lake: LakeStore): Promise<TransformIntent | undefined> {
  return (await readDocument(lake, TRANSFORM_INTENT_KEY, TRANSFORM_INTENT))?.value;
}

/** Names the batch about to be written (before any of its objects is). */
export async function writeTransformIntent(lake: LakeStore, intent: TransformIntent): Promise<void> {
  await putDocument(lake, TRANSFORM_INTENT_KEY, TRANSFORM_INTENT, intent);
}

/** Reads the committed state and its version (for the compare-and-swap commit). */
export async function readTransformState(
  lake: LakeStore,
): Promise<{ state: TransformState; version: ObjectVersion | undefined }> {
  const stored = await readDocument(lake, TRANSFORM_STATE_KEY, TRANSFORM_STATE);
  return stored
    ? { state: stored.value, version: stored.version }
    : { state: EMPTY_STATE, version: undefined };
}

/**
 * Commits `next` by replacing the state object only if it is still the version read at the
 * start of the batch (or creating it if there was none), so two transforms can never both
 * commit on top of the same state.
 */
export async function commitTransformState(
  lake: LakeStore,
  next: TransformState,
  readVersion: ObjectVersion | undefined,
): Promise<void> {
  await commitDocument(lake, TRANSFORM_STATE_KEY, TRANSFORM_STATE, next, readVersion);
}
