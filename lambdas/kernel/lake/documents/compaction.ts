/**
 * Fact compaction's documents: its committed state (`state/compaction.json`), its intent
 * (`state/compaction-intent.json`, the compaction being written) and the record of each
 * committed compaction (`state/fact-compactions/<seq>.json`: the files it wrote and the files
 * they replace). The protocol that writes them is in `lambdas/compact/compact.ts`.
 */
import { z } from 'zod';
import { LakeDocumentError } from '../errors';
import type { LakeStore, ObjectVersion } from '../lake-store';
import { COMPACTION_INTENT_KEY, COMPACTION_STATE_KEY, compactionManifestKey } from '../layout';
import { commitDocument, type DocumentSpec, damagedDocument, putDocument, readDocument } from './document';

/** One partition compacted: the new file and the files it replaces. */
export interface Compaction {
  readonly table: string;
  readonly dt: string;
  readonly key: string;
  readonly rows: number;
  readonly replaced: readonly string[];
}

/** `state/fact-compactions/<seq>.json`: what committed compaction `seq` did. */
export interface CompactionManifest {
  readonly seq: number;
  readonly id: string;
  readonly compactions: readonly Compaction[];
}

/** `state/compaction.json`: the last committed compaction. */
export interface CompactionState {
  readonly seq: number;
  readonly id?: string;
  /** True once the files compaction `seq` replaced are deleted. */
  readonly replacedDeleted?: boolean;
}

/** `state/compaction-intent.json`: the compaction being written. */
export interface CompactionIntent {
  readonly seq: number;
  readonly id: string;
}

/** A compaction document is unreadable or does not match its contract. */
export class CompactionDocumentError extends LakeDocumentError {}

const count = z.number().int().nonnegative();

/** The contract of `state/compaction.json`. */
export const COMPACTION_STATE: DocumentSpec<CompactionState> = {
  what: 'the compaction state',
  error: CompactionDocumentError,
  schema: z.object({ seq: count, id: z.string().min(1).optional(), replacedDeleted: z.boolean().optional() }),
};

/** The contract of `state/compaction-intent.json`. */
export const COMPACTION_INTENT: DocumentSpec<CompactionIntent> = {
  what: 'the compaction intent',
  error: CompactionDocumentError,
  schema: z.object({ seq: count, id: z.string().min(1) }),
};

/** The contract of `state/fact-compactions/<seq>.json`. */
export const COMPACTION_MANIFEST: DocumentSpec<CompactionManifest> = {
  what: 'the compaction record',
  error: CompactionDocumentError,
  pretty: true,
  schema: z.object({
    seq: count,
    id: z.string().min(1),
    compactions: z.array(
      z.object({
        table: z.string().min(1),
        dt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
        key: z.string().min(1),
        rows: count,
        replaced: z.array(z.string().min(1)),
      }),
    ),
  }),
};

/** The committed compaction state and its version (for the compare-and-swap commit). */
export async function readCompactionState(
  lake: LakeStore,
): Promise<{ state: CompactionState; version: ObjectVersion | undefined }> {
  const stored = await readDocument(lake, COMPACTION_STATE_KEY, COMPACTION_STATE);
  return stored
    ? { state: stored.value, version: stored.version }
    : { state: { seq: 0 }, version: undefined };
}

/** Replaces the compaction state only if it is still the version read (or creates it). */
export function commitCompactionState(
  lake: LakeStore,
  next: CompactionState,
  readVersion: ObjectVersion | undefined,
): Promise<ObjectVersion> {
  return commitDocument(lake, COMPACTION_STATE_KEY, COMPACTION_STATE, next, readVersion);
}

/** The compaction last started, if any. */
export async function readCompactionIntent(lake: LakeStore): Promise<CompactionIntent | undefined> {
  return (await readDocument(lake, COMPACTION_INTENT_KEY, COMPACTION_INTENT))?.value;
}

/** Names the compaction about to be written (before any of its files is). */
export async function writeCompactionIntent(lake: LakeStore, intent: CompactionIntent): Promise<void> {
  await putDocument(lake, COMPACTION_INTENT_KEY, COMPACTION_INTENT, intent);
}

/** Writes the record of compaction `manifest.seq` (before the state that commits it). */
export async function writeCompactionManifest(lake: LakeStore, manifest: CompactionManifest): Promise<void> {
  await putDocument(lake, compactionManifestKey(manifest.seq), COMPACTION_MANIFEST, manifest);
}

/** Reads the record of committed compaction `seq`; throws when it is missing or damaged. */
export async function readCompactionManifest(lake: LakeStore, seq: number): Promise<CompactionManifest> {
  const key = compactionManifestKey(seq);
  const manifest = (await readDocument(lake, key, COMPACTION_MANIFEST))?.value;
  if (manifest?.seq === seq) return manifest;
  throw damagedDocument(
    lake,
    key,
    COMPACTION_MANIFEST,
    manifest
      ? `holds number ${manifest.seq}, not ${seq}`
      : `is missing, though ${COMPACTION_STATE_KEY} says compaction ${seq} is committed`,
  );
}
