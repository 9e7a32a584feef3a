import { readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readlink, rm, utimes, writeFile } from 'node:fs/promises';
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
