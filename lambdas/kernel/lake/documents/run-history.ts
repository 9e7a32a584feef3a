/**
 * The run history (`state/run-history.json`): the pipeline runs most recently attempted,
 * newest first, failed ones included — each with what every stage did, and for a failure the
 * stage, the error, the time and what to do. Written by the local runner at the end of every
 * run it started; read by `totes status`. For people: the pipeline never depends on it.
 */
import { z } from 'zod';
import { LakeDocumentError } from '../errors';
import type { LakeStore } from '../lake-store';
import { RUN_HISTORY_KEY } from '../layout';
import { type DocumentSpec, putDocument, readDocument, updateDocument } from './document';

/** The stages of a pipeline run, in order. */
export const PIPELINE_STAGES = ['ingest', 'transform', 'load', 'compact'] as const;

/** A stage of a pipeline run. */
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

const stage = z.enum(PIPELINE_STAGES);
const count = z.number().int().nonnegative();

const stageOutcomeSchema = z.object({
  stage,
  /** `skipped`: not attempted, because a stage it needs failed (see `error`). */
  status: z.enum(['succeeded', 'failed', 'skipped']),
  seconds: z.number().nonnegative(),
  error: z.string().optional(),
  /** What to do about the failure. */
  hint: z.string().optional(),
});

/** What one stage of a run did. */
export type StageOutcome = z.infer<typeof stageOutcomeSchema>;

const runRecordSchema = z.object({
  runId: z.string().optional(),
  status: z.enum(['succeeded', 'failed']),
  startedAt: z.string().min(1),
  finishedAt: z.string().min(1),
  /** The first stage that failed, its error and what to do. */
  failedStage: stage.optional(),
  error: z.string().optional(),
  hint: z.string().optional(),
  stages: z.array(stageOutcomeSchema).default([]),
  seconds: z.partialRecord(stage, z.number().nonnegative()).default({}),
  changes: count.optional(),
  skippedTables: z.array(z.string()).optional(),
  factRows: count.optional(),
  quarantinedRows: count.optional(),
  batchesLoaded: count.optional(),
  partitionsCompacted: count.optional(),
});

/** One pipeline run as `totes status` shows it. */
export type RunRecord = z.infer<typeof runRecordSchema>;

/** How many runs the history keeps. */
export const RUN_HISTORY_LENGTH = 50;

/** The contract of `state/run-history.json`. */
export const RUN_HISTORY: DocumentSpec<{ runs: RunRecord[] }> = {
  what: 'the run history',
  pretty: true,
  schema: z.object({ runs: z.array(runRecordSchema) }),
  repair: (at) =>
    `delete ${at.where} (it only records past runs for totes status; the next run starts a new one)`,
};

/** The runs recorded, newest first (empty before the first). */
export async function readRunHistory(lake: LakeStore): Promise<readonly RunRecord[]> {
  return (await readDocument(lake, RUN_HISTORY_KEY, RUN_HISTORY))?.value.runs ?? [];
}

/**
 * Adds `record` at the head of the history, keeping the last {@link RUN_HISTORY_LENGTH}. A
 * damaged history is started afresh rather than blocking the record of this run.
 */
export async function recordRun(lake: LakeStore, record: RunRecord): Promise<void> {
  try {
    await updateDocument(lake, RUN_HISTORY_KEY, RUN_HISTORY, (current) => ({
      runs: [record, ...(current?.value.runs ?? [])].slice(0, RUN_HISTORY_LENGTH),
    }));
  } catch (error) {
    if (!(error instanceof LakeDocumentError)) throw error;
    await putDocument(lake, RUN_HISTORY_KEY, RUN_HISTORY, { runs: [record] });
  }
}
