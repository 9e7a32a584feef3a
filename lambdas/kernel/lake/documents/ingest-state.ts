import { z } from 'zod';
import { IngestStateError } from '../errors';
import type { LakeStore, ObjectVersion } from '../lake-store';
import { INGEST_STATE_KEY } from '../layout';
import { commitDocument, type DocumentSpec, readDocument } from './document';

/** A 64-bit transaction id (`xid8`) as decimal text. */
const xid8 = z.string().regex(/^\d+$/, 'expected a 64-bit transaction id as decimal text');

const tableStateSchema = z.object({
  keysKey: z.string().min(1).optional(),
  horizon: xid8.optional(),
  rowCount: z.number().int().nonnegative(),
  fingerprint: z.object({ count: z.string(), sum: z.string() }).optional(),
  runsSinceReconcile: z.number().int().nonnegative().optional(),
  highWater: z.string().optional(),
  lastChangeAt: z.string().optional(),
  extraColumns: z.array(z.string()).optional(),
});

/** Per-table capture position. */
export interface TableState {
  /** Lake key of the table's known primary keys after the last run (see KeySet). */
  readonly keysKey?: string;
  /**
   * `pg_snapshot_xmin` (xid8) of the last run that read this table: its own capture point.
   * A run that cannot read the table (renamed, a column gone, no SELECT, locked) leaves it
   * where it was, so the rows that changed meanwhile are read once the table is readable.
   * Absent in states written before tables had their own: the state's `horizon` applies.
   */
  readonly horizon?: string;
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

const ingestStateSchema = z.object({
  version: z.literal(1),
  seq: z.number().int().nonnegative(),
  lastRunId: z.string().optional(),
  lastReadAt: z.string().optional(),
  horizon: xid8.optional(),
  tables: z.record(z.string(), tableStateSchema),
});

/** The ingest state object (`state/ingest.json`): the commit point of every ingest run. */
export interface IngestState {
  readonly version: 1;
  /** Number of the last committed ingest run that wrote a manifest (0 = none). */
  readonly seq: number;
  readonly lastRunId?: string;
  /** When the last run read the source (ISO, UTC). */
  readonly lastReadAt?: string;
  /**
   * `pg_snapshot_xmin` of the last run's snapshot, as a 64-bit xid8. Capture reads from each
   * table's own {@link TableState.horizon}; this one stands in for tables of states written
   * before those existed.
   */
  readonly horizon?: string;
  readonly tables: Readonly<Record<string, TableState>>;
}

const EMPTY: IngestState = { version: 1, seq: 0, tables: {} };

const spec: DocumentSpec<IngestState> = {
  what: 'the ingest state',
  schema: ingestStateSchema as z.ZodType<IngestState>,
  error: IngestStateError,
  pretty: true,
};

/**
 * Reads the ingest state and the version to replace it conditionally. A state that is not
 * JSON or does not match its contract (a version this pipeline does not read included) is an
 * {@link IngestStateError} naming the key, the field and how to restore it.
 */
export async function readIngestState(
  lake: LakeStore,
): Promise<{ state: IngestState; version: ObjectVersion | undefined }> {
  const stored = await readDocument(lake, INGEST_STATE_KEY, spec);
  return stored === undefined
    ? { state: EMPTY, version: undefined }
    : { state: stored.value, version: stored.version };
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
  await commitDocument(lake, INGEST_STATE_KEY, spec, state, previous);
}
