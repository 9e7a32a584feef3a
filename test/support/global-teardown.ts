import type { EmbeddedServer } from '../../lambdas/shared/db/embedded';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __TOTES_PG__?: EmbeddedServer }).__TOTES_PG__?.stop();
}
