import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { createSourceSchema, seedFromSnapshot } from '../../../app/totesys/seed';
import { ingest } from '../../../lambdas/ingest/ingest';
import { connectPg } from '../../../lambdas/kernel/db/connect';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';
import { sourceTable, sourceTables } from '../../../lambdas/kernel/schema';
import {
  type SimulatedSource,
  simulatedSource,
  touched,
  writeSnapshotFolder,
} from '../../support/generated-source';
import { type RawRow, readRaw } from '../../support/lake-reader';
import { createTestDatabase } from '../../support/pg';
import type { SourceRow } from '../../support/raw-fixtures';

const OP = { insert: 'c', update: 'u', delete: 'd' } as const;

/** The rows of `table` that the ingest run `runId` wrote, by primary key. */
async function captured(lake: LocalLakeStore, table: string, runId: string): Promise<Map<number, RawRow>> {
  const pk = sourceTable(table).primaryKey;
  return new Map(
    (await readRaw(lake, table)).filter((r) => r._run_id === runId).map((r) => [Number(r[pk]), r]),
  );
}

/** A raw row without its lineage columns. */
function values(row: RawRow | undefined): SourceRow | undefined {
  if (!row) return undefined;
  const { _op, _run_id, _extracted_at, ...rest } = row;
  return rest;
}

describe('ingest of a generated totesys with simulated change traffic', () => {
  let dir: string;
  let lake: LocalLakeStore;
  let source: SimulatedSource;
  let second: { runId: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-simulated-'));
    lake = new LocalLakeStore(join(dir, 'lake'));
    source = await simulatedSource({
      scale: 2_000,
      changes: 300,
      beforeChanges: (client) => ingest({ source: client, lake, log: silentLog }),
    });
    second = await ingest({ source: source.client, lake, log: silentLog });
  });

  afterAll(async () => {
    await source.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('captures exactly the rows the simulation touched, each with its operation', async () => {
    for (const table of sourceTables) {
      const rows = await captured(lake, table.name, second.runId);
      const expected = new Map<number, string>();
      for (const e of source.simulation.effects.filter((e) => e.table === table.name)) {
        for (const key of e.keys) expected.set(key, OP[e.op]);
      }
      expect({ table: table.name, ops: new Map([...rows].map(([k, r]) => [k, r._op])) }).toEqual({
        table: table.name,
        ops: expected,
      });
    }
  });

  it('captures the new values of every row, in place edits and ON DELETE SET NULL rewrites included', async () => {
    for (const table of sourceTables) {
      const rows = await captured(lake, table.name, second.runId);
      const pk = table.primaryKey;
      for (const after of source.after[table.name] ?? []) {
        const row = rows.get(Number(after[pk]));
        if (row) expect({ table: table.name, row: values(row) }).toEqual({ table: table.name, row: after });
      }
    }
    // The changes that leave last_updated alone are the ones a high-water mark alone would miss.
    expect(
      touched(source.simulation, 'sales_order', 'update', { bumpsLastUpdated: false }).length,
    ).toBeGreaterThan(0);
    expect(
      touched(source.simulation, 'design', 'update', { bumpsLastUpdated: false }).length,
    ).toBeGreaterThan(0);
    const orphaned = touched(source.simulation, 'transaction', 'update', { bumpsLastUpdated: false });
    const rewritten = await captured(lake, 'transaction', second.runId);
    expect(orphaned.map((id) => rewritten.get(id)?.sales_order_id)).toEqual(orphaned.map(() => null));
  });

  it('writes a delete as a tombstone carrying only the key', async () => {
    const deleted = touched(source.simulation, 'sales_order', 'delete');
    expect(deleted.length).toBeGreaterThan(0);
    const rows = await captured(lake, 'sales_order', second.runId);
    for (const id of deleted) expect(values(rows.get(id))).toEqual({ sales_order_id: id });
  });
});

/**
 * What the real May → Nov 2024 exports show, made with the generator: an earlier export, and
 * a later one in which some rows changed while last_updated stayed equal. Loading the later
 * one over the earlier with `--upsert` keeps last_updated as in the file, so only a capture
 * that compares values finds those changes.
 */
describe('ingest after a later export is upserted over an earlier one', () => {
  let dir: string;
  let history: SimulatedSource;
  let db: { url: string; drop(): Promise<void> };
  let client: Client;
  let lake: LocalLakeStore;
  let runId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-upsert-'));
    history = await simulatedSource({ scale: 1_500, changes: 300, seed: 21 });
    await writeSnapshotFolder(join(dir, 'earlier'), history.before, 'json-array');
    await writeSnapshotFolder(join(dir, 'later'), history.after, 'jsonl');
    db = await createTestDatabase('upsert');
    client = await connectPg(db.url, 'source');
    lake = new LocalLakeStore(join(dir, 'lake'));
    await createSourceSchema(client);
    await seedFromSnapshot(client, join(dir, 'earlier'));
    await ingest({ source: client, lake, log: silentLog });
    await seedFromSnapshot(client, join(dir, 'later'), { upsert: true });
    runId = (await ingest({ source: client, lake, log: silentLog })).runId;
  });

  afterAll(async () => {
    await client.end();
    await db.drop();
    await history.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['sales_order', 'units_sold, design, staff, location or delivery date'],
    ['design', 'name and file name'],
    ['transaction', 'sales order set to NULL'],
  ])('captures every %s changed in place (%s) with the new values', async (table) => {
    const inPlace = touched(history.simulation, table, 'update', { bumpsLastUpdated: false });
    expect(inPlace.length).toBeGreaterThan(0);
    const rows = await captured(lake, table, runId);
    const pk = sourceTable(table).primaryKey;
    const after = new Map((history.after[table] ?? []).map((r) => [Number(r[pk]), r]));
    const before = new Map((history.before[table] ?? []).map((r) => [Number(r[pk]), r]));
    for (const id of inPlace) {
      expect({ id, op: rows.get(id)?._op }).toEqual({ id, op: 'u' });
      expect(values(rows.get(id))).toEqual(after.get(id));
      expect(rows.get(id)?.last_updated).toBe(before.get(id)?.last_updated);
    }
  });
});
