import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import type { Log } from '../../../lambdas/kernel/logger';
import { migrate } from '../../../lambdas/load/migrate';
import {
  ensureAnalystLogin,
  LOCAL_ANALYST_USER,
  localAnalystPassword,
  type PassEntry,
  withCredentials,
  writePassFile,
} from './analyst-login';

/** How people and tools reach the embedded warehouse. */
export interface LocalWarehouseAccess {
  /** The read-only analyst's URL, without the password (libpq finds it in {@link passFile}). */
  readonly analystUrl: string;
  /** The same with the password, for tools that take a URL only. */
  readonly analystUrlWithPassword: string;
  /** The owner's URL, without the password. */
  readonly ownerUrl: string;
  /** libpq password file holding both passwords: `PGPASSFILE=<this>`. */
  readonly passFile: string;
  /**
   * libpq connection service file: `PGSERVICEFILE=<this> psql service=totes_warehouse` connects
   * as the analyst without typing a host, port or password.
   */
  readonly serviceFile: string;
}

/** The name of the password file in `TOTES_HOME`. */
export const PASS_FILE = 'pgpass';

/** The name of the connection service file in `TOTES_HOME`. */
export const SERVICE_FILE = 'pg_service.conf';

/** Service names in {@link SERVICE_FILE}. */
export const SERVICES = {
  warehouse: 'totes_warehouse',
  warehouseOwner: 'totes_warehouse_owner',
  totesys: 'totes_totesys',
} as const;

/**
 * Makes the embedded warehouse ready for analysts: migrates it (so the views and the
 * `totes_analyst` role exist), creates the read-only login `analyst` (keeping the password of
 * an earlier run), and writes `<home>/pgpass` with the analyst's and the owner's passwords.
 *
 * @param owner a connection to the warehouse as its owner (the embedded superuser)
 * @param ownerUrl that connection's URL (with its password)
 */
export async function prepareLocalWarehouse(deps: {
  owner: Client;
  ownerUrl: string;
  home: string;
  log: Log;
  /** The embedded totesys source's URL, for its service entry (none when TOTESYS_URL is set). */
  sourceUrl?: string;
}): Promise<LocalWarehouseAccess> {
  await migrate({ warehouse: deps.owner, log: deps.log });
  const passFile = join(deps.home, PASS_FILE);
  const password = await localAnalystPassword(passFile);
  await ensureAnalystLogin(deps.owner, { user: LOCAL_ANALYST_USER, password });
  const url = new URL(deps.ownerUrl);
  const ownerUser = decodeURIComponent(url.username);
  const entries: PassEntry[] = ['127.0.0.1', 'localhost'].flatMap((host) => [
    { host, port: '*', database: '*', user: LOCAL_ANALYST_USER, password },
    { host, port: '*', database: '*', user: ownerUser, password: decodeURIComponent(url.password) },
  ]);
  await writePassFile(passFile, entries);
  const serviceFile = join(deps.home, SERVICE_FILE);
  const service = (name: string, database: string, user: string) =>
    `[${name}]\nhost=${url.hostname}\nport=${url.port}\ndbname=${database}\nuser=${user}\npassfile=${passFile}\n`;
  await writeFile(
    serviceFile,
    [
      `# Written by totes up / totes sql for the embedded PostgreSQL. Use: export PGSERVICEFILE=${serviceFile}`,
      service(SERVICES.warehouse, databaseOf(url), LOCAL_ANALYST_USER),
      service(SERVICES.warehouseOwner, databaseOf(url), ownerUser),
      ...(deps.sourceUrl ? [service(SERVICES.totesys, databaseOf(new URL(deps.sourceUrl)), ownerUser)] : []),
    ].join('\n'),
    { mode: 0o600 },
  );
  await chmod(serviceFile, 0o600);
  return {
    serviceFile,
    analystUrl: withCredentials(deps.ownerUrl, LOCAL_ANALYST_USER),
    analystUrlWithPassword: withCredentials(deps.ownerUrl, LOCAL_ANALYST_USER, password),
    ownerUrl: withCredentials(deps.ownerUrl, ownerUser),
    passFile,
  };
}

const databaseOf = (url: URL): string => decodeURIComponent(url.pathname.slice(1));
