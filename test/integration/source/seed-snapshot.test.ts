import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotFormatError } from '../../../app/totesys/errors';
import { syntheticPlan } from '../../../app/totesys/generator';
import { seedFromSnapshot } from '../../../app/totesys/seed';
import { sourceTables } from '../../../lambdas/kernel/schema';
import {
  generatedRows,
  type SnapshotStyle,
  simulatedSource,
  sourceRows,
  sourceSnapshot,
  touched,
  writeSnapshotFolder,
} from '../../support/generated-source';
import type { SourceRow } from '../../support/raw-fixtures';
import {
  changedInPlace,
  counts,
  describeSeedRules,
  versions,
  withSource,
} from '../../support/seed-snapshot-suite';

/** Sales orders of the generated exports; every other volume follows (app/totesys/generator/plan.ts). */
const SCALE = 800;
const plan = syntheticPlan(SCALE, 1);
/** The seven tables of the May 2024 export (JSON arrays). */
const MAY_TABLES = ['address', 'counterparty', 'currency', 'department', 'design', 'staff', 'sales_order'];

/** Every generated table, or only `tables`, as raw-contract rows. */
function generated(tables: readonly string[] = sourceTables.map((t) => t.name)): Record<string, SourceRow[]> {
  return Object.fromEntries(tables.map((t) => [t, generatedRows(t, SCALE)]));
}

/** Writes an export of `tables` in `style` to a fresh folder and runs `work` on it. */
async function withExport(
  tables: Record<string, SourceRow[]>,
  style: SnapshotStyle,
  work: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'totes-export-'));
  try {
    await writeSnapshotFolder(dir, tables, style);
    await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('seedFromSnapshot', () => {
  it('loads a JSON Lines export with every row, money exact to the cent and timestamps to the millisecond', async () => {
    const tables = generated();
    await withExport(tables, 'jsonl', (dir) =>
      withSource(async (client) => {
        const result = await seedFromSnapshot(client, dir);
        expect(result.missing).toEqual([]);
        expect(await counts(client)).toEqual({
          address: plan.addresses,
          counterparty: plan.counterparties,
          currency: 3,
          department: 8,
          design: plan.designs,
          payment: plan.transactions,
          payment_type: 4,
          purchase_order: plan.purchaseOrders,
          sales_order: plan.salesOrders,
          staff: plan.staff,
          transaction: plan.transactions,
        });
        // Money went through the file as JSON floats (as in the real export) and came back exact.
        expect(await sourceSnapshot(client)).toEqual(tables);
        const sum = await client.query(`SELECT sum(payment_amount)::text AS total FROM payment`);
        const cents = (tables.payment ?? []).reduce(
          (n, r) => n + Math.round(Number(r.payment_amount) * 100),
          0,
        );
        expect(sum.rows[0].total).toBe((cents / 100).toFixed(2));
      }),
    );
  });

  it('loads an export whose payment table is missing and whose whole-second timestamps have no fraction', async () => {
    const tables = generated(sourceTables.map((t) => t.name).filter((t) => t !== 'payment'));
    // As Python's isoformat() printed them: a timestamp whose fraction is 0 has none.
    const whole = (tables.sales_order ?? []).filter((_, i) => i % 25 === 0);
    for (const row of whole) {
      row.created_at = String(row.created_at).replace(/\.\d{3}$/, '.000');
      row.last_updated = row.created_at;
    }
    await withExport(tables, 'jsonl-whole-seconds', (dir) =>
      withSource(async (client) => {
        const result = await seedFromSnapshot(client, dir);
        expect(result.missing).toEqual(['payment']);
        expect(await counts(client)).toMatchObject({ payment: 0, sales_order: plan.salesOrders });
        const rows = await client.query(
          `SELECT count(*)::int AS n FROM sales_order WHERE date_trunc('second', created_at) = created_at`,
        );
        expect(rows.rows[0].n).toBeGreaterThanOrEqual(whole.length);
        expect(await sourceRows(client, 'sales_order')).toEqual(tables.sales_order);
      }),
    );
  });

  it('loads a JSON-array export with string money and space-separated timestamps', async () => {
    const tables = generated(MAY_TABLES);
    await withExport(tables, 'json-array', (dir) =>
      withSource(async (client) => {
        const result = await seedFromSnapshot(client, dir);
        expect(result.tables.map((t) => t.table)).toEqual(MAY_TABLES);
        for (const table of MAY_TABLES) expect(await sourceRows(client, table)).toEqual(tables[table]);
      }),
    );
  });

  it('rejects a malformed file naming the record and column, rolls everything back and leaves the connection usable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'totes-snapshot-'));
    try {
      const ok = '"created_at": "2022-11-03T14:20:49.962000", "last_updated": "2022-11-03T14:20:49.962000"';
      await writeFile(
        join(dir, 'currency.jsonl'),
        `{"currency_id": 1, "currency_code": "GBP", ${ok}}\n{"currency_id": 2, "currency_code": null, ${ok}}\n`,
      );
      await writeFile(
        join(dir, 'payment_type.json'),
        `[{"payment_type_id": 1, "payment_type_name": "SALES_RECEIPT", ${ok}}]`,
      );
      await withSource(async (client) => {
        const failure = seedFromSnapshot(client, dir);
        await expect(failure).rejects.toBeInstanceOf(SnapshotFormatError);
        await expect(failure).rejects.toThrow(/record 2: column currency_code/);
        const { rows } = await client.query(
          'SELECT (SELECT count(*) FROM currency)::int + (SELECT count(*) FROM payment_type)::int AS n',
        );
        expect(rows[0].n).toBe(0);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('upserts a later export over an earlier one keeping in-place changes with last_updated as in the file', async () => {
    // The earlier export is a generated source; the later one the same source after simulated traffic.
    const history = await simulatedSource({ scale: 1_000, changes: 250, seed: 5 });
    const dir = await mkdtemp(join(tmpdir(), 'totes-export-'));
    try {
      await writeSnapshotFolder(join(dir, 'earlier'), history.before, 'json-array');
      await writeSnapshotFolder(join(dir, 'later'), history.after, 'jsonl');
      await withSource(async (client) => {
        await seedFromSnapshot(client, join(dir, 'earlier'));
        const before = {
          sales_order: await versions(client, 'sales_order', 'sales_order_id'),
          design: await versions(client, 'design', 'design_id'),
        };
        const result = await seedFromSnapshot(client, join(dir, 'later'), { upsert: true });
        const newOrders = touched(history.simulation, 'sales_order', 'insert');
        expect(result.tables.find((t) => t.table === 'sales_order')?.inserted).toBe(newOrders.length);
        // An upsert never deletes: the orders deleted since are still there.
        expect((await counts(client)).sales_order).toBe(
          (history.before.sales_order?.length ?? 0) + newOrders.length,
        );
        for (const table of ['sales_order', 'design'] as const) {
          const pk = `${table}_id`;
          const inPlace = changedInPlace(before[table], await versions(client, table, pk));
          expect({ table, inPlace }).toEqual({
            table,
            inPlace: touched(history.simulation, table, 'update', { bumpsLastUpdated: false }),
          });
        }
        const [id] = touched(history.simulation, 'sales_order', 'update', { bumpsLastUpdated: false });
        const later = history.after.sales_order?.find((r) => r.sales_order_id === id);
        const probe = await client.query(
          `SELECT agreed_delivery_date, to_char(last_updated, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS last_updated
             FROM sales_order WHERE sales_order_id = $1`,
          [id],
        );
        expect(probe.rows[0]).toEqual({
          agreed_delivery_date: later?.agreed_delivery_date,
          last_updated: later?.last_updated,
        });
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
      await history.cleanup();
    }
  });
});

describeSeedRules('seedFromSnapshot on generated exports', {
  partial: (work) => withExport(generated(MAY_TABLES), 'json-array', work),
  partialSalesOrders: plan.salesOrders,
  complete: (work) => withExport(generated(), 'jsonl', work),
});
