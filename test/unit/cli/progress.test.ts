import { runProgress } from '../../../bin/progress';
import type { Log } from '../../../lambdas/kernel/logger';
import type { TransformResult } from '../../../lambdas/transform/transform';

/** A stream that keeps what is written, a clock moved by hand, and a log that records. */
function harness(isTTY: boolean) {
  const written: string[] = [];
  const clock = { ms: 0 };
  const logged: string[] = [];
  const log: Log = {
    debug: (m) => logged.push(`debug ${m}`),
    info: (m) => logged.push(`info ${m}`),
    warn: (m) => logged.push(`warn ${m}`),
    error: (m) => logged.push(`error ${m}`),
  };
  const stream = { isTTY, write: (text: string) => written.push(text) > 0 };
  const progress = runProgress(log, { stream, now: () => clock.ms });
  return { written, clock, logged, progress };
}

const batch = (
  seq: number,
  facts: Record<string, number>,
  dimensions: Record<string, number>,
): TransformResult => ({
  status: 'committed',
  seq,
  ingestSeqs: { from: seq - 1, to: seq },
  more: false,
  facts,
  dimensions,
  quarantined: [],
  held: {},
});

describe('progress of totes run', () => {
  it('prints a plain line per table and batch with the rows so far and the rate, off a terminal', () => {
    const { written, clock, progress, logged } = harness(false);
    progress.onStage('ingest', 'start');
    clock.ms = 2000;
    progress.log.info('table captured', { table: 'sales_order', rows: 10_000 });
    clock.ms = 4000;
    progress.log.info('table captured', { table: 'payment', rows: 6_000 });
    progress.onStage('ingest', 'end');
    progress.onStage('transform', 'start');
    clock.ms = 5000;
    progress.onTransformBatch(batch(1, { fact_sales_order: 900 }, { dim_staff: 100 }));
    progress.onStage('transform', 'end');

    expect(written).toEqual([
      'ingest: started\n',
      'ingest: sales_order 10,000 rows (10,000 rows so far, 5,000 rows/s)\n',
      'ingest: payment 6,000 rows (16,000 rows so far, 4,000 rows/s)\n',
      'ingest: done in 4.0 s, 16,000 rows, 4,000 rows/s\n',
      'transform: started\n',
      'transform: batch #1 1,000 rows (1,000 rows so far, 1,000 rows/s)\n',
      'transform: done in 1.0 s, 1,000 rows, 1,000 rows/s\n',
    ]);
    // Every event still reaches the real log.
    expect(logged).toEqual(['info table captured', 'info table captured']);
  });

  it('redraws one status line per stage on a terminal and leaves its summary', () => {
    const { written, clock, progress } = harness(true);
    progress.onStage('load', 'start');
    clock.ms = 500;
    progress.log.info('loaded transform batch', { seq: 3, rows: { fact_sales_order: 400, dim_date: 100 } });
    clock.ms = 1000;
    progress.onStage('load', 'end');
    expect(written.join('')).toBe(
      '\r\x1b[2K  load      0 rows · 0.0 s' +
        '\r\x1b[2K  load      batch #3 500 rows · 500 rows, 1,000 rows/s · 0.5 s' +
        '\r\x1b[2K  load      done in 1.0 s · 500 rows, 500 rows/s\n',
    );
  });

  it('reports nothing under --quiet and passes the log through', () => {
    const written: string[] = [];
    const log: Log = { debug() {}, info() {}, warn() {}, error() {} };
    const progress = runProgress(log, { quiet: true, stream: { write: (t: string) => written.push(t) > 0 } });
    progress.onStage('ingest', 'start');
    progress.log.info('table captured', { table: 'staff', rows: 3 });
    progress.onStage('ingest', 'end');
    expect(progress.log).toBe(log);
    expect(written).toEqual([]);
  });
});
