import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { startTotes, type TotesOutcome, totes } from '../../faults/support/cli';
import { type CliWorkspace, createCliWorkspace } from '../../support/cli-workspace';

/** Concurrent `totes run` processes against one lake: real processes, real lease. */
describe('two totes runs at once', () => {
  let ws: CliWorkspace;
  let warehouse: CliWorkspace['warehouse'];
  let dir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    ws = await createCliWorkspace('conc');
    ({ warehouse, dir, env } = ws);
  });

  afterEach(() => ws.cleanup());

  /** Starts a run that stops (SIGSTOP) right after taking the lease, so it holds it. */
  async function holdLease(extra: Record<string, string> = {}) {
    const child = startTotes(['run'], { ...env, ...extra });
    const leaseFile = join(dir, 'lake', 'state', 'lease.json');
    for (let i = 0; i < 400; i++) {
      const text = await readFile(leaseFile, 'utf8').catch(() => '');
      if (text && Date.parse((JSON.parse(text) as { expiresAt: string }).expiresAt) > Date.now()) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGSTOP');
    const ended = new Promise<TotesOutcome>((resolve) => {
      const out: Buffer[] = [];
      child.stdout?.on('data', (c: Buffer) => out.push(c));
      child.on('close', (code, signal) =>
        resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: '' }),
      );
    });
    return { child, ended };
  }

  async function ledger(): Promise<number[]> {
    const client = new Client({ connectionString: warehouse.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ s: number }>(
        'SELECT batch_seq AS s FROM etl.load_log ORDER BY 1',
      );
      return rows.map((r) => r.s);
    } finally {
      await client.end();
    }
  }

  it('makes the second run exit with code 4 and a message naming the holder', async () => {
    const { child, ended } = await holdLease();
    const second = await totes(['run'], env);
    child.kill('SIGCONT');
    const first = await ended;

    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(
      /another run \(.+:\d+\) holds the pipeline lease until .+; wait for it to finish/,
    );
    expect(first.code).toBe(0);
    expect(await ledger()).toEqual([1]);
  });

  it('lets the second run wait for the first with --wait, then find nothing left to do', async () => {
    const { child, ended } = await holdLease();
    const second = totes(['run', '--wait', '60', '--json'], env);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGCONT');
    const [first, waited] = await Promise.all([ended, second]);

    expect(first.code).toBe(0);
    expect(waited.code).toBe(0);
    const result = JSON.parse(waited.stdout) as {
      ingest: { changed: boolean };
      load: { batches: unknown[] };
    };
    expect(result.ingest.changed).toBe(false);
    expect(result.load.batches).toEqual([]);
    expect(await ledger()).toEqual([1]);
  });

  // A run killed holding the lease: test/integration/pipeline/stage-lease.test.ts (the next run starts at once).

  it('rejects a TOTES_LEASE_TTL that is not a whole number of seconds', async () => {
    const bad = await totes(['run'], { ...env, TOTES_LEASE_TTL: '1.5m' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('TOTES_LEASE_TTL must be a whole number of seconds');
  });
});
