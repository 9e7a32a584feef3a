import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../app/local/embedded-postgres';

/**
 * Starts one real PostgreSQL for the whole test run; each test file creates its own
 * databases on it (see `test/support/pg.ts`). Its URL reaches the workers through the env.
 */
export default async function globalSetup(): Promise<void> {
  // Tests run the shipped CLI (bin/totes.cjs → dist/totes.cjs): build it from these sources.
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-cli.mjs'), '--quiet'], {
    stdio: 'inherit',
  });
  if (process.env.TEST_PG_URL) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'totes-test-pg-'));
  const port = 55000 + Math.floor(Math.random() * 2000);
  const server = await startEmbeddedPostgres(dataDir, { port });
  process.env.TEST_PG_URL = server.url('postgres');
  Object.assign(globalThis, { __TOTES_PG__: server, __TOTES_PG_DIR__: dataDir });
}
