/**
 * Where everything lives in the lake. One module, so the stages, the catalog and the tests
 * agree on the layout; the documents among these keys have their contracts in `documents/`.
 */

/** `raw/<table>/`: every raw object of one source table. */
export const rawTablePrefix = (table: string): string => `raw/${table}/`;

/** `raw/<table>/ingest_date=YYYY-MM-DD/<run_id>.jsonl.gz`: one immutable object per table per run. */
export const rawKey = (table: string, ingestDate: string, runId: string): string =>
  `raw/${table}/ingest_date=${ingestDate}/${runId}.jsonl.gz`;

/** `curated/<fact>/dt=YYYY-MM-DD/<batch>-<n>.parquet`. */
export const factKey = (table: string, dt: string, batchId: string, n: number): string =>
  `curated/${table}/dt=${dt}/${batchId}-${n}.parquet`;

/** `curated/<table>/`: every file of one star-schema table (a fact's `dt=` partitions, a dimension's snapshots). */
export const curatedTablePrefix = (table: string): string => `curated/${table}/`;

/**
 * Folder of one complete dimension snapshot: `curated/<dim>/snapshot=<batch>/`. Its files
 * (key ranges of the dimension, {@link dimensionPartKey}) together hold every member once;
 * readers read the whole folder (Athena through the Glue table's location).
 */
export const dimensionSnapshotPrefix = (table: string, batchId: string): string =>
  `curated/${table}/snapshot=${batchId}/`;

/**
 * `curated/<dim>/snapshot=<batch>/part-NNNNN.parquet`: file `n` of a snapshot, numbered in
 * key order. A file a batch did not change is copied into the new folder under a new number.
 */
export const dimensionPartKey = (table: string, batchId: string, n: number): string =>
  `${dimensionSnapshotPrefix(table, batchId)}part-${String(n).padStart(5, '0')}.parquet`;

/**
 * The snapshot folder a transform state's dimension entry names: the entry itself (a folder,
 * ending in `/`), or the folder of its one file (states written before snapshots had several).
 */
export const snapshotFolderOf = (key: string): string =>
  key.endsWith('/') ? key : key.slice(0, key.lastIndexOf('/') + 1);

/**
 * `curated/_changes/<dim>/<batch>.parquet`: the rows of a dimension a batch added or changed
 * (for the load's upsert). Outside the dimension's own folder, which Athena reads whole.
 */
export const dimensionChangesKey = (table: string, batchId: string): string =>
  `curated/_changes/${table}/${batchId}.parquet`;

/**
 * `curated/<fact>/dt=YYYY-MM-DD/compacted-<batch>.parquet`: one file holding the rows of the
 * files of a partition that compaction replaced (a new key, never an existing one). `<batch>`
 * is the compaction id, followed by `-<n>` for the further files of a partition folded into several.
 */
export const compactedFactKey = (table: string, dt: string, batchId: string): string =>
  `curated/${table}/dt=${dt}/compacted-${batchId}.parquet`;

/** `quarantine/<table>/<batch>.jsonl`: rows the transform rejected, each with its reason. */
export const quarantineKey = (table: string, batchId: string): string =>
  `quarantine/${table}/${batchId}.jsonl`;

/** `catalog/<dim>.json`: the local catalog's pointer to dimension `table`'s current snapshot folder. */
export const catalogPointerKey = (table: string): string => `catalog/${table}.json`;

/** Ingest state: cursors, key sets and the sequence of committed ingest runs. */
export const INGEST_STATE_KEY = 'state/ingest.json';
/** Transform state: which ingest runs are transformed, the current snapshots. */
export const TRANSFORM_STATE_KEY = 'state/transform.json';
/** Summary of the last pipeline run, for `totes status` (replaced by every run). */
export const LAST_RUN_KEY = 'state/last-run.json';
/** The pipeline runs most recently attempted, failed ones included, for `totes status`. */
export const RUN_HISTORY_KEY = 'state/run-history.json';
/** The pipeline lease: at most one run at a time. */
export const LEASE_KEY = 'state/lease.json';

/**
 * Names the transform batch being written before any of its objects is, so that if it never
 * commits, the next run can find and remove what it left behind.
 */
export const TRANSFORM_INTENT_KEY = 'state/transform-intent.json';
/** Key of the transform's memory of `table` as of batch `batchId` (a new key per batch). */
export const currentStateKey = (table: string, batchId: string): string =>
  `state/transform-current/${table}/${batchId}.parquet`;
/** Key of the fact versions of `table` held for a missing dimension row, as of batch `batchId`. */
export const heldStateKey = (table: string, batchId: string): string =>
  `state/transform-held/${table}/${batchId}.parquet`;
/**
 * Every prefix a transform batch writes under (each object's key carries the batch id), for
 * removing what an uncommitted batch left behind.
 */
export const TRANSFORM_BATCH_PREFIXES: readonly string[] = [
  'curated/',
  'state/transform-current/',
  'state/transform-held/',
  'quarantine/',
];

/** Fact compaction state: the last committed compaction (`seq`), for verify and the next run. */
export const COMPACTION_STATE_KEY = 'state/compaction.json';
/** The compaction being written, so that a crash's new files can be found and removed. */
export const COMPACTION_INTENT_KEY = 'state/compaction-intent.json';
/** Record of committed compaction number `seq`: the files it wrote and the files they replace. */
export const compactionManifestKey = (seq: number): string => `state/fact-compactions/${pad(seq)}.json`;

/** Manifest of committed ingest run number `seq` (what it wrote, for the transform). */
export const ingestManifestKey = (seq: number): string => `state/ingest-runs/${pad(seq)}.json`;
/** Manifest of committed transform batch number `seq` (what it wrote, for the load). */
export const transformManifestKey = (seq: number): string => `state/transform-batches/${pad(seq)}.json`;
/** Known primary keys of a source table after a run (delete detection, c/u ops). */
export const keySetKey = (table: string, runId: string): string => `state/keys/${table}/${runId}.bin.gz`;

const pad = (n: number): string => String(n).padStart(10, '0');

/**
 * A new run id: sortable by time, unique across processes.
 * @example newRunId(new Date('2024-11-15T14:40:10.188Z')) // '20241115T144010188Z-3f9a1c'
 */
export function newRunId(now: Date, random = Math.random): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const suffix = Math.floor(random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `${stamp}-${suffix}`;
}
