import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  /** Where dimension snapshots are published: AWS Glue with `GLUE_DATABASE`, else pointer objects in the lake. */
  readonly catalog: Catalog;
  readonly log: Log;
  close(): Promise<void>;
}

/** Global options every command passes on. */
export interface GlobalOptions {
  readonly verbose?: boolean | undefined;
  readonly quiet?: boolean | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The folder whose `.totes` is the default `TOTES_HOME`: the nearest folder at or above `cwd`
 * that holds a `.totes` folder, else the project root (the nearest one holding a
 * `package.json`), else `cwd`. So `totes status` run from `docs/` finds the project's state
 * instead of quietly starting an empty `docs/.totes`.
 */
export function homeBase(cwd: string = process.cwd()): string {
  const start = resolve(cwd);
  const nearest = (has: (dir: string) => boolean) => {
    for (let dir = start; ; dir = dirname(dir)) {
      if (has(dir)) return dir;
      if (dirname(dir) === dir) return undefined;
    }
  };
  return (
    nearest((dir) => isDirectory(join(dir, '.totes'))) ??
    nearest((dir) => existsSync(join(dir, 'package.json'))) ??
    start
  );
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The configuration as the CLI reads it: {@link loadConfig}, with `TOTES_HOME` defaulting to
 * `<homeBase>/.totes` (a relative `TOTES_HOME` is taken from the current folder).
 */
export function cliConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  return loadConfig(env, env.TOTES_HOME?.trim() ? cwd : homeBase(cwd));
}

/**
 * Resolves the configuration: given URLs are used as they are; unset database URLs start the
 * embedded PostgreSQL (data in `<TOTES_HOME>/pg`, reused across runs) with the databases
 * `totesys` and `warehouse`; an unset `LAKE_URL` is the folder `<TOTES_HOME>/lake`.
 */
export async function openEnvironment(options: GlobalOptions = {}): Promise<Environment> {
  const config = cliConfig();
  const log = new JsonLogger({ level: options.verbose ? 'debug' : options.quiet ? 'error' : 'warn' });
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
    catalog: await openCatalog(config, lake),
    log,
    close: async () => {
      await server?.stop();
    },
  };
}

/**
 * The catalog the transform publishes dimensions through. On an S3 lake with `GLUE_DATABASE`
 * set (the deployed stack's `GlueDatabase` output), AWS Glue, as the deployed transform does,
 * so Athena sees what a CLI run publishes; otherwise pointer objects in the lake.
 */
export async function openCatalog(
  config: Pick<Config, 'lakeUrl' | 'awsRegion'>,
  lake: LakeStore,
  env: Env = process.env,
): Promise<Catalog> {
  const database = env.GLUE_DATABASE?.trim();
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(config.lakeUrl);
  if (!database || !s3?.[1]) return new LocalCatalog(lake);
  // Loaded here so that commands on a local lake never load the Glue client.
  const { GlueCatalog } = await import('../lambdas/kernel/catalog/glue-catalog');
  return GlueCatalog.fromOptions({
    database,
    bucket: s3[1],
    prefix: s3[2] ?? '',
    ...(config.awsRegion ? { region: config.awsRegion } : {}),
  });
}
