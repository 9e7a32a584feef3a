import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createSourceSchema, seedFromSnapshot } from '../../../app/totesys/seed';
import { ingest } from '../../../lambdas/ingest/ingest';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';
import { readRaw } from '../../support/lake-reader';
import { createTestDatabase } from '../../support/pg';
import { MAY_DIR, NOV_DIR } from '../support/real-data';

const MAY = MAY_DIR;
const NOV = NOV_DIR;

type Row = Record<string, unknown>;

/** The rows of one snapshot file, keyed by id (JSON array or JSON Lines). */
function snapshotRows(path: string, pk: string): Map<number, Row> {
  const text = readFileSync(path, 'utf8').trim();
  const rows = (
    text.startsWith('[') ? JSON.parse(text) : text.split('\n').map((l) => JSON.parse(l))
  ) as Row[];
  return new Map(rows.map((r) => [Number(r[pk]), r]));
}

/** A value as the source stores it: money to the cent, timestamps to the millisecond. */
function normalise(column: string, value: unknown): unknown {
  if (value === null) return null;
  if (column === 'created_at' || column === 'last_updated') {
    const [date, time = ''] = String(value).replace(' ', 'T').split('T');
    const [hms = '', fraction = ''] = time.split('.');
    return `${date}T${hms}.${fraction.padEnd(3, '0').slice(0, 3)}`;
  }
  if (column === 'unit_price') return Number(value).toFixed(2);
  return value;
}

/** Ids whose values differ between the snapshots while last_updated stayed the same. */
function inPlaceChanges(table: string, pk: string, mayFile: string): Map<number, Row> {
  const may = snapshotRows(join(MAY, mayFile), pk);
  const nov = snapshotRows(join(NOV, `${table}.jsonl`), pk);
  const changed = new Map<number, Row>();
  for (const [id, before] of may) {
    const after = nov.get(id);
    if (!after) continue;
    const same = (c: string) => normalise(c, before[c]) === normalise(c, after[c]);
    if (same('last_updated') && Object.keys(before).some((c) => !same(c))) changed.set(id, after);
  }
  return changed;
}

describe('ingest on the real totesys snapshots (May 2024 → Nov 2024)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let source: Client;

  beforeAll(async () => {
    db = await createTestDatabase('realdata');
    source = new Client({ connectionString: db.url });
    await source.connect();
  });

  afterAll(async () => {
    await source.end();
    await db.drop();
  });

  it('captures every in-place change that kept last_updated, with the new values', async () => {
    const lake = new LocalLakeStore(mkdtempSync(join(tmpdir(), 'totes-lake-')));
    await createSourceSchema(source);
    await seedFromSnapshot(source, MAY);
    await ingest({ source, lake, log: silentLog });

    await seedFromSnapshot(source, NOV, { upsert: true });
    const second = await ingest({ source, lake, log: silentLog });

    const expectations = [
      { table: 'sales_order', pk: 'sales_order_id', file: 'sales_order.json', column: 'units_sold' },
      { table: 'design', pk: 'design_id', file: 'design.json', column: 'file_name' },
    ];
    const found: Record<string, number> = {};
    for (const { table, pk, file } of expectations) {
      const expected = inPlaceChanges(table, pk, file);
      const captured = new Map(
        (await readRaw(lake, table)).filter((r) => r._run_id === second.runId).map((r) => [Number(r[pk]), r]),
      );
      for (const [id, after] of expected) {
        const row = captured.get(id);
        expect({ id, op: row?._op }).toEqual({ id, op: 'u' });
        for (const [column, value] of Object.entries(after)) {
          expect({ id, column, value: row?.[column] }).toEqual({
            id,
            column,
            value: normalise(column, value),
          });
        }
      }
      found[table] = expected.size;
    }
    // The count of in-place changes between the two exports.
    expect(found.sales_order).toBe(47);
    expect(found.design).toBe(43);
  });
});
