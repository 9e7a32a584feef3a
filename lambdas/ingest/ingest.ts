import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import type { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { TotesError } from '../kernel/errors';
import { damagedDocument } from '../kernel/lake/documents/document';
import {
  commitIngestState,
  type IngestState,
  readIngestState,
  type TableState,
} from '../kernel/lake/documents/ingest-state';
import { type IngestManifest, type RawObject, writeIngestManifest } from '../kernel/lake/documents/manifests';
import type { LakeStore } from '../kernel/lake/lake-store';
import { keySetKey, newRunId, rawKey } from '../kernel/lake/layout';
import type { Log } from '../kernel/logger';
import { type ChangeOp, type SourceTableDef, sourceTable, sourceTables } from '../kernel/schema';
import {
  allKeysCopySql,
  CAPTURE_SETTINGS,
  captureProbeSql,
  changedRowsCopySql,
  keyFingerprintSql,
  TIMESTAMP_FORMAT,
} from './capture-sql';
import { CopyJsonLines } from './copy-json';
import { IngestError, SourceDriftError, TableUnreadableError } from './errors';
import { KeySet } from './key-set';
import { inspectSource, type TableShape } from './source-drift';
import { readable } from './table-read';

/** What the ingest stage needs: a source connection, the lake, a logger and a clock. */
export interface IngestDeps {
  /** A connection to `totesys`; a read-only role is enough. */
  readonly source: Client;
  readonly lake: LakeStore;
  readonly log: Log;
  readonly clock?: () => Date;
  /** Restrict the run to these source tables. @default every table */
  readonly tables?: readonly string[];
  /**
   * Reconcile every primary key (the delete check) at least every this many runs, even when
   * the cheap key fingerprint says nothing was deleted. @default 12 (hourly at 5-minute runs)
   */
  readonly reconcileEvery?: number;
  /**
   * How long a table's read waits for a lock another session holds on it (an `ALTER TABLE`,
   * `VACUUM FULL`, `LOCK TABLE`) before the table is skipped for this run. @default 10000
   */
  readonly lockTimeoutMs?: number;
  /**
   * An incremental run reads up to this many changed rows of a table by TID, found by the
   * pass that also takes the key fingerprint; more by a second scan. @default 200000
   */
  readonly tidFetchLimit?: number;
}

/** What one table's capture found. */
export interface TableIngestResult {
  readonly table: string;
  /** Rows written to the raw object (changes plus tombstones). */
  readonly rows: number;
  readonly ops: Readonly<Record<ChangeOp, number>>;
  /** The raw object written, if there were changes. */
  readonly key?: string;
  /** Source columns the schema does not know (kept in raw). */
  readonly extraColumns: readonly string[];
  /**
   * Why this table was skipped (the other tables went on). A skipped table keeps its capture
   * point: what it missed is read by the first run that can read it.
   */
  readonly error?: TotesError;
}

/** The outcome of one ingest run. */
export interface IngestResult {
  readonly runId: string;
  /** Number of the committed run (unchanged when nothing changed). */
  readonly seq: number;
  /** True when at least one table had changes (a new manifest was committed). */
  readonly changed: boolean;
  readonly extractedAt: string;
  readonly tables: readonly TableIngestResult[];
}

// The horizon comparison is modulo 2^32; past 2^31 transactions it would be wrong, so the
// run falls back to reading everything (a re-delivery, deduplicated downstream).
const WRAPAROUND_MARGIN = 2n ** 31n - 10_000_000n;

// Past this many changed rows a table's changed rows are read by a second full scan rather
// than by TID (the TID list travels as one setting; a scan costs about the same then).
const TID_FETCH_LIMIT = 200_000;

/**
 * Captures every change in `totesys` since the previous run into the raw zone and commits
 * the new position. Changes are found by row `xmin` (every insert and update, whether or
 * not `last_updated` moved) and deletes by reconciling primary keys; all tables are read in
 * one consistent snapshot. Raw objects and key sets are written first, the manifest next,
 * and the state object last (atomically), so a crash at any point loses nothing: the next
 * run re-reads from the old position.
 */
export async function ingest(deps: IngestDeps): Promise<IngestResult> {
  const { source, lake, log } = deps;
  const clock = deps.clock ?? (() => new Date());
  const tables = (deps.tables ?? sourceTables.map((t) => t.name)).map(sourceTable);
  const { state, version } = await readIngestState(lake);
  const runId = newRunId(clock());

  await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    // A lock held on one table must not stall the run (nor, without a limit, hang it): the
    // table is skipped this time and keeps its capture point.
    await source.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(deps.lockTimeoutMs ?? 10_000))}`);
    // The raw timestamps are built from COPY's text, which follows DateStyle (see copy-json.ts).
    await source.query("SET LOCAL DateStyle = 'ISO, YMD'");
    const snapshot = await readSnapshot(source);
    const shapes = await inspectSource(source);
    if ([...shapes.values()].every((s) => s.missing)) {
      throw new SourceDriftError(
        'the source database has none of the totesys tables; point TOTESYS_URL at totesys, or seed it with `totes seed --from <dir>` or `totes seed --synthetic`',
      );
    }
    const results: TableIngestResult[] = [];
    // Tables this run does not read (skipped, or not asked for) keep their state as it was.
    const tableStates: Record<string, TableState> = { ...state.tables };
    for (const table of tables) {
      const shape = shapes.get(table.name) as TableShape;
      const skip = (error: TotesError) => {
        log.error('source table skipped; it keeps its capture point', { table: table.name, runId, error });
        results.push({ table: table.name, rows: 0, ops: noOps(), extraColumns: shape.extraColumns, error });
      };
      if (shape.drift) {
        skip(shape.drift);
        continue;
      }
      if (shape.extraColumns.length > 0) {
        log.warn('source table has columns the schema does not know; kept in raw', {
          table: table.name,
          columns: shape.extraColumns,
        });
      }
      const previous = state.tables[table.name];
      const capture = await readable(source, table, deps.lockTimeoutMs ?? 10_000, () =>
        captureTable({
          ...deps,
          table,
          runId,
          extractedAt: snapshot.extractedAt,
          horizon: snapshot.horizon,
          since: captureMode(tableHorizon(state, previous), snapshot.next, log, table.name),
          extraColumns: shape.extraColumns,
          previous,
          reconcileEvery: deps.reconcileEvery ?? 12,
        }),
      );
      if (capture instanceof TableUnreadableError) {
        skip(capture);
        continue;
      }
      results.push(capture.result);
      tableStates[table.name] = capture.state;
      log.info('table captured', {
        table: table.name,
        runId,
        rows: capture.result.rows,
        ops: capture.result.ops,
      });
    }

    const objects: RawObject[] = results.flatMap((r) =>
      r.key ? [{ table: r.table, key: r.key, rows: r.rows, ops: r.ops }] : [],
    );
    const seq = objects.length > 0 ? state.seq + 1 : state.seq;
    if (objects.length > 0) {
      const manifest: IngestManifest = { seq, runId, extractedAt: snapshot.extractedAt, objects };
      await writeIngestManifest(lake, manifest);
    }
    const next: IngestState = {
      version: 1,
      seq,
      lastRunId: runId,
      lastReadAt: snapshot.extractedAt,
      horizon: snapshot.horizon,
      tables: tableStates,
    };
    await commitIngestState(lake, next, version);
    return { runId, seq, changed: objects.length > 0, extractedAt: snapshot.extractedAt, tables: results };
  } finally {
    await source.query('ROLLBACK').catch(() => undefined);
  }
}

interface Snapshot {
  /** Oldest transaction still running (xid8): the next run's horizon. */
  readonly horizon: string;
  /** Next transaction id to be assigned (xid8). */
  readonly next: string;
  /** The snapshot's time, UTC. */
  readonly extractedAt: string;
}

async function readSnapshot(source: Client): Promise<Snapshot> {
  const { rows } = await source.query<{ horizon: string; next: string; extracted_at: string }>(
    `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon,
            pg_snapshot_xmax(pg_current_snapshot())::text AS next,
            to_char(now() AT TIME ZONE 'UTC', $1) AS extracted_at`,
    [TIMESTAMP_FORMAT],
  );
  const row = rows[0];
  if (!row) throw new IngestError('the source returned no snapshot information');
  return { horizon: row.horizon, next: row.next, extractedAt: row.extracted_at };
}

type Since = { readonly mode: 'all' } | { readonly mode: 'horizon'; readonly xid: string };

/**
 * Where a table's capture starts: its own horizon; for a state written before tables had
 * their own, the state's horizon if the table was read then; nothing (read every row) for a
 * table never read — one skipped since the first run included.
 */
function tableHorizon(state: IngestState, previous: TableState | undefined): string | undefined {
  if (previous === undefined) return undefined;
  return previous.horizon ?? state.horizon;
}

/** Reads from the table's horizon, or everything on its first read or after xid wraparound. */
function captureMode(horizon: string | undefined, next: string, log: Log, table: string): Since {
  if (horizon === undefined) return { mode: 'all' };
  if (BigInt(next) - BigInt(horizon) >= WRAPAROUND_MARGIN) {
    log.warn('more than 2^31 transactions since the last read: reading every row again (re-delivery)', {
      table,
      horizon,
      next,
    });
    return { mode: 'all' };
  }
  // age() works on 32-bit xids: the low half of the 64-bit xid8.
  return { mode: 'horizon', xid: (BigInt(horizon) % 2n ** 32n).toString() };
}

interface CaptureInput extends IngestDeps {
  readonly table: SourceTableDef;
  readonly runId: string;
  readonly extractedAt: string;
  /** This run's snapshot horizon: the table's capture point once it commits. */
  readonly horizon: string;
  readonly since: Since;
  readonly extraColumns: readonly string[];
  readonly previous: TableState | undefined;
  readonly reconcileEvery: number;
}

/** Captures one table: changed rows and tombstones into one raw object, and its new state. */
async function captureTable(input: CaptureInput): Promise<{ result: TableIngestResult; state: TableState }> {
  const { table, lake, runId, extractedAt, previous } = input;
  const known = previous?.keysKey ? await loadKeySet(lake, previous.keysKey, table.name) : KeySet.empty();
  const ops = noOps();
  const inserted: number[] = [];
  const meta = (op: ChangeOp) => `{"_op":"${op}","_run_id":"${runId}","_extracted_at":"${extractedAt}",`;

  // Deletes are found after the changed rows: which rows were inserted decides whether the
  // key fingerprint still adds up, and so whether the keys must be reconciled one by one.
  let keys: { current: KeySet; deleted: number[]; reconciled: boolean } | undefined;
  const findDeletes = async () => {
    keys = await reconcileKeys(input, known, inserted, probe);
    return keys.deleted;
  };
  const pkName = JSON.stringify(table.primaryKey);
  const tombstone = (id: number) => `${meta('d')}${pkName}:${id}}\n`;

  // An incremental run that will check the key fingerprint finds the changed rows and the
  // fingerprint in one pass, then reads only the changed rows' pages.
  const probe =
    input.since.mode === 'horizon' && previous?.keysKey !== undefined
      ? await probeTable(input, input.since.xid)
      : undefined;
  const byTid =
    probe !== undefined &&
    probe.tids !== undefined &&
    probe.changed <= (input.tidFetchLimit ?? TID_FETCH_LIMIT);
  const { sql, fields } = changedRowsCopySql(table, {
    since: byTid ? 'tids' : input.since.mode,
    withExtras: input.extraColumns.length > 0,
  });
  const transcoder = new CopyJsonLines(fields, {
    prefix: meta,
    opOf: (pk) => (known.has(pk) ? 'u' : 'c'),
    onRow: (pk, op) => {
      ops[op]++;
      if (op === 'c') inserted.push(pk);
    },
    highWaterField: table.columns.findIndex((c) => c.name === 'last_updated'),
  });
  await setCaptureParameters(input, byTid ? probe?.tids : undefined);
  const copy: AsyncIterable<Buffer> =
    probe?.changed === 0 ? Readable.from([]) : input.source.query(copyTo(sql));
  const chunks = copy[Symbol.asyncIterator]();
  // The first rows decide whether there is an object to write at all.
  let first: Buffer[] = [];
  let copyDone = false;
  while (first.length === 0 && !copyDone) {
    const next = await chunks.next();
    if (next.done) {
      copyDone = true;
      first = transcoder.end();
    } else first = transcoder.write(next.value);
  }
  let key: string | undefined;
  if (first.length > 0) {
    key = rawKey(table.name, extractedAt.slice(0, 10), runId);
    async function* lines(): AsyncGenerator<Buffer> {
      yield* first;
      if (!copyDone) {
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
          yield* transcoder.write(next.value);
        }
        yield* transcoder.end();
      }
      const deleted = await findDeletes();
      if (deleted.length > 0) {
        ops.d += deleted.length;
        yield Buffer.from(deleted.map(tombstone).join(''));
      }
    }
    await lake.put(key, Readable.from(lines()).pipe(createGzip({ level: 1, chunkSize: 1 << 16 })));
  } else {
    const deleted = await findDeletes();
    if (deleted.length > 0) {
      key = rawKey(table.name, extractedAt.slice(0, 10), runId);
      ops.d = deleted.length;
      await lake.put(key, gzipSync(deleted.map(tombstone).join(''), { level: 1 }));
    }
  }
  const previousHighWater = previous?.highWater;
  const rowsHighWater = transcoder.highWater;
  const highWater =
    rowsHighWater !== undefined && (previousHighWater === undefined || rowsHighWater > previousHighWater)
      ? rowsHighWater
      : previousHighWater;
  if (!keys)
    throw new IngestError(`key reconciliation of ${table.name} did not run`, {
      context: { table: table.name },
    });

  const keysChanged = !keys.current.equals(known) || previous?.keysKey === undefined;
  const keysKey = keysChanged ? keySetKey(table.name, runId) : previous?.keysKey;
  if (keysChanged && keysKey) await lake.put(keysKey, keys.current.encode());

  const rowsWritten = ops.c + ops.u + ops.d;
  return {
    result: {
      table: table.name,
      rows: rowsWritten,
      ops,
      extraColumns: input.extraColumns,
      ...(key ? { key } : {}),
    },
    state: {
      ...(keysKey ? { keysKey } : {}),
      horizon: input.horizon,
      rowCount: keys.current.size,
      fingerprint: keys.current.fingerprint(),
      runsSinceReconcile: keys.reconciled ? 0 : (previous?.runsSinceReconcile ?? 0) + 1,
      ...(highWater ? { highWater } : {}),
      ...(key
        ? { lastChangeAt: extractedAt }
        : previous?.lastChangeAt
          ? { lastChangeAt: previous.lastChangeAt }
          : {}),
      ...(input.extraColumns.length > 0 ? { extraColumns: input.extraColumns } : {}),
    },
  };
}

/**
 * The table's keys after this run and the keys deleted since the last one. Streaming every
 * key costs a pass over the primary key index, so it is done only when needed. Because the
 * capture sees every insert, the source's row count must equal the known keys plus this
 * run's inserts unless a row was deleted (the key sum is checked too); so the keys are read
 * one by one only when the fingerprint differs, on the first run, and every `reconcileEvery`
 * runs as a backstop against anything this reasoning missed.
 */
async function reconcileKeys(
  input: CaptureInput,
  known: KeySet,
  inserted: readonly number[],
  fingerprint: { readonly count: string; readonly sum: string } | undefined,
): Promise<{ current: KeySet; deleted: number[]; reconciled: boolean }> {
  const expected = known.withAdded(inserted);
  if (input.previous?.keysKey === undefined) return { current: expected, deleted: [], reconciled: true };
  const due = (input.previous.runsSinceReconcile ?? 0) + 1 >= input.reconcileEvery;
  if (!due) {
    const actual =
      fingerprint ??
      (await input.source.query<{ count: string; sum: string }>(keyFingerprintSql(input.table))).rows[0];
    const predicted = expected.fingerprint();
    if (actual?.count === predicted.count && actual?.sum === predicted.sum) {
      return { current: expected, deleted: [], reconciled: false };
    }
  }
  const current = KeySet.fromSorted(await readAllKeys(input.source, input.table));
  return { current, deleted: known.minus(current), reconciled: true };
}

/** The COPY's parameters, as transaction-local settings (see {@link CAPTURE_SETTINGS}). */
async function setCaptureParameters(input: CaptureInput, tids?: string): Promise<void> {
  const since = input.since.mode === 'horizon' ? input.since.xid : '';
  const known = JSON.stringify(input.table.columns.map((c) => c.name));
  await input.source.query(
    'SELECT set_config($1, $2, true), set_config($3, $4, true), set_config($5, $6, true)',
    [
      CAPTURE_SETTINGS.since,
      since,
      CAPTURE_SETTINGS.knownColumns,
      known,
      CAPTURE_SETTINGS.tids,
      tids ?? '{}',
    ],
  );
}

interface Probe {
  readonly count: string;
  readonly sum: string;
  readonly changed: number;
  readonly tids?: string;
}

/** The key fingerprint and the changed rows' TIDs of a table, in one pass ({@link captureProbeSql}). */
async function probeTable(input: CaptureInput, xid: string): Promise<Probe> {
  const { rows } = await input.source.query<{ count: string; sum: string; tids: string | null }>(
    captureProbeSql(input.table),
    [xid],
  );
  const row = rows[0];
  if (!row) throw new IngestError(`the capture probe of ${input.table.name} returned no row`);
  // Each TID is one "(block,offset)" in the array literal.
  const changed = row.tids ? row.tids.split('(').length - 1 : 0;
  return { count: row.count, sum: row.sum, changed, ...(row.tids ? { tids: row.tids } : {}) };
}

/** Every primary key of the table, ascending, streamed with COPY. */
async function readAllKeys(source: Client, table: SourceTableDef): Promise<Int32Array> {
  const stream = source.query(copyTo(allKeysCopySql(table)));
  let keys = new Int32Array(1024);
  let count = 0;
  let partial = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const lines = (partial + chunk.toString('latin1')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (count === keys.length) {
        const grown = new Int32Array(keys.length * 2);
        grown.set(keys);
        keys = grown;
      }
      keys[count++] = Number(line);
    }
  }
  return keys.slice(0, count);
}

async function loadKeySet(lake: LakeStore, key: string, table: string): Promise<KeySet> {
  const object = await lake.get(key);
  if (!object) {
    throw new IngestError(
      `the key set ${key} of ${table} is missing from ${lake.url}; the lake state is damaged — restore the object or reset the ingest state`,
      { context: { table, key } },
    );
  }
  try {
    return KeySet.decode(object.body);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw damagedDocument(
      lake,
      key,
      { what: `the key set of ${table}` },
      `cannot be decoded (${reason})`,
      cause,
    );
  }
}

const noOps = (): Record<ChangeOp, number> => ({ c: 0, u: 0, d: 0 });
