import { join } from 'node:path';
import { startEmbeddedPostgres } from '../app/local/embedded-postgres';
import { installFaultInjection } from '../app/local/fault-injection';
import type { Catalog } from '../lambdas/kernel/catalog/catalog';
import { LocalCatalog } from '../lambdas/kernel/catalog/local-catalog';
import { type Config, loadConfig } from '../lambdas/kernel/config';
import type { LakeStore } from '../lambdas/kernel/lake/lake-store';
import { openConfiguredLake } from '../lambdas/kernel/lake/open-lake';
import { JsonLogger, type Log } from '../lambdas/kernel/logger';

/** What a CLI command works on: the two databases, the lake, a logger. */
export interface Environment {
  readonly config: Config;
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  readonly lake: LakeStore;
  /** Where dimension snapshots are published: pointer objects in the lake. */
  readonly catalog: Catalog;
  readonly log: Log;
  close(): Promise<void>;
}

/**
 * Resolves the configuration: given URLs are used as they are; unset database URLs start the
 * embedded PostgreSQL (data in `<TOTES_HOME>/pg`, reused across runs) with the databases
 * `totesys` and `warehouse`; an unset `LAKE_URL` is the folder `<TOTES_HOME>/lake`.
 */
export async function openEnvironment(options: { verbose?: boolean } = {}): Promise<Environment> {
  const config = loadConfig();
  const log = new JsonLogger({ level: options.verbose ? 'debug' : 'warn' });
  const needsEmbedded = config.totesysUrl === undefined || config.warehouseUrl === undefined;
  const server = needsEmbedded ? await startEmbeddedPostgres(join(config.home, 'pg'), { log }) : undefined;
  if (server && config.totesysUrl === undefined) await server.ensureDatabase('totesys');
  if (server && config.warehouseUrl === undefined) await server.ensureDatabase('warehouse');
  // Test seam (off unless TOTES_CRASH_AT is set): see app/local/fault-injection.ts.
  const lake = installFaultInjection(await openConfiguredLake(config));
  return {
    config,
    sourceUrl: config.totesysUrl ?? server?.url('totesys') ?? '',
    warehouseUrl: config.warehouseUrl ?? server?.url('warehouse') ?? '',
    lake,
    catalog: new LocalCatalog(lake),
    log,
    close: async () => {
      await server?.stop();
    },
  };
}
