import type { Stage } from '../app/pipeline/run-pipeline';
import type { Log } from '../lambdas/kernel/logger';
import type { TransformResult } from '../lambdas/transform/transform';

/** What `runPipeline` takes to report progress: its logger and two callbacks. */
export interface RunProgress {
  /** The run's logger: passes every event on, and counts the rows of the stage events it knows. */
  readonly log: Log;
  readonly onStage: (stage: Stage, phase: 'start' | 'end') => void;
  readonly onTransformBatch: (batch: TransformResult) => void;
}

/** Where progress goes: a stream that may be a terminal, and a clock in milliseconds. */
export interface ProgressOutput {
  readonly stream?: Pick<NodeJS.WriteStream, 'write'> & { readonly isTTY?: boolean };
  readonly now?: () => number;
  /** `--quiet`: report nothing. */
  readonly quiet?: boolean;
}

/** Least time between two redraws of a terminal's status line. */
const REDRAW_MS = 100;

const count = (n: number) => Math.round(n).toLocaleString('en-GB');
const sum = (values: Readonly<Record<string, number>>) => Object.values(values).reduce((a, b) => a + b, 0);

/**
 * Progress of `totes run` inside each stage, on stderr: the rows each stage has handled so far
 * and its rate. On a terminal one status line per stage is redrawn as tables and batches
 * finish (`ingest · sales_order · 11,187 rows · 9,800 rows/s`) and left as the stage's
 * summary; elsewhere (a pipe, a CI log) each event is one plain line. The rows come from
 * what the stages already log — `table captured` (ingest), `loaded transform batch` (load),
 * `fact partitions compacted` — and from each committed transform batch's counts.
 */
export function runProgress(log: Log, output: ProgressOutput = {}): RunProgress {
  const stream = output.stream ?? process.stderr;
  const now = output.now ?? (() => performance.now());
  if (output.quiet) return { log, onStage: () => undefined, onTransformBatch: () => undefined };
  const tty = stream.isTTY === true;
  let stage: Stage | undefined;
  let started = 0;
  let rows = 0;
  let detail = '';
  let drawn = -Infinity;
  let open = false;

  const rate = () => {
    const seconds = (now() - started) / 1000;
    return seconds > 0 && rows > 0 ? `, ${count(rows / seconds)} rows/s` : '';
  };
  // The elapsed time moves on every redraw, so a long step still shows the stage at work.
  const status = () =>
    `  ${(stage ?? '').padEnd(9)} ${detail}${detail ? ' · ' : ''}${count(rows)} rows${rate()} · ${((now() - started) / 1000).toFixed(1)} s`;
  const draw = (force = false) => {
    if (!tty || (!force && now() - drawn < REDRAW_MS)) return;
    drawn = now();
    stream.write(`\r\x1b[2K${status()}`);
    open = true;
  };
  const clearLine = () => {
    if (tty && open) stream.write('\r\x1b[2K');
    open = false;
  };
  /** One step of the current stage: `rows` more rows, described by `what`. */
  const step = (what: string, more: number, line = true) => {
    if (stage === undefined) return;
    rows += more;
    detail = what;
    if (tty) draw(line);
    else if (line) stream.write(`${stage}: ${what}${more ? ` (${count(rows)} rows so far${rate()})` : ''}\n`);
  };

  const observe = (message: string, extra: Record<string, unknown> | undefined) => {
    const number = (key: string) => (typeof extra?.[key] === 'number' ? (extra[key] as number) : 0);
    if (message === 'table captured' && typeof extra?.table === 'string') {
      step(`${extra.table} ${count(number('rows'))} rows`, number('rows'));
    } else if (message === 'loaded transform batch' && typeof extra?.rows === 'object' && extra.rows) {
      const loaded = sum(extra.rows as Record<string, number>);
      step(`batch #${number('seq')} ${count(loaded)} rows`, loaded);
    } else if (message === 'fact partitions compacted') {
      step(`${number('partitions')} partition(s), ${number('filesReplaced')} files replaced`, 0);
    } else if (
      (message === 'transform step' || message === 'loaded table') &&
      typeof extra?.table === 'string'
    ) {
      // Frequent and without counts: only the terminal's status line shows the table at work.
      step(String(extra.table), 0, false);
    }
  };
  const forward =
    (level: keyof Log) =>
    (message: string, extra?: Record<string, unknown>): void => {
      observe(message, extra);
      if (level === 'warn' || level === 'error') clearLine();
      log[level](message, extra);
      if (level === 'warn' || level === 'error') draw(true);
    };

  return {
    log: { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') },
    onStage: (name, phase) => {
      if (phase === 'start') {
        stage = name;
        started = now();
        rows = 0;
        detail = '';
        if (tty) draw(true);
        else stream.write(`${name}: started\n`);
        return;
      }
      const seconds = (now() - started) / 1000;
      if (tty) {
        stream.write(
          `\r\x1b[2K  ${name.padEnd(9)} done in ${seconds.toFixed(1)} s · ${count(rows)} rows${rate()}\n`,
        );
        open = false;
      } else {
        stream.write(`${name}: done in ${seconds.toFixed(1)} s, ${count(rows)} rows${rate()}\n`);
      }
      stage = undefined;
    },
    onTransformBatch: (batch) => {
      if (batch.status !== 'committed') return;
      const written = sum(batch.facts) + sum(batch.dimensions);
      step(`batch #${batch.seq} ${count(written)} rows`, written);
    },
  };
}
