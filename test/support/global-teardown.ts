import { rm } from 'node:fs/promises';
import type { EmbeddedServer } from '../../app/local/embedded-postgres';

/** Stops the test run's PostgreSQL and removes its data folder. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __TOTES_PG__?: EmbeddedServer; __TOTES_PG_DIR__?: string };
  await state.__TOTES_PG__?.stop();
  if (state.__TOTES_PG_DIR__) await rm(state.__TOTES_PG_DIR__, { recursive: true, force: true });
}
