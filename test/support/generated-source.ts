import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import { type GeneratedTable, SyntheticSource, syntheticPlan } from '../../app/totesys/generator';
import { createSourceSchema } from '../../app/totesys/seed';
import { type SimulationResult, simulateChanges } from '../../app/totesys/simulate';
import { seedSynthetic } from '../../app/totesys/synthetic';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { ident, sourceTable, sourceTables } from '../../lambdas/kernel/schema';
import { factSourceTables } from '../../lambdas/kernel/schema/lineage';
import { createTestDatabase } from './pg';
import { inserts, type RawChange, type SourceRow, toRawContract } from './raw-fixtures';

/**
 * The reference tables: sources of no fact that reference no fact source (addresses, staff,
 * designs…), whose rows a fact needs before it can be published.
 */
export const referenceSources: readonly string[] = sourceTables
  .filter((t) => !factSourceTables.includes(t.name))
  .filter((t) => !t.columns.some((c) => c.references && factSourceTables.includes(c.references.table)))
  .map((t) => t.name);

/*
 * Test data from the project's own generator (app/totesys/generator/) and change
 * simulator (app/totesys/simulate.ts), so `npm test` needs no real export: the generator has
 * the shape of the real data, and the simulator makes what the real history shows — edits
 * that keep last_updated, deletes whose ON DELETE SET NULL rewrites transaction rows.
 */

/** Sales orders of the default fixture: as many as the real Nov 2024 export has. */
export const FIXTURE_SCALE = 11_187;

const generated = new Map<string, SourceRow[]>();

/** Every row of `table` the generator makes for `scale` sales orders, in the raw contract. */
export function generatedRows(table: string, scale = FIXTURE_SCALE, seed = 1): SourceRow[] {
  const key = `${table}|${scale}|${seed}`;
  let rows = generated.get(key);
  if (!rows) {
    const source = new SyntheticSource(syntheticPlan(scale, seed));
    const found = source.tables().find((t) => t.table === table);
    if (!found) throw new Error(`the generator makes no table ${table}`);
    rows = decode(found);
    generated.set(key, rows);
  }
  return rows.map((r) => ({ ...r }));
}

/** The generated row of `table` with primary key `id`. */
export function generatedRow(table: string, id: number, scale = FIXTURE_SCALE): SourceRow {
  const pk = sourceTable(table).primaryKey;
  const row = generatedRows(table, scale).find((r) => r[pk] === id);
  if (!row) throw new Error(`the generator made no ${table} row ${id} at scale ${scale}`);
  return row;
}

/** A whole generated source as one run's inserts, every table. */
export function generatedSnapshotChanges(scale = FIXTURE_SCALE): Record<string, RawChange[]> {
  return Object.fromEntries(sourceTables.map((t) => [t.name, inserts(generatedRows(t.name, scale))]));
}

/** Rows of a generated table, from the COPY text lines the seed streams into PostgreSQL. */
function decode(table: GeneratedTable): SourceRow[] {
  const def = sourceTable(table.table);
  const types = new Map(def.columns.map((c) => [c.name, c.type]));
  const rows: SourceRow[] = [];
  for (const line of table.lines()) {
    const fields = line.replace(/\n$/, '').split('\t');
    const row: SourceRow = {};
    table.columns.forEach((column, i) => {
      const text = fields[i] ?? '\\N';
      const type = types.get(column);
      if (text === '\\N') row[column] = null;
      else if (type === 'int' || type === 'serial') row[column] = Number(text);
      else if (type === 'boolean') row[column] = text === 't';
      else row[column] = text.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c);
    });
    rows.push(toRawContract(table.table, row));
  }
  return rows;
}

/** What PostgreSQL's text form of each logical type is turned into, to read rows as the raw contract. */
function selectList(table: string): string {
  return sourceTable(table)
    .columns.map((c) => {
      const name = ident(c.name);
      if (c.type === 'timestamp') return `to_char(${name}, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS ${name}`;
      if (c.type === 'int' || c.type === 'serial' || c.type === 'boolean') return name;
      return `${name}::text AS ${name}`;
    })
    .join(', ');
}

/** Every row of `table` in the source now, by primary key, in the raw contract. */
export async function sourceRows(client: Client, table: string): Promise<SourceRow[]> {
  const pk = ident(sourceTable(table).primaryKey);
  const { rows } = await client.query<SourceRow>(
    `SELECT ${selectList(table)} FROM ${ident(table)} ORDER BY ${pk}`,
  );
  return rows;
}

/** Every table of the source now, in the raw contract. */
export async function sourceSnapshot(client: Client): Promise<Record<string, SourceRow[]>> {
  const out: Record<string, SourceRow[]> = {};
  for (const t of sourceTables) out[t.name] = await sourceRows(client, t.name);
  return out;
}

/** A generated source, seeded, then changed by the simulator, with its state before and after. */
export interface SimulatedSource {
  readonly url: string;
  readonly client: Client;
  /** Every table right after the seed. */
  readonly before: Record<string, SourceRow[]>;
  /** Every table after the simulated changes. */
  readonly after: Record<string, SourceRow[]>;
  readonly simulation: SimulationResult;
  cleanup(): Promise<void>;
}

/**
 * Seeds a fresh source with `scale` generated sales orders, calls `beforeChanges` (e.g. to run
 * an ingest on the seeded state), then makes `changes` simulated changes.
 */
export async function simulatedSource(options: {
  scale: number;
  changes: number;
  seed?: number;
  beforeChanges?: (client: Client) => Promise<unknown>;
}): Promise<SimulatedSource> {
  const db = await createTestDatabase('gen');
  const client = await connectPg(db.url, 'source');
  await createSourceSchema(client);
  await seedSynthetic(client, { scale: options.scale, seed: 1 });
  const before = await sourceSnapshot(client);
  await options.beforeChanges?.(client);
  const simulation = await simulateChanges(client, { changes: options.changes, seed: options.seed ?? 7 });
  const after = await sourceSnapshot(client);
  return {
    url: db.url,
    client,
    before,
    after,
    simulation,
    cleanup: async () => {
      await client.end();
      await db.drop();
    },
  };
}

/** Primary keys the simulation touched in `table` with `op`, optionally only those that kept last_updated. */
export function touched(
  simulation: SimulationResult,
  table: string,
  op: 'insert' | 'update' | 'delete',
  filter: { bumpsLastUpdated?: boolean } = {},
): number[] {
  return simulation.effects
    .filter(
      (e) =>
        e.table === table &&
        e.op === op &&
        (filter.bumpsLastUpdated === undefined || e.bumpsLastUpdated === filter.bumpsLastUpdated),
    )
    .flatMap((e) => e.keys)
    .sort((a, b) => a - b);
}

/**
 * The three shapes of the real exports (shared/totesys-data/README.md), so the snapshot loader
 * meets each quirk without the real files:
 * - `jsonl`: JSON Lines, money as JSON floats, timestamps `YYYY-MM-DDTHH:MM:SS.ffffff`;
 * - `jsonl-whole-seconds`: the same, but a timestamp whose fraction is 0 has none
 *   (Python's `isoformat()`), and no payment file;
 * - `json-array`: one JSON array per table, money as strings, timestamps with a space.
 */
export type SnapshotStyle = 'jsonl' | 'jsonl-whole-seconds' | 'json-array';

/** Writes `tables` (raw contract rows) as a snapshot folder in the given style. */
export async function writeSnapshotFolder(
  dir: string,
  tables: Readonly<Record<string, readonly SourceRow[]>>,
  style: SnapshotStyle,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [table, rows] of Object.entries(tables)) {
    if (style === 'jsonl-whole-seconds' && table === 'payment') continue;
    const records = rows.map((row) => exportRecord(table, row, style));
    const text =
      style === 'json-array'
        ? `[${records.map((r) => JSON.stringify(r)).join(',\n')}]\n`
        : `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
    await writeFile(join(dir, style === 'json-array' ? `${table}.json` : `${table}.jsonl`), text);
  }
}

function exportRecord(table: string, row: SourceRow, style: SnapshotStyle): SourceRow {
  const out: SourceRow = {};
  for (const column of sourceTable(table).columns) {
    const value = row[column.name] ?? null;
    if (value === null) out[column.name] = null;
    else if (column.type === 'money')
      out[column.name] = style === 'json-array' ? String(value) : Number(value);
    else if (column.type === 'timestamp') out[column.name] = exportTimestamp(String(value), style);
    else out[column.name] = value;
  }
  return out;
}

/** `2022-11-03T14:20:52.186` as the given export wrote it. */
function exportTimestamp(text: string, style: SnapshotStyle): string {
  const [date, time = ''] = text.split('T');
  const [hms, ms = '000'] = time.split('.');
  if (style === 'jsonl-whole-seconds' && ms === '000') return `${date}T${hms}`;
  return `${date}${style === 'json-array' ? ' ' : 'T'}${hms}.${ms}000`;
}
