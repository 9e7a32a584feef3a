import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase } from './pg';
import { createTinySource } from './source-fixture';

/** What an end-to-end CLI test works on: a tiny seeded source, an empty warehouse, a lake folder. */
export interface CliWorkspace {
  readonly source: { readonly url: string; drop(): Promise<void> };
  readonly warehouse: { readonly url: string; drop(): Promise<void> };
  readonly dir: string;
  /** The environment a `totes` child process gets: both database URLs, the lake, a home. */
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** A fresh workspace for `totes` processes; `cleanup()` drops the databases and the folder. */
export async function createCliWorkspace(prefix: string): Promise<CliWorkspace> {
  const source = await createTestDatabase(`${prefix}_src`);
  const warehouse = await createTestDatabase(`${prefix}_wh`);
  const client = new Client({ connectionString: source.url });
  await client.connect();
  await createTinySource(client);
  await client.end();
  const dir = await mkdtemp(join(tmpdir(), `totes-${prefix}-`));
  return {
    source,
    warehouse,
    dir,
    env: {
      TOTESYS_URL: source.url,
      WAREHOUSE_URL: warehouse.url,
      LAKE_URL: `file://${join(dir, 'lake')}`,
      TOTES_HOME: join(dir, 'home'),
    },
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
      await source.drop();
      await warehouse.drop();
    },
  };
}

/** Runs one statement on a database and returns its rows. */
export async function sql(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
