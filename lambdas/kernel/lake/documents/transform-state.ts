import { TransformStateError } from '../errors';
import type { LakeStore, ObjectVersion } from '../lake-store';
import { TRANSFORM_STATE_KEY } from '../layout';

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
  /** Per dimension: the Parquet file of its committed snapshot. */
  readonly dimensions: Readonly<Record<string, string>>;
}

export const EMPTY_STATE: TransformState = { seq: 0, ingestSeq: 0, current: {}, held: {}, dimensions: {} };

/** Key of the memory of `table` as of batch `batchId` (a new key per batch, never overwritten). */
export const currentStateKey = (table: string, batchId: string): string =>
  `state/transform-current/${table}/${batchId}.parquet`;

/** Key of the held versions of `table` as of batch `batchId`. */
export const heldStateKey = (table: string, batchId: string): string =>
  `state/transform-held/${table}/${batchId}.parquet`;

/**
 * Names the batch being written before any of its objects is, so that if it never commits,
 * the next run can find and remove what it left behind (fact files would otherwise be read
 * by every query over the `dt=` partitions).
 */
export const TRANSFORM_INTENT_KEY = 'state/transform-intent.json';

/** The batch a transform started writing. */
export interface TransformIntent {
  readonly seq: number;
  readonly batchId: string;
}

/** The intent of the last batch started, if any. */
export async function readTransformIntent(lake: LakeStore): Promise<TransformIntent | undefined> {
  const object = await lake.get(TRANSFORM_INTENT_KEY);
  return object === undefined ? undefined : (JSON.parse(object.body.toString('utf8')) as TransformIntent);
}

/** Reads the committed state and its version (for the compare-and-swap commit). */
export async function readTransformState(
  lake: LakeStore,
): Promise<{ state: TransformState; version: ObjectVersion | undefined }> {
  const object = await lake.get(TRANSFORM_STATE_KEY);
  if (!object) return { state: EMPTY_STATE, version: undefined };
  try {
    const parsed = JSON.parse(object.body.toString('utf8')) as Partial<TransformState>;
    return {
      state: {
        ...EMPTY_STATE,
        ...parsed,
        current: Object.fromEntries(
          Object.entries(parsed.current ?? {}).map(([t, files]) => [
            t,
            typeof files === 'string' ? [files] : files,
          ]),
        ),
        held: parsed.held ?? {},
        dimensions: parsed.dimensions ?? {},
      },
      version: object.version,
    };
  } catch (cause) {
    throw new TransformStateError(
      `${TRANSFORM_STATE_KEY} in ${lake.url} is not valid JSON; restore it from the bucket's versions`,
      { cause, context: { key: TRANSFORM_STATE_KEY } },
    );
  }
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
  const body = `${JSON.stringify(next, null, 2)}\n`;
  await lake.putIf(
    TRANSFORM_STATE_KEY,
    body,
    readVersion === undefined ? { ifNoneMatch: '*' } : { ifMatch: readVersion },
  );
}
