import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTotes, type TotesOutcome, totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace, sql } from '../../support/cli-workspace';

/** Every command that writes takes the pipeline lease: real `totes` processes against one lake. */
describe('one writer at a time', () => {
  let ws: CliWorkspace;
  let env: Record<string, string>;

  beforeEach(async () => {
    ws = await createCliWorkspace('lease');
    env = ws.env;
  });

  afterEach(() => ws.cleanup());

  /** Starts `totes run` and stops it (SIGSTOP) once it holds the lease: alive, but not working. */
  async function heldByARun(): Promise<{ child: ChildProcess; ended: Promise<TotesOutcome> }> {
    const child = startTotes(['run'], env);
    const ended = new Promise<TotesOutcome>((resolve) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (c: Buffer) => out.push(c));
      child.stderr?.on('data', (c: Buffer) => err.push(c));
      child.on('close', (code, signal) =>
        resolve({
          code,
          signal,
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
        }),
      );
    });
    const leaseFile = join(ws.dir, 'lake', 'state', 'lease.json');
    for (let i = 0; i < 800; i++) {
      const text = await readFile(leaseFile, 'utf8').catch(() => '');
      if (text && !('releasedAt' in JSON.parse(text))) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGSTOP');
    return { child, ended };
  }

  it('makes ingest, transform, load and seed --reset exit 4 naming the run that holds the lease', async () => {
    const { child, ended } = await heldByARun();
    try {
      for (const args of [
        ['ingest'],
        ['transform'],
        ['load'],
        ['seed', '--reset', '--synthetic', '--scale', '5'],
      ]) {
        const busy = await totes(args, env);
        expect({ args, code: busy.code }).toEqual({ args, code: 4 });
        expect(busy.stderr).toMatch(
          new RegExp(
            `another run \\(totes run on .+:${child.pid}\\) holds the pipeline lease until .+; wait for it to finish`,
          ),
        );
      }
    } finally {
      child.kill('SIGCONT');
    }
    expect((await ended).code).toBe(0);
    // The refused seed --reset did not empty the source.
    expect(await sql(ws.source.url, 'SELECT count(*)::int AS n FROM sales_order')).toEqual([{ n: 2 }]);
  });

  it('lets a stage command wait for the run with --wait, then do its own work', async () => {
    const { child, ended } = await heldByARun();
    const transform = totes(['transform', '--wait', '60', '--json'], env);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGCONT');
    const [run, waited] = await Promise.all([ended, transform]);

    expect(run.code).toBe(0);
    expect(waited.code).toBe(0);
    expect((JSON.parse(waited.stdout) as { status: string }[]).map((b) => b.status)).toEqual(['up-to-date']);
  });

  it('lets the next run start at once after a run was killed holding the lease', async () => {
    // Dies by SIGKILL at its second lake write: right after it took the lease.
    const crashed = await totes(['run'], { ...env, TOTES_CRASH_AT: 'lake-write:2' });
    expect(crashed.signal).toBe('SIGKILL');

    const started = Date.now();
    const next = await totes(['run'], env);

    expect(next.code).toBe(0);
    // Not after the lease's lifetime (60 s by default): its holder's process is gone.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await sql(ws.warehouse.url, 'SELECT batch_seq FROM etl.load_log')).toEqual([{ batch_seq: 1 }]);
  });
});
