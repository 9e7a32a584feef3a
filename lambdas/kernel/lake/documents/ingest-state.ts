import { IngestStateError } from '../errors';
import type { LakeStore, ObjectVersion } from '../lake-store';
import { INGEST_STATE_KEY } from '../layout';

/** Per-table capture position. */
export interface TableState {
  /** Lake key of the table's known primary keys after the last run (see KeySet). */
  readonly keysKey?: string;
  /** Rows in the source table at the last read. */
  readonly rowCount: number;
  /** Row count and key sum of the known keys (decimal text: sums exceed 2^53). */
  readonly fingerprint?: { readonly count: string; readonly sum: string };
  /** Runs since every key was last reconciled one by one. */
  readonly runsSinceReconcile?: number;
  /** Highest `last_updated` seen (for freshness reporting; capture does not depend on it). */
  readonly highWater?: string;
  /** `_extracted_at` of the last run that found changes in this table. */
  readonly lastChangeAt?: string;
  /** Source columns unknown to the schema module, seen at the last read. */
  readonly extraColumns?: readonly string[];
}

/** The ingest state object (`state/ingest.json`): the commit point of every ingest run. */
export interface IngestState {
  readonly version: 1;
  /** Number of the last committed ingest run that wrote a manifest (0 = none). */
  readonly seq: number;
  readonly lastRunId?: string;
  /** When the last run read the source (ISO, UTC). */
  readonly lastReadAt?: string;
  /**
   * `pg_snapshot_xmin` of the last read, as a 64-bit xid8: the oldest transaction still
   * running then. Rows whose xmin is not older are read again next time.
   */
  readonly horizon?: string;
  readonly tables: Readonly<Record<string, TableState>>;
}

const EMPTY: IngestState = { version: 1, seq: 0, tables: {} };

/** Reads the ingest state and the version to replace it conditionally. */
export async function readIngestState(
  lake: LakeStore,
): Promise<{ state: IngestState; version: ObjectVersion | undefined }> {
  const object = await lake.get(INGEST_STATE_KEY);
  if (!object) return { state: EMPTY, version: undefined };
  let state: IngestState;
  try {
    state = JSON.parse(object.body.toString('utf8')) as IngestState;
  } catch (error) {
    throw new IngestStateError(
      `${INGEST_STATE_KEY} in ${lake.url} is not valid JSON; restore it from a backup`,
      {
        cause: error,
      },
    );
  }
  if (state.version !== 1) {
    throw new IngestStateError(
      `${INGEST_STATE_KEY} has version ${String(state.version)}; this pipeline reads 1`,
    );
  }
  return { state, version: object.version };
}

/**
 * Replaces the ingest state only if nobody else did since it was read — the single atomic
 * commit of an ingest run.
 */
export async function commitIngestState(
  lake: LakeStore,
  state: IngestState,
  previous: ObjectVersion | undefined,
): Promise<void> {
  const body = `${JSON.stringify(state, null, 2)}\n`;
  await lake.putIf(
    INGEST_STATE_KEY,
    body,
    previous === undefined ? { ifNoneMatch: '*' } : { ifMatch: previous },
  );
}
