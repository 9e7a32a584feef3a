/**
 * A standalone stage command racing a pipeline run on one lake: before every writer took the
 * pipeline lease, a `totes transform` started a moment before `totes run` could leave the
 * transform state naming a batch whose files the run had just removed as uncommitted, and
 * every later run failed with "…parquet is missing … the lake is incomplete". Real processes
 * on a tiny source, raced again and again with varying head starts.
 */

import { type CliWorkspace, createCliWorkspace, sql } from '../support/cli-workspace';
import { startTotes, type TotesOutcome, totes } from './support/cli';

const TRIES = 8;

function outcome(args: readonly string[], env: Record<string, string>): Promise<TotesOutcome> {
  const child = startTotes(args, env);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  return new Promise((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    ),
  );
}

describe('totes transform racing totes run', () => {
  let ws: CliWorkspace;

  beforeAll(async () => {
    ws = await createCliWorkspace('race');
  });

  afterAll(() => ws?.cleanup());

  it('never leaves the lake incomplete: one of them waits its turn or steps aside', async () => {
    for (let i = 1; i <= TRIES; i++) {
      await sql(
        ws.source.url,
        `UPDATE sales_order SET units_sold = units_sold + 1, last_updated = now() WHERE sales_order_id = ${1 + (i % 2)}`,
      );
      const ingested = await totes(['ingest'], ws.env);
      expect({ i, code: ingested.code, err: ingested.stderr }).toEqual({ i, code: 0, err: '' });

      const transform = outcome(['transform'], ws.env);
      // Head starts from 0 to ~350 ms: the window of the original race.
      await new Promise((r) => setTimeout(r, (i * 47) % 350));
      const run = outcome(['run'], ws.env);
      const [t, r] = await Promise.all([transform, run]);

      for (const [name, o] of [
        ['transform', t],
        ['run', r],
      ] as const) {
        // Done, or turned away by the lease naming the other writer: never anything else.
        if (o.code !== 0)
          expect({ i, name, code: o.code, err: o.stderr }).toMatchObject({ i, name, code: 4 });
        if (o.code === 4) expect(o.stderr).toContain('holds the pipeline lease');
      }
    }

    const last = await totes(['run', '--wait', '60'], ws.env);
    // stderr carries the run's progress lines; nothing in it may be a failure.
    expect({ code: last.code, failures: last.stderr.match(/.*(error|failed).*/gi) }).toEqual({
      code: 0,
      failures: null,
    });
    const verified = await totes(['verify'], ws.env);
    expect({ code: verified.code, out: verified.stdout.trim().split('\n').at(-1) }).toEqual({
      code: 0,
      out: 'verified: source, raw, lake and warehouse agree',
    });
  });
});
