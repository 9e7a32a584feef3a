import type { ColumnDef, SourceTableDef } from '../../lambdas/kernel/schema';
import { SnapshotFormatError } from './errors';
import { type FlatRecord, type FlatValue, JsonNumber } from './flat-json';

/** The NULL marker of PostgreSQL's COPY text format. */
export const COPY_NULL = '\\N';

/**
 * Escapes a string for PostgreSQL's COPY text format: backslash, tab, newline and carriage
 * return are the only characters with a meaning there.
 */
export function copyEscape(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : value;
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?:Z|[+-]00:?00)?$/;

/**
 * Normalises a snapshot timestamp to `YYYY-MM-DD HH:MM:SS.fff`: `T` or space, with or without
 * fractional seconds. Digits past the millisecond are truncated, never rounded: the source
 * column is `timestamp(3)`, so real exports only pad with zeros, and truncation cannot carry
 * into the next second. Returns `undefined` for text that is not such a timestamp.
 */
export function normaliseTimestamp(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  return `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}`;
}

/**
 * Decimal text of a money value as the file wrote it (`552548.62` or `"3.94"`), or
 * `undefined` when it is not a decimal. The text goes to PostgreSQL unchanged, which parses
 * it as `numeric(10,2)` exactly; it never becomes a binary float on the way.
 */
export function moneyText(value: FlatValue): string | undefined {
  const text =
    value instanceof JsonNumber ? value.text : typeof value === 'string' ? value.trim() : undefined;
  return text !== undefined && DECIMAL.test(text) ? text : undefined;
}

type Converter = (value: FlatValue) => string | undefined;

const converters: Record<ColumnDef['type'], Converter> = {
  int: integerText,
  serial: integerText,
  money: moneyText,
  timestamp: (v) => (typeof v === 'string' ? normaliseTimestamp(v) : undefined),
  boolean: (v) =>
    v === true || v === 'true' || v === 't'
      ? 't'
      : v === false || v === 'false' || v === 'f'
        ? 'f'
        : undefined,
  text: plainText,
  enum: plainText,
  date_text: plainText,
  date: plainText,
  time: plainText,
};

function integerText(value: FlatValue): string | undefined {
  const text = value instanceof JsonNumber ? value.text : typeof value === 'string' ? value : undefined;
  if (text === undefined) return undefined;
  if (INTEGER.test(text)) return text;
  // pandas writes nullable integer columns as floats (`12.0`): accept an exact integer value.
  const m = /^(-?\d+)\.0+$/.exec(text);
  return m?.[1];
}

function plainText(value: FlatValue): string | undefined {
  if (typeof value === 'string') return copyEscape(value);
  return value instanceof JsonNumber ? value.text : undefined;
}

/**
 * Renders snapshot records of one table as lines of COPY text, in the table's column order.
 * Checks every value against its column so that a bad file fails with the record and column
 * named instead of a bare PostgreSQL error.
 */
export class CopyRowFormatter {
  private readonly convert: readonly Converter[];
  private readonly unknownKeys = new Set<string>();

  constructor(
    private readonly table: SourceTableDef,
    private readonly file: string,
  ) {
    this.convert = table.columns.map((c) => converters[c.type]);
  }

  /** Keys seen in the file that are not columns of the table (ignored). */
  get ignoredKeys(): readonly string[] {
    return [...this.unknownKeys];
  }

  /** One COPY text line (with its newline) for `record`, the `index`-th of the file (1-based). */
  line(record: FlatRecord, index: number): string {
    const fields: string[] = [];
    const columns = this.table.columns;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as ColumnDef;
      const value = record[column.name] ?? null;
      if (value === null) {
        if (!column.nullable)
          throw this.error(index, column, 'is null (or missing) but the column is NOT NULL');
        fields.push(COPY_NULL);
        continue;
      }
      const text = (this.convert[i] as Converter)(value);
      if (text === undefined) {
        const shown = value instanceof JsonNumber ? value.text : JSON.stringify(value);
        throw this.error(index, column, `has ${shown}, which is not a valid ${column.type}`);
      }
      fields.push(text);
    }
    if (index === 1) this.noteUnknownKeys(record);
    return `${fields.join('\t')}\n`;
  }

  private noteUnknownKeys(record: FlatRecord): void {
    const known = new Set(this.table.columns.map((c) => c.name));
    for (const key of Object.keys(record)) if (!known.has(key)) this.unknownKeys.add(key);
  }

  private error(index: number, column: ColumnDef, problem: string): SnapshotFormatError {
    return new SnapshotFormatError(
      `${this.file}: record ${index}: column ${column.name} ${problem}. Fix the file or export it again.`,
      { context: { table: this.table.name, column: column.name, file: this.file, record: index } },
    );
  }
}
