import type { Client } from 'pg';
import { readIngestState } from '../../lambdas/kernel/lake/documents/ingest-state';
import { isHeld, readLease } from '../../lambdas/kernel/lake/documents/lease';
import { type RunRecord, readRunHistory } from '../../lambdas/kernel/lake/documents/run-history';
import { readTransformState } from '../../lambdas/kernel/lake/documents/transform-state';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';
import { redact } from '../../lambdas/kernel/redact';
import { ident, sourceTables, warehouseTables } from '../../lambdas/kernel/schema';
import type { ClientSource } from './run-pipeline';

/** Where one source table stands. */
export interface SourceTableStatus {
  readonly table: string;
  /** Rows in the source at the last read. */
  readonly rows: number | undefined;
  /** Highest `last_updated` seen in the source. */
  readonly highWater: string | undefined;
  /** When the last change of this table was captured. */
  readonly lastChangeAt: string | undefined;
}

/** Where one star-schema table stands in the warehouse. */
export interface WarehouseTableStatus {
  readonly table: string;
  /** Rows (for facts: every version). */
  readonly rows: number;
  /** Facts: source rows in their current state (latest version, not deleted). */
  readonly current?: number;
  /** When a loaded batch last wrote rows to this table. */
  readonly lastLoadedAt?: string;
  /** Minutes since then. */
  readonly freshnessMinutes?: number;
}

/** The pipeline's position, stage by stage, and the freshness of the data. */
export interface PipelineStatus {
  readonly ingest: { readonly seq: number; readonly lastRunId?: string; readonly lastReadAt?: string };
  readonly transform: { readonly seq: number; readonly ingestSeq: number; readonly committedAt?: string };
  readonly load?: { readonly seq: number; readonly loadedAt?: string };
  /** Ingest runs not yet transformed, batches not yet loaded. */
  readonly backlog: { readonly transform: number; readonly load?: number };
  /** Minutes since the source was last read and since the warehouse last received a batch. */
  readonly freshnessMinutes: { readonly ingest?: number; readonly load?: number };
  readonly sourceTables: readonly SourceTableStatus[];
  readonly warehouseTables?: readonly WarehouseTableStatus[];
  /** The last pipeline run (`totes run`/`watch`), failed or not, if any. */
  readonly lastRun?: RunRecord;
  /** When the last run that succeeded finished. */
  readonly lastSucceededAt?: string;
  /** The runs that failed since the last one that succeeded, newest first. */
  readonly failedRuns: readonly RunRecord[];
  /** A run holding the pipeline lease right now. */
  readonly running?: { readonly holder: string; readonly purpose?: string; readonly until: string };
  /** Why the warehouse side is missing: it could not be reached or read. */
  readonly warehouseError?: string;
  /** Whether the pipeline is healthy, and if not, what is wrong and what to do. */
  readonly health: { readonly healthy: boolean; readonly problems: readonly HealthProblem[] };
}

/** One reason the pipeline is not healthy. */
export interface HealthProblem {
  readonly problem: string;
  /** When it happened (a failed run's end). */
  readonly at?: string;
  readonly hint: string;
}

/**
 * Reads the pipeline's state from the lake (and the warehouse, when given) without changing
 * anything: what `totes status` prints and what the freshness alarm measures. A warehouse that
 * cannot be reached or read is reported (`warehouseError`, a health problem) with the lake
 * side complete; a function for `warehouse` is called to connect (and its client ended).
 */
export async function pipelineStatus(deps: {
  lake: LakeStore;
  warehouse?: ClientSource;
  clock?: () => Date;
}): Promise<PipelineStatus> {
  const now = (deps.clock ?? (() => new Date()))();
  const { state: ingest } = await readIngestState(deps.lake);
  const { state: transform } = await readTransformState(deps.lake);
  const runs = await readRunHistory(deps.lake);
  const lease = (await readLease(deps.lake))?.value;
  const side = deps.warehouse === undefined ? undefined : await warehouseSide(deps.warehouse, now);
  const load = side?.load;
  const minutesSince = (iso: string | undefined) =>
    iso === undefined
      ? undefined
      : Math.max(
          0,
          (now.getTime() - Date.parse(iso.endsWith('Z') || iso.includes('+') ? iso : `${iso}Z`)) / 60_000,
        );
  return {
    ingest: {
      seq: ingest.seq,
      ...opt('lastRunId', ingest.lastRunId),
      ...opt('lastReadAt', ingest.lastReadAt),
    },
    transform: {
      seq: transform.seq,
      ingestSeq: transform.ingestSeq,
      ...opt('committedAt', transform.committedAt),
    },
    ...(load ? { load } : {}),
    backlog: {
      transform: ingest.seq - transform.ingestSeq,
      ...(load ? { load: transform.seq - load.seq } : {}),
    },
    freshnessMinutes: {
      ...opt('ingest', minutesSince(ingest.lastReadAt)),
      ...opt('load', minutesSince(load?.loadedAt)),
    },
    sourceTables: sourceTables.map((t) => {
      const s = ingest.tables[t.name];
      return { table: t.name, rows: s?.rowCount, highWater: s?.highWater, lastChangeAt: s?.lastChangeAt };
    }),
    ...(side?.tables ? { warehouseTables: side.tables } : {}),
    ...history(runs),
    ...(lease && isHeld(lease, now)
      ? { running: { holder: lease.holder, ...opt('purpose', lease.purpose), until: lease.expiresAt } }
      : {}),
    ...opt('warehouseError', side?.error),
    health: health(runs, side?.error),
  };
}

/** The warehouse's position and tables, or why they cannot be read. */
async function warehouseSide(
  source: ClientSource,
  now: Date,
): Promise<{ load?: { seq: number; loadedAt?: string }; tables?: WarehouseTableStatus[]; error?: string }> {
  let client: Client | undefined;
  try {
    client = typeof source === 'function' ? await source() : source;
    const load = await loadPosition(client);
    const minutesSince = (iso: string | undefined) =>
      iso === undefined ? undefined : Math.max(0, (now.getTime() - Date.parse(iso)) / 60_000);
    return { ...(load ? { load } : {}), tables: await warehouseCounts(client, minutesSince) };
  } catch (error) {
    return { error: redact(error instanceof Error ? error.message : String(error)) };
  } finally {
    if (typeof source === 'function') await client?.end().catch(() => undefined);
  }
}

function history(
  runs: readonly RunRecord[],
): Pick<PipelineStatus, 'lastRun' | 'lastSucceededAt' | 'failedRuns'> {
  const lastGood = runs.findIndex((r) => r.status === 'succeeded');
  const failedRuns = (lastGood === -1 ? runs : runs.slice(0, lastGood)).filter((r) => r.status === 'failed');
  return {
    ...opt('lastRun', runs[0]),
    ...opt('lastSucceededAt', runs[lastGood]?.finishedAt),
    failedRuns,
  };
}

/** Healthy: the last run succeeded with every table read, and the warehouse answers. */
function health(runs: readonly RunRecord[], warehouseError: string | undefined): PipelineStatus['health'] {
  const problems: HealthProblem[] = [];
  const last = runs[0];
  if (last?.status === 'failed') {
    for (const stage of last.stages.filter((s) => s.status === 'failed')) {
      problems.push({
        problem: `the last run failed in the ${stage.stage} stage: ${stage.error ?? 'unknown error'}`,
        at: last.finishedAt,
        hint: stage.hint ?? 'run totes run again; totes run -v logs the detail',
      });
    }
    if (!last.stages.some((s) => s.status === 'failed')) {
      problems.push({
        problem: `the last run failed${last.failedStage ? ` in the ${last.failedStage} stage` : ''}: ${last.error ?? 'unknown error'}`,
        at: last.finishedAt,
        hint: last.hint ?? 'run totes run again; totes run -v logs the detail',
      });
    }
  }
  if (last?.skippedTables?.length) {
    problems.push({
      problem: `the last run could not read ${last.skippedTables.join(', ')}`,
      at: last.finishedAt,
      hint: 'see the note of each table in the output of totes run; its changes are captured once it can be read',
    });
  }
  if (warehouseError !== undefined) {
    problems.push({
      problem: `the warehouse cannot be reached or read: ${warehouseError}`,
      hint: 'check WAREHOUSE_URL and that the server is up; the lake side shown is current',
    });
  }
  return { healthy: problems.length === 0, problems };
}

/** The health lines of `totes status`: `healthy`, or each problem with when and what to do. */
export function renderHealth(status: PipelineStatus): string {
  const { health: h } = status;
  const running = status.running
    ? `\nrunning:   ${status.running.purpose ?? 'a run'} (${status.running.holder}), lease until ${status.running.until}`
    : '';
  if (h.healthy) return `health:    healthy${running}`;
  const lines = h.problems.map(
    (p) => `  - ${p.problem}${p.at ? ` (at ${p.at})` : ''}\n    what to do: ${p.hint}`,
  );
  const earlier =
    status.failedRuns.length > 1
      ? `\n  ${status.failedRuns.length} runs failed since ${status.lastSucceededAt ? `the last good one at ${status.lastSucceededAt}` : 'the history began'}`
      : '';
  return `health:    NOT HEALTHY${running}\n${lines.join('\n')}${earlier}`;
}

const opt = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

async function loadPosition(warehouse: Client): Promise<{ seq: number; loadedAt?: string } | undefined> {
  const exists = await warehouse.query(`SELECT to_regclass('etl.load_log') IS NOT NULL AS ok`);
  if (!exists.rows[0]?.ok) return { seq: 0 };
  const { rows } = await warehouse.query<{ seq: number; loaded_at: Date | null }>(
    'SELECT coalesce(max(batch_seq), 0)::int AS seq, max(loaded_at) AS loaded_at FROM etl.load_log',
  );
  const row = rows[0];
  return { seq: row?.seq ?? 0, ...(row?.loaded_at ? { loadedAt: row.loaded_at.toISOString() } : {}) };
}

/** Per table, when a batch last wrote rows to it (from the ledger's row counts). */
async function lastLoads(warehouse: Client): Promise<Map<string, string>> {
  const exists = await warehouse.query(`SELECT to_regclass('etl.load_log') IS NOT NULL AS ok`);
  if (!exists.rows[0]?.ok) return new Map();
  const { rows } = await warehouse.query<{ table_name: string; loaded_at: Date }>(
    `SELECT c.key AS table_name, max(l.loaded_at) AS loaded_at
       FROM etl.load_log l CROSS JOIN LATERAL jsonb_each_text(l.row_counts) c
      WHERE c.value::bigint > 0 GROUP BY c.key`,
  );
  return new Map(rows.map((r) => [r.table_name, r.loaded_at.toISOString()]));
}

async function warehouseCounts(
  warehouse: Client,
  minutesSince: (iso: string | undefined) => number | undefined,
): Promise<WarehouseTableStatus[]> {
  const result: WarehouseTableStatus[] = [];
  const loads = await lastLoads(warehouse);
  for (const table of warehouseTables) {
    const exists = await warehouse.query('SELECT to_regclass($1) IS NOT NULL AS ok', [
      `public.${table.name}`,
    ]);
    if (!exists.rows[0]?.ok) continue;
    const key = ident(table.naturalKey);
    const sql =
      table.kind === 'fact'
        ? `SELECT count(*)::int AS rows, (SELECT count(*)::int FROM (
             SELECT DISTINCT ON (${key}) is_deleted FROM ${ident(table.name)}
              ORDER BY ${key}, observed_at DESC, ${ident(table.surrogateKey ?? table.naturalKey)} DESC) v
            WHERE NOT is_deleted) AS current FROM ${ident(table.name)}`
        : `SELECT count(*)::int AS rows FROM ${ident(table.name)}`;
    const { rows } = await warehouse.query<{ rows: number; current?: number }>(sql);
    const lastLoadedAt = loads.get(table.name);
    result.push({
      table: table.name,
      rows: rows[0]?.rows ?? 0,
      ...opt('current', rows[0]?.current),
      ...opt('lastLoadedAt', lastLoadedAt),
      ...opt('freshnessMinutes', minutesSince(lastLoadedAt)),
    });
  }
  return result;
}
