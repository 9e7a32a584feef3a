import { once } from 'node:events';
import stringWidth from 'string-width';
import { TotesError } from '../lambdas/kernel/errors';

/** A column of a printed table: its header and how to render a row's cell. */
export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | boolean | null | undefined;
  /** Right-align (numbers). @default false */
  readonly right?: boolean;
}

let quiet = false;

/** Applies the global options: `--quiet` silences summaries and progress (see {@link emit}). */
export function configureOutput(options: { quiet?: boolean | undefined }): void {
  quiet = options.quiet ?? false;
}

/** True under `--quiet`: print nothing but errors and the output asked for. */
export function isQuiet(): boolean {
  return quiet;
}

/**
 * Renders rows as an aligned plain-text table (for people; `--json` is for machines): a header
 * line, a dashed rule, the rows, columns two spaces apart. Cells are padded by their display
 * width (string-width: CJK characters and emoji take two columns, combining marks none), so
 * wide text lines up on a terminal; a line break inside a cell shows as `↵`.
 */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => format(c.value(row)).replace(/\r?\n/g, '↵')));
  const widths = columns.map((c) => stringWidth(c.header));
  for (const row of cells) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, stringWidth(cell));
    });
  }
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - stringWidth(value)));
        return columns[i]?.right ? pad + value : value + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w)))];
  for (const row of cells) out.push(line(row));
  return out.join('\n');
}

function format(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number')
    return Number.isInteger(value) ? value.toLocaleString('en-GB') : value.toFixed(2);
  return String(value);
}

/**
 * Writes a result: JSON when asked (always, even under `--quiet`), else the human rendering
 * (skipped under `--quiet`). JSON follows one typing for every command: integers (counts,
 * sequence numbers, ids) are numbers, money and other exact decimals strings with every digit.
 */
export function emit(json: boolean | undefined, value: unknown, human: () => string): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (!quiet) process.stdout.write(`${human()}\n`);
}

/** The reader of stdout went away (`totes query … | head`): nothing more can be written. */
export class OutputClosedError extends TotesError {}

/**
 * Writes to stdout, waiting while the pipe is full so a large output never piles up in memory.
 *
 * @throws {OutputClosedError} when the reader has closed the pipe.
 */
export async function writeOut(chunk: string | Uint8Array): Promise<void> {
  if (process.stdout.destroyed) throw new OutputClosedError('stdout is closed');
  try {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE')
      throw new OutputClosedError('the reader of stdout closed the pipe', { cause: error });
    throw error;
  }
}
