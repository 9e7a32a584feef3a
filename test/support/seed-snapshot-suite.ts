import type { Client } from 'pg';
import { SeedConflictError } from '../../app/totesys/errors';
import { createSourceSchema, seedFromSnapshot } from '../../app/totesys/seed';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { ident, sourceTables } from '../../lambdas/kernel/schema';
import { createTestDatabase } from './pg';

/** Runs `run` on a fresh database holding an empty totesys schema, then drops it. */
export async function withSource<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const db = await createTestDatabase('src');
  const client = await connectPg(db.url, 'source');
  try {
    await createSourceSchema(client);
    return await run(client);
  } finally {
    await client.end();
    await db.drop();
  }
}

/** Rows of every source table, by table name. */
export async function counts(client: Client): Promise<Record<string, number>> {
  const { rows } = await client.query<{ t: string; n: number }>(
    sourceTables
      .map((t) => `SELECT '${t.name}' AS t, count(*)::int AS n FROM ${ident(t.name)}`)
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/** A row's values without its audit columns, and its last_updated. */
export interface RowVersion {
  readonly values: string;
  readonly lu: string;
}

/** Each row's values without its audit columns, and its last_updated, by primary key. */
export async function versions(client: Client, table: string, pk: string): Promise<Map<number, RowVersion>> {
  const { rows } = await client.query<{ id: number; values: string; lu: string }>(
    `SELECT ${ident(pk)} AS id, (to_jsonb(t) - 'created_at' - 'last_updated')::text AS values, last_updated::text AS lu
       FROM ${ident(table)} t`,
  );
  return new Map(rows.map((r) => [r.id, { values: r.values, lu: r.lu }]));
}

/** The keys whose values changed while last_updated stayed put. */
export function changedInPlace(before: Map<number, RowVersion>, after: Map<number, RowVersion>): number[] {
  return [...before].flatMap(([id, old]) => {
    const now = after.get(id);
    return now && now.values !== old.values && now.lu === old.lu ? [id] : [];
  });
}

/** Runs `work` on an export folder (and removes it afterwards if it was made for the test). */
export type WithExport = (work: (dir: string) => Promise<void>) => Promise<void>;

/**
 * What `seedFromSnapshot` guarantees whatever the export: sequences move past the loaded ids,
 * a second plain load is refused without changing anything, and replaying an export as an
 * upsert rewrites nothing. One suite for both data sets: generated
 * (`test/integration/source/`) and the real exports (`test/real/source/`).
 */
export function describeSeedRules(
  title: string,
  exports: {
    /** An export of the May 2024 shape (seven tables, no payments). */
    readonly partial: WithExport;
    readonly partialSalesOrders: number;
    /** An export of every table. */
    readonly complete: WithExport;
  },
): void {
  describe(title, () => {
    it('moves every serial sequence past the largest loaded id', async () => {
      await exports.partial((dir) =>
        withSource(async (client) => {
          await seedFromSnapshot(client, dir);
          const inserted = await client.query(
            `INSERT INTO currency (currency_code) VALUES ('JPY') RETURNING currency_id`,
          );
          expect(inserted.rows[0].currency_id).toBe(4);
          const max = await client.query(`SELECT max(sales_order_id) AS m FROM sales_order`);
          const next = await client.query(
            `SELECT nextval(pg_get_serial_sequence('sales_order', 'sales_order_id'))::int AS n`,
          );
          expect(next.rows[0].n).toBe(max.rows[0].m + 1);
        }),
      );
    });

    it('refuses to load over existing rows without --upsert, leaving the database unchanged', async () => {
      await exports.partial((dir) =>
        withSource(async (client) => {
          await seedFromSnapshot(client, dir);
          await expect(seedFromSnapshot(client, dir)).rejects.toBeInstanceOf(SeedConflictError);
          expect((await counts(client)).sales_order).toBe(exports.partialSalesOrders);
        }),
      );
    });

    it('rewrites only the rows an upsert changes, so an identical replay creates no row versions', async () => {
      await exports.complete((dir) =>
        withSource(async (client) => {
          await seedFromSnapshot(client, dir);
          const replay = await seedFromSnapshot(client, dir, { upsert: true });
          expect(replay.tables.every((t) => t.inserted === 0 && t.updated === 0)).toBe(true);
        }),
      );
    });
  });
}
