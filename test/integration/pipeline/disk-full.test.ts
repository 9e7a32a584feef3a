import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LakeStoreError } from '../../../lambdas/kernel/lake/errors';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace } from '../../support/cli-workspace';

/**
 * A lake on a real, small file system (tmpfs) that fills up. Mounting needs root (or
 * CAP_SYS_ADMIN): where it is refused the suite is skipped, saying so.
 */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const probe = mkdtempSync(join(tmpdir(), 'totes-full-probe-'));
const canMount = mountTmpfs(probe, '64k');
if (canMount) execFileSync('umount', [probe]);
rmSync(probe, { recursive: true, force: true });
if (!canMount) process.stderr.write('disk-full.test.ts: skipped, this user cannot mount a tmpfs\n');
const describeFull = canMount ? describe : describe.skip;

/** Fills the file system of `dir` until a write fails (ENOSPC), leaving `spare` bytes free before that. */
async function fill(dir: string, spare = 0): Promise<string> {
  const path = join(dir, 'filler');
  const handle = await open(path, 'w');
  try {
    const chunk = Buffer.alloc(4096, 1);
    for (;;) await handle.write(chunk);
  } catch {
    // Full.
  } finally {
    await handle.close();
  }
  if (spare > 0) {
    const { size } = await stat(path);
    execFileSync('truncate', ['-s', String(Math.max(0, size - spare)), path]);
  }
  return path;
}

describeFull('a lake whose disk is full', () => {
  let mountPoint: string;

  beforeEach(() => {
    mountPoint = mkdtempSync(join(tmpdir(), 'totes-full-'));
    mkdirSync(mountPoint, { recursive: true });
    if (!mountTmpfs(mountPoint, '2m')) throw new Error(`cannot mount a tmpfs on ${mountPoint}`);
  });

  afterEach(() => {
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('names the file and says the disk is full, for every kind of write', async () => {
    const lake = new LocalLakeStore(join(mountPoint, 'lake'));
    await lake.put('state/ok.json', '{}');
    const local = join(mountPoint, 'big.bin');
    await fill(mountPoint);
    const big = Buffer.alloc(64 * 1024, 2);

    for (const [what, write, key] of [
      ['put', () => lake.put('raw/t/x.jsonl.gz', big), 'raw/t/x.jsonl.gz'],
      ['putIf', () => lake.putIf('state/new.json', big, { ifNoneMatch: '*' }), 'state/new.json'],
      ['upload', () => lake.upload(local, 'curated/t/x.parquet'), 'curated/t/x.parquet'],
    ] as const) {
      if (what === 'upload') {
        await rm(join(mountPoint, 'filler'));
        await writeFile(local, big);
        await fill(mountPoint);
      }
      const error = await write().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ what, type: error instanceof LakeStoreError }).toEqual({ what, type: true });
      expect((error as Error).message).toContain(`${join(lake.root, ...key.split('/'))}: ENOSPC`);
      expect((error as Error).message).toContain(
        'the disk holding the lake is full: free space and run again',
      );
      expect((await lake.get(key))?.body).toBeUndefined();
    }
  });

  describe('under totes run', () => {
    let ws: CliWorkspace;

    beforeEach(async () => {
      ws = await createCliWorkspace('full');
    });

    afterEach(() => ws.cleanup());

    it('fails naming the file, leaves no lease behind, and the next run completes once there is space', async () => {
      const env = { ...ws.env, LAKE_URL: `file://${join(mountPoint, 'lake')}` };
      const filler = await fill(mountPoint, 12 * 1024);

      const failed = await totes(['run'], env);

      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(new RegExp(`cannot \\w+ ${mountPoint}/lake/\\S+: ENOSPC`));
      expect(failed.stderr).toContain('the disk holding the lake is full');
      const lease = await readFile(join(mountPoint, 'lake', 'state', 'lease.json'), 'utf8').catch(
        () => undefined,
      );
      if (lease !== undefined) expect(JSON.parse(lease)).toHaveProperty('releasedAt');

      await rm(filler);
      const next = await totes(['run'], env);
      expect({ code: next.code, err: next.stderr.split('\n').filter((l) => l.startsWith('totes:')) }).toEqual(
        {
          code: 0,
          err: [],
        },
      );
    });
  });
});
