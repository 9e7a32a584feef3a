/**
 * The manifests: what committed ingest run number `seq` and committed transform batch number
 * `seq` wrote, the contract between a stage and the next. Each is written once, before the
 * state that commits it, and checked against its schema whenever it is read.
 */
import { z } from 'zod';
import type { ChangeOp } from '../../schema';
import type { LakeStore } from '../lake-store';
import { INGEST_STATE_KEY, ingestManifestKey, TRANSFORM_STATE_KEY, transformManifestKey } from '../layout';
import { type DocumentSpec, damagedDocument, putDocument, readDocument } from './document';

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

const count = z.number().int().nonnegative();
const lakeKey = z.string().min(1);

const rawObjectSchema = z.object({
  table: z.string().min(1),
  key: lakeKey,
  rows: count,
  ops: z.object({ c: count, u: count, d: count }),
});

const curatedObjectSchema = z.object({ table: z.string().min(1), key: lakeKey, rows: count });

/** The contract of `state/ingest-runs/<seq>.json`. */
export const INGEST_MANIFEST: DocumentSpec<IngestManifest> = {
  what: 'the ingest run manifest',
  pretty: true,
  schema: z.object({
    seq: count,
    runId: z.string().min(1),
    extractedAt: z.string().min(1),
    objects: z.array(rawObjectSchema),
  }),
};

/** The contract of `state/transform-batches/<seq>.json`. */
export const TRANSFORM_MANIFEST: DocumentSpec<TransformManifest> = {
  what: 'the transform batch manifest',
  pretty: true,
  schema: z.object({
    seq: count,
    batchId: z.string().min(1),
    ingestSeqs: z.object({ from: count, to: count }),
    facts: z.array(curatedObjectSchema),
    dimensions: z.array(curatedObjectSchema),
    dimensionChanges: z.array(curatedObjectSchema).optional(),
    quarantine: z.array(curatedObjectSchema),
  }),
};

/**
 * The committed position of a state object, as later stages need it. Only `seq` is read, so
 * a state written by a newer pipeline still tells its position.
 */
const committedSeqOf = (what: string): DocumentSpec<{ seq: number }> => ({
  what,
  schema: z.object({ seq: count }),
});

/** The committed ingest sequence number (0 before the first run). */
export async function committedIngestSeq(lake: LakeStore): Promise<number> {
  return (await readDocument(lake, INGEST_STATE_KEY, committedSeqOf('the ingest state')))?.value.seq ?? 0;
}

/** The committed transform sequence number (0 before the first batch). */
export async function committedTransformSeq(lake: LakeStore): Promise<number> {
  return (
    (await readDocument(lake, TRANSFORM_STATE_KEY, committedSeqOf('the transform state')))?.value.seq ?? 0
  );
}

/** Writes the manifest of ingest run `manifest.seq` (before the state that commits it). */
export async function writeIngestManifest(lake: LakeStore, manifest: IngestManifest): Promise<void> {
  await putDocument(lake, ingestManifestKey(manifest.seq), INGEST_MANIFEST, manifest);
}

/** Writes the manifest of transform batch `manifest.seq` (before the state that commits it). */
export async function writeTransformManifest(lake: LakeStore, manifest: TransformManifest): Promise<void> {
  await putDocument(lake, transformManifestKey(manifest.seq), TRANSFORM_MANIFEST, manifest);
}

/** Reads the manifest of committed ingest run `seq`; throws when it is missing or damaged. */
export async function readIngestManifest(lake: LakeStore, seq: number): Promise<IngestManifest> {
  return readManifest(lake, ingestManifestKey(seq), INGEST_MANIFEST, seq);
}

/** Reads the manifest of committed transform batch `seq`; throws when it is missing or damaged. */
export async function readTransformManifest(lake: LakeStore, seq: number): Promise<TransformManifest> {
  return readManifest(lake, transformManifestKey(seq), TRANSFORM_MANIFEST, seq);
}

async function readManifest<T extends { readonly seq: number }>(
  lake: LakeStore,
  key: string,
  spec: DocumentSpec<T>,
  seq: number,
): Promise<T> {
  const manifest = (await readDocument(lake, key, spec))?.value;
  if (manifest?.seq === seq) return manifest;
  const problem = manifest ? `holds number ${manifest.seq}, not ${seq}` : 'is missing';
  throw damagedDocument(
    lake,
    key,
    spec,
    `${problem}, though the state says number ${seq} is committed (the lake is incomplete)`,
  );
}
