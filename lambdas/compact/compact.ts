/**
 * Fact compaction: every transform batch adds one small Parquet file to each `dt=` partition
 * it touches, and a 5-minute schedule would pile them up forever. The cost of a compaction
 * stays bounded by the target size, not by the partition: a file of at least `targetBytes`
 * is never rewritten; when a partition holds more than `threshold` files under the target,
 * its smallest ones (as many as fit in the target together) become one new file. So a
 * partition holds its full-size files plus at most about `threshold` small ones, and each
 * compaction rewrites at most about `targetBytes` per partition. Files still under the
 * partitions of a finer grain (a lake written before facts were partitioned by year, see
 * `FACT_PARTITION` in the schema module) are folded into their partition on the next
 * compaction whatever their size, together with that partition's small files, in new files
 * of at most about the target each: Athena's projection lists only the partitions of the
 * current grain.
 *
 * Protocol, under the pipeline lease, after the load: write the new files (new keys, never
 * overwriting) → write the compaction record → commit `state/compaction.json` (compare and
 * swap) → delete the replaced files. A crash before the commit leaves new files that the
 * next run deletes (they carry the compaction id named by the intent); a crash after it
 * leaves replaced files that the next run deletes. Between the upload and the deletes an
 * Athena query may see a partition's rows twice (S3 has no multi-object atomicity; see
 * docs/performance.md). The warehouse is unaffected: the load reads fact files only from
 * transform manifests, and only files of batches it has already loaded are compacted.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openDuck, sqlString } from '../kernel/duckdb/duckdb';
import {
  type Compaction,
  type CompactionState,
  commitCompactionState,
  readCompactionIntent,
  readCompactionManifest,
  readCompactionState,
  writeCompactionIntent,
  writeCompactionManifest,
} from '../kernel/lake/documents/compaction';
import { readTransformManifest } from '../kernel/lake/documents/manifests';
import { readTransformIntent, readTransformState } from '../kernel/lake/documents/transform-state';
import { type LakeStore, listSizes, type ObjectVersion } from '../kernel/lake/lake-store';
import { compactedFactKey, curatedTablePrefix, newRunId } from '../kernel/lake/layout';
import type { Log } from '../kernel/logger';
import { factPartitionOf, factTables, ident } from '../kernel/schema';
import { CompactionError } from './errors';

/** What {@link compactFacts} needs. */
export interface CompactDeps {
  readonly lake: LakeStore;
  readonly log: Log;
  /** Scratch folder (copies of remote files, the new file before upload). */
  readonly workDir: string;
  /** The last transform batch the warehouse has loaded: newer batches' files are left alone. */
  readonly loadedSeq: number;
  readonly clock?: () => Date;
  /** A partition is compacted when it holds more files under `targetBytes` than this. @default 32 */
  readonly threshold?: number;
  /** Files of at least this size are full: never rewritten. @default 64 MiB */
  readonly targetBytes?: number;
  /** DuckDB memory limit. @default '600MB' */
  readonly memoryLimit?: string;
}

// The compaction documents moved to the kernel; re-exported for the callers that import them here.
export {
  type Compaction,
  type CompactionManifest,
  type CompactionState,
  readCompactionManifest,
  readCompactionState,
} from '../kernel/lake/documents/compaction';

/** What one call did (`seq` 0 and no compactions when nothing was over the threshold). */
export interface CompactionResult {
  readonly seq: number;
  readonly compactions: readonly Compaction[];
}

/** Files under the target per partition above which it is compacted. */
export const DEFAULT_COMPACTION_THRESHOLD = 32;

/**
 * Size of a full fact file. Half Athena's 128 MB guidance: a compaction then moves at most
 * this much through a Lambda's memory and scratch space, and a partition of many times this
 * size gets several full files (at 5M sales orders a year is some 100 MB).
 */
export const DEFAULT_TARGET_BYTES = 64 * 1024 * 1024;

/**
 * Merges the small files of every fact partition with more than `threshold` of them (files
 * of loaded batches only) and folds the files of finer-grained partitions into theirs,
 * commits the compaction, then deletes the files it replaced.
 *
 * @example
 * await compactFacts({ lake, log, workDir: '/tmp', loadedSeq: await loadedSeq(warehouse) });
 */
export async function compactFacts(deps: CompactDeps): Promise<CompactionResult> {
  const { state, version: read } = await readCompactionState(deps.lake);
  const version = await finishPrevious(deps, state, read);
  const plans = await planCompactions(deps);
  if (plans.length === 0) return { seq: state.seq, compactions: [] };

  const seq = state.seq + 1;
  const id = newRunId((deps.clock ?? (() => new Date()))());
  await writeCompactionIntent(deps.lake, { seq, id });
  await mkdir(deps.workDir, { recursive: true });
  const work = await mkdtemp(join(deps.workDir, 'compact-'));
  const duck = await openDuck({
    memoryLimit: deps.memoryLimit ?? '600MB',
    threads: 2,
    tempDirectory: join(work, 'duckdb'),
  });
  try {
    const compactions: Compaction[] = [];
    let bytesRewritten = 0;
    for (const plan of plans) {
      const paths: string[] = [];
      for (const key of plan.replaced) paths.push(await localCopy(deps.lake, key, work));
      // A partition folded into several files names each after the compaction id (crash
      // recovery finds them by it).
      const key = compactedFactKey(plan.table, plan.dt, plan.part === 0 ? id : `${id}-${plan.part}`);
      const file = join(work, `${plan.table}-${plan.dt}-${plan.part}.parquet`);
      const naturalKey = ident(factTables.find((t) => t.name === plan.table)?.naturalKey ?? '');
      const stats = await duck.all(
        `COPY (SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false) ORDER BY ${naturalKey}, observed_at) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, RETURN_STATS true)`,
      );
      const rows = stats.rows.reduce((n, r) => n + Number(r[stats.columns.indexOf('count')] ?? 0), 0);
      bytesRewritten += plan.bytes;
      deps.log.info('fact partition compacted', {
        table: plan.table,
        dt: plan.dt,
        files: plan.replaced.length,
        bytesIn: plan.bytes,
        bytesOut: (await stat(file)).size,
      });
      await deps.lake.upload(file, key);
      // Scratch space stays bounded by one plan: the downloaded inputs go once merged.
      await rm(join(work, 'in'), { recursive: true, force: true });
      compactions.push({ table: plan.table, dt: plan.dt, replaced: plan.replaced, key, rows });
      await rm(file, { force: true });
    }
    await writeCompactionManifest(deps.lake, { seq, id, compactions });
    const committed = await commitCompactionState(deps.lake, { seq, id }, version);
    await deleteReplaced(deps.lake, compactions);
    await commitCompactionState(deps.lake, { seq, id, replacedDeleted: true }, committed);
    deps.log.info('fact partitions compacted', {
      seq,
      id,
      partitions: compactions.length,
      filesReplaced: compactions.reduce((n, c) => n + c.replaced.length, 0),
      bytesRewritten,
    });
    return { seq, compactions };
  } catch (cause) {
    if (cause instanceof CompactionError) throw cause;
    throw new CompactionError(
      `fact compaction ${seq} failed: ${cause instanceof Error ? cause.message : String(cause)}; the next run removes what it wrote and tries again`,
      { cause, context: { seq, id } },
    );
  } finally {
    duck.close();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Completes what a crash may have left: the new files of an uncommitted compaction are
 * removed, the replaced files of the last committed one are deleted (again: deletes are
 * idempotent).
 */
async function finishPrevious(
  deps: CompactDeps,
  state: CompactionState,
  version: ObjectVersion | undefined,
): Promise<ObjectVersion | undefined> {
  const started = await readCompactionIntent(deps.lake);
  if (started && started.seq > state.seq) {
    for (const fact of factTables) {
      const keys: string[] = [];
      for await (const key of deps.lake.list(curatedTablePrefix(fact.name)))
        if (key.includes(started.id)) keys.push(key);
      for (const key of keys) await deps.lake.delete(key);
      if (keys.length > 0)
        deps.log.warn('removed the files of an uncommitted compaction', { ...started, files: keys.length });
    }
  }
  if (state.seq === 0 || state.replacedDeleted) return version;
  await deleteReplaced(deps.lake, (await readCompactionManifest(deps.lake, state.seq)).compactions);
  return commitCompactionState(deps.lake, { ...state, replacedDeleted: true }, version);
}

async function deleteReplaced(lake: LakeStore, compactions: readonly Compaction[]): Promise<void> {
  for (const c of compactions) for (const key of c.replaced) await lake.delete(key);
}

/** Files of a partition to merge into one: which, their bytes, and the output's number. */
interface Plan {
  readonly table: string;
  readonly dt: string;
  readonly replaced: readonly string[];
  readonly bytes: number;
  readonly part: number;
}

/** A fact file compaction may replace. */
export interface FactFile {
  readonly key: string;
  readonly bytes: number;
  /** Under its own partition (not under a partition of a finer grain, to fold). */
  readonly inPlace: boolean;
}

/**
 * The partitions to compact, counting only files the warehouse has loaded (not listed by a
 * transform batch after `loadedSeq`, nor left by an uncommitted transform batch).
 */
async function planCompactions(deps: CompactDeps): Promise<Plan[]> {
  const threshold = deps.threshold ?? DEFAULT_COMPACTION_THRESHOLD;
  const target = deps.targetBytes ?? DEFAULT_TARGET_BYTES;
  const { state } = await readTransformState(deps.lake);
  const notLoaded = new Set<string>();
  for (let s = deps.loadedSeq + 1; s <= state.seq; s++) {
    for (const o of (await readTransformManifest(deps.lake, s)).facts) notLoaded.add(o.key);
  }
  const intent = await readTransformIntent(deps.lake);
  const uncommitted = intent && intent.seq > state.seq ? intent.batchId : undefined;
  const plans: Plan[] = [];
  for (const fact of factTables) {
    const partitions = new Map<string, FactFile[]>();
    for await (const { key, bytes } of listSizes(deps.lake, curatedTablePrefix(fact.name))) {
      const day = /\/dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.parquet$/.exec(key)?.[1];
      if (!day || notLoaded.has(key) || (uncommitted && key.includes(uncommitted))) continue;
      const dt = factPartitionOf(day);
      partitions.set(dt, [...(partitions.get(dt) ?? []), { key, bytes, inPlace: day === dt }]);
    }
    for (const [dt, files] of partitions) {
      filesToReplace(files, threshold, target).forEach((group, part) => {
        plans.push({
          table: fact.name,
          dt,
          replaced: group.map((f) => f.key),
          bytes: group.reduce((n, f) => n + f.bytes, 0),
          part,
        });
      });
    }
  }
  return plans;
}

/**
 * The groups of files of one partition to merge, each into one new file. Files to fold (under
 * a finer partition) are all taken, with the partition's small files, in groups of at most
 * `target` bytes (a file of the target or more alone), so each new file is about the target
 * at most. Otherwise, when more than `threshold` files are under `target`: one group of the
 * smallest of them whose sizes add up to at most `target` (at least two, or none).
 */
export function filesToReplace<F extends FactFile>(
  files: readonly F[],
  threshold: number,
  target: number,
): F[][] {
  const bySize = (a: F, b: F) => a.bytes - b.bytes || (a.key < b.key ? -1 : 1);
  const small = files.filter((f) => f.inPlace && f.bytes < target).sort(bySize);
  const strays = files.filter((f) => !f.inPlace);
  if (strays.length > 0) {
    const groups = pack([...strays, ...small].sort(bySize), target);
    // A lone file already in place would be rewritten for nothing.
    return groups.filter((g) => g.length > 1 || g.some((f) => !f.inPlace));
  }
  if (small.length <= threshold) return [];
  const [first] = pack(small, target);
  return first && first.length >= 2 ? [first] : [];
}

/** Consecutive groups of `files` (in their order) of at most `target` bytes each, none empty. */
function pack<F extends FactFile>(files: readonly F[], target: number): F[][] {
  const groups: F[][] = [];
  let group: F[] = [];
  let bytes = 0;
  for (const f of files) {
    if (group.length > 0 && bytes + f.bytes > target) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(f);
    bytes += f.bytes;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** A local path with the object's bytes: in place for a local lake, else a download. */
async function localCopy(lake: LakeStore, key: string, work: string): Promise<string> {
  const inPlace = lake.localPath(key);
  if (inPlace !== undefined) return inPlace;
  const path = join(work, 'in', ...key.split('/'));
  await lake.download(key, path);
  return path;
}
