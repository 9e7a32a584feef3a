import type { ChangeOp } from '../../schema';
import type { LakeStore } from '../lake-store';
import { INGEST_STATE_KEY, ingestManifestKey, TRANSFORM_STATE_KEY, transformManifestKey } from '../layout';

/** One raw object an ingest run wrote. */
export interface RawObject {
  readonly table: string;
  readonly key: string;
  readonly rows: number;
  readonly ops: Readonly<Record<ChangeOp, number>>;
}

/**
 * What committed ingest run number `seq` wrote. Written before the ingest state that
 * commits it; a manifest whose `seq` is above the committed one is an unfinished run's and
 * is never read (the next run overwrites it).
 */
export interface IngestManifest {
  readonly seq: number;
  readonly runId: string;
  /** When the source snapshot was read (ISO, UTC). */
  readonly extractedAt: string;
  readonly objects: readonly RawObject[];
}

/** The committed ingest position, as far as later stages need it. */
export interface IngestCommit {
  /** Number of the last committed ingest run (0 = none yet). */
  readonly seq: number;
}

/** One curated object a transform batch wrote. */
export interface CuratedObject {
  readonly table: string;
  readonly key: string;
  readonly rows: number;
}

/**
 * What committed transform batch number `seq` wrote: fact files to append, complete
 * dimension snapshots to apply, quarantined rows. The load stage applies batches in `seq`
 * order, each exactly once.
 */
export interface TransformManifest {
  readonly seq: number;
  readonly batchId: string;
  /** Ingest runs this batch consumed: (fromSeq, toSeq]. */
  readonly ingestSeqs: { readonly from: number; readonly to: number };
  /** New fact rows (history versions), Parquet, by fact table. */
  readonly facts: readonly CuratedObject[];
  /** Dimensions that changed: the Parquet files of their complete new snapshot. */
  readonly dimensions: readonly CuratedObject[];
  /**
   * Only the rows of each changed dimension that are new or differ from the previous
   * snapshot, so the load upserts what changed instead of the whole snapshot. Absent in
   * manifests written before it existed: the load then upserts the complete snapshot.
   */
  readonly dimensionChanges?: readonly CuratedObject[];
  /** Quarantined rows by source table, with their object key. */
  readonly quarantine: readonly CuratedObject[];
}

/** The committed transform position, as far as the load stage needs it. */
export interface TransformCommit {
  readonly seq: number;
}

async function readJson<T>(lake: LakeStore, key: string): Promise<T | undefined> {
  const object = await lake.get(key);
  return object === undefined ? undefined : (JSON.parse(object.body.toString('utf8')) as T);
}

/** The committed ingest sequence number (0 before the first run). */
export async function committedIngestSeq(lake: LakeStore): Promise<number> {
  return (await readJson<IngestCommit>(lake, INGEST_STATE_KEY))?.seq ?? 0;
}

/** The committed transform sequence number (0 before the first batch). */
export async function committedTransformSeq(lake: LakeStore): Promise<number> {
  return (await readJson<TransformCommit>(lake, TRANSFORM_STATE_KEY))?.seq ?? 0;
}

/** Reads the manifest of committed ingest run `seq`; throws when it is missing. */
export async function readIngestManifest(lake: LakeStore, seq: number): Promise<IngestManifest> {
  const manifest = await readJson<IngestManifest>(lake, ingestManifestKey(seq));
  if (!manifest || manifest.seq !== seq)
    throw new Error(`ingest manifest ${seq} is missing from ${lake.url}`);
  return manifest;
}

/** Reads the manifest of committed transform batch `seq`; throws when it is missing. */
export async function readTransformManifest(lake: LakeStore, seq: number): Promise<TransformManifest> {
  const manifest = await readJson<TransformManifest>(lake, transformManifestKey(seq));
  if (!manifest || manifest.seq !== seq)
    throw new Error(`transform manifest ${seq} is missing from ${lake.url}`);
  return manifest;
}
