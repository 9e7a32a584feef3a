import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../../app/local/embedded-postgres';

/**
 * The bundle suite's PostgreSQL (source, and the warehouse RDS would run), as the main
 * suite's global setup starts it; the suite never runs the CLI, so it does not build it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_PG_URL) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'totes-bundle-pg-'));
  const port = 55000 + Math.floor(Math.random() * 2000);
  const server = await startEmbeddedPostgres(dataDir, { port });
  process.env.TEST_PG_URL = server.url('postgres');
  Object.assign(globalThis, { __TOTES_PG__: server, __TOTES_PG_DIR__: dataDir });
}
