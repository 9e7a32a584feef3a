import { join } from 'node:path';
import { Client } from 'pg';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { openDuck, sqlString } from '../../../lambdas/kernel/duckdb/duckdb';
import { readIngestState } from '../../../lambdas/kernel/lake/documents/ingest-state';
import { readIngestManifest, readTransformManifest } from '../../../lambdas/kernel/lake/documents/manifests';
import { readTransformState } from '../../../lambdas/kernel/lake/documents/transform-state';
import { snapshotFolderOf } from '../../../lambdas/kernel/lake/layout';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { ident, type WarehouseTableDef, warehouseTables } from '../../../lambdas/kernel/schema';

/**
 * What a pipeline produced, in a form two runs can be compared by: per star table, the
 * sorted JSON of every row in the warehouse and in the curated lake. Excluded: the
 * warehouse's surrogate keys and the capture time `observed_at` (it is the clock of the run);
 * fact versions carry their number within their source row instead, so a duplicated or
 * missing version still shows.
 */
export interface PipelineSnapshot {
  readonly warehouse: Readonly<Record<string, readonly string[]>>;
  readonly lake: Readonly<Record<string, readonly string[]>>;
}

const compared = (t: WarehouseTableDef) =>
  t.columns.filter((c) => c.name !== 'observed_at').map((c) => c.name);

/** The warehouse's star tables, canonically rendered. */
async function warehouseRows(url: string): Promise<Record<string, string[]>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, string[]> = {};
    for (const t of warehouseTables) {
      const columns = compared(t).map(ident).join(', ');
      const version =
        t.kind === 'fact'
          ? `, row_number() OVER (PARTITION BY ${ident(t.naturalKey)} ORDER BY observed_at, ${ident(t.surrogateKey ?? t.naturalKey)}) AS version`
          : '';
      const { rows } = await client.query<{ r: string }>(
        `SELECT row_to_json(x)::text AS r FROM (SELECT ${columns}${version} FROM ${ident(t.name)}) x ORDER BY 1`,
      );
      out[t.name] = rows.map((r) => r.r);
    }
    return out;
  } finally {
    await client.end();
  }
}

/** The curated zone as a reader sees it: committed dimension snapshots, every fact file. */
async function lakeRows(root: string): Promise<Record<string, string[]>> {
  const lake = new LocalLakeStore(root);
  const { state } = await readTransformState(lake);
  const duck = await openDuck({ memoryLimit: '512MB', threads: 1 });
  try {
    const out: Record<string, string[]> = {};
    for (const t of warehouseTables) {
      const columns = compared(t).map(ident).join(', ');
      let from: string;
      if (t.kind === 'fact') {
        from = `read_parquet(${sqlString(join(root, 'curated', t.name, 'dt=*', '*.parquet'))}, hive_partitioning = false, union_by_name = true)`;
      } else {
        const key = state.dimensions[t.name];
        if (key === undefined) {
          out[t.name] = [];
          continue;
        }
        from = `read_parquet(${sqlString(join(lake.localPath(snapshotFolderOf(key).slice(0, -1)), '*.parquet'))})`;
      }
      const version =
        t.kind === 'fact'
          ? `, row_number() OVER (PARTITION BY ${ident(t.naturalKey)} ORDER BY observed_at) AS version`
          : '';
      const result = await duck
        .all(`SELECT to_json(x)::VARCHAR FROM (SELECT ${columns}${version} FROM ${from}) x ORDER BY 1`)
        .catch((error: unknown) => {
          // No fact file yet is an empty table, not an error.
          if (String(error).includes('No files found')) return { columns: [], rows: [] };
          throw error;
        });
      out[t.name] = result.rows.map((r) => String(r[0]));
    }
    return out;
  } finally {
    duck.close();
  }
}

/** Reads the snapshot of a pipeline whose lake is the folder `lakeRoot`. */
export async function pipelineSnapshot(lakeRoot: string, warehouseUrl: string): Promise<PipelineSnapshot> {
  return { warehouse: await warehouseRows(warehouseUrl), lake: await lakeRows(lakeRoot) };
}

/** Per table: rows only one side has (first few), and the counts — empty when equal. */
export function differences(actual: PipelineSnapshot, expected: PipelineSnapshot): string[] {
  const problems: string[] = [];
  for (const zone of ['warehouse', 'lake'] as const) {
    for (const t of warehouseTables) {
      const a = actual[zone][t.name] ?? [];
      const e = expected[zone][t.name] ?? [];
      if (a.length === e.length && a.every((r, i) => r === e[i])) continue;
      const expectedSet = new Set(e);
      const actualSet = new Set(a);
      const extra = a.filter((r) => !expectedSet.has(r)).slice(0, 3);
      const missing = e.filter((r) => !actualSet.has(r)).slice(0, 3);
      problems.push(
        `${zone} ${t.name}: ${a.length} rows, expected ${e.length}; extra ${JSON.stringify(extra)}; missing ${JSON.stringify(missing)}`,
      );
    }
  }
  return problems;
}

/**
 * The invariants a converged pipeline keeps, whatever happened before: the ledger holds
 * batches 1..n once each, n = the committed transform batch, with the manifests' batch ids
 * and row counts; no fact version twice (same source row, same capture time) in the lake or
 * the warehouse; every fact file in the curated zone belongs to a committed batch and every
 * file a batch names exists; the catalog points at the committed snapshots; every ingest
 * manifest up to the committed one is there. Returns the violations (empty = consistent).
 */
export async function inconsistencies(lakeRoot: string, warehouseUrl: string): Promise<string[]> {
  const lake = new LocalLakeStore(lakeRoot);
  const problems: string[] = [];
  const { state: ingest } = await readIngestState(lake);
  for (let s = 1; s <= ingest.seq; s++) {
    await readIngestManifest(lake, s).catch(() => problems.push(`ingest manifest ${s} missing`));
  }
  const { state } = await readTransformState(lake);
  if (state.ingestSeq !== ingest.seq)
    problems.push(`transform consumed ingest ${state.ingestSeq} of ${ingest.seq}`);
  const named = new Set<string>();
  const factRows: Record<string, number> = {};
  const batchIds: string[] = [];
  for (let s = 1; s <= state.seq; s++) {
    const m = await readTransformManifest(lake, s);
    batchIds.push(m.batchId);
    for (const o of [...m.facts, ...m.dimensions, ...m.quarantine]) named.add(o.key);
    for (const o of m.facts) factRows[o.table] = (factRows[o.table] ?? 0) + o.rows;
  }
  for (const key of named) if (!(await lake.get(key))) problems.push(`named but missing: ${key}`);
  for await (const key of lake.list('curated/')) {
    if (key.includes('/dt=') && !named.has(key)) problems.push(`fact file of no committed batch: ${key}`);
  }
  const catalog = new LocalCatalog(lake);
  for (const [dim, key] of Object.entries(state.dimensions)) {
    const pointer = await catalog.currentDimension(dim);
    if (pointer === undefined || !key.startsWith(pointer))
      problems.push(`catalog ${dim} → ${pointer}, state ${key}`);
  }

  const client = new Client({ connectionString: warehouseUrl });
  await client.connect();
  try {
    const { rows: ledger } = await client.query<{ batch_seq: number; batch_id: string; row_counts: unknown }>(
      'SELECT batch_seq, batch_id, row_counts FROM etl.load_log ORDER BY batch_seq',
    );
    const seqs = ledger.map((r) => Number(r.batch_seq));
    const want = Array.from({ length: state.seq }, (_, i) => i + 1);
    if (JSON.stringify(seqs) !== JSON.stringify(want))
      problems.push(`ledger ${JSON.stringify(seqs)}, want 1..${state.seq}`);
    if (JSON.stringify(ledger.map((r) => r.batch_id)) !== JSON.stringify(batchIds)) {
      problems.push('ledger batch ids differ from the committed manifests');
    }
    for (const t of warehouseTables.filter((w) => w.kind === 'fact')) {
      const { rows } = await client.query<{ n: string; dup: string }>(
        `SELECT count(*) AS n, count(*) - count(DISTINCT (${ident(t.naturalKey)}, observed_at)) AS dup FROM ${ident(t.name)}`,
      );
      const n = Number(rows[0]?.n);
      if (Number(rows[0]?.dup) !== 0)
        problems.push(`${t.name}: ${rows[0]?.dup} duplicate versions in the warehouse`);
      if (n !== (factRows[t.name] ?? 0))
        problems.push(`${t.name}: warehouse ${n}, manifests ${factRows[t.name] ?? 0}`);
    }
  } finally {
    await client.end();
  }
  return problems;
}
