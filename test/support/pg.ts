import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** URL of the test run's PostgreSQL server (started in global setup). */
export function testServerUrl(): string {
  const url = process.env.TEST_PG_URL;
  if (!url)
    throw new Error('TEST_PG_URL is not set: run the tests through jest (global setup starts PostgreSQL)');
  return url;
}

/** A fresh, empty database on the test server; `drop()` removes it. */
export async function createTestDatabase(prefix = 't'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: testServerUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = testServerUrl().replace(/\/postgres$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const c = new Client({ connectionString: testServerUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
