import type { Client } from 'pg';
import { readIngestState } from '../../lambdas/kernel/lake/documents/ingest-state';
import { readTransformState } from '../../lambdas/kernel/lake/documents/transform-state';
import type { LakeStore } from '../../lambdas/kernel/lake/lake-store';
import { LAST_RUN_KEY } from '../../lambdas/kernel/lake/layout';
import { ident, sourceTables, warehouseTables } from '../../lambdas/kernel/schema';
import type { RunRecord } from './run-pipeline';

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
  /** The last pipeline run (`totes run`/`watch`), if any. */
  readonly lastRun?: RunRecord;
}

/**
 * Reads the pipeline's state from the lake (and the warehouse, when given) without changing
 * anything: what `totes status` prints and what the freshness alarm measures.
 */
export async function pipelineStatus(deps: {
  lake: LakeStore;
  warehouse?: Client;
  clock?: () => Date;
}): Promise<PipelineStatus> {
  const now = (deps.clock ?? (() => new Date()))();
  const { state: ingest } = await readIngestState(deps.lake);
  const { state: transform } = await readTransformState(deps.lake);
  const load = deps.warehouse ? await loadPosition(deps.warehouse) : undefined;
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
    ...(deps.warehouse ? { warehouseTables: await warehouseCounts(deps.warehouse, minutesSince) } : {}),
    ...opt('lastRun', await readLastRun(deps.lake)),
  };
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

async function readLastRun(lake: LakeStore): Promise<RunRecord | undefined> {
  const object = await lake.get(LAST_RUN_KEY);
  return object ? (JSON.parse(object.body.toString('utf8')) as RunRecord) : undefined;
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
