import type { ChangeOp } from '../kernel/schema';
import { IngestError } from './errors';

/**
 * How a column of PostgreSQL's COPY text output becomes a raw JSON value:
 * - `number` — the text as is (integers);
 * - `string` — a JSON string (text, enums, money as its exact decimal text, date text);
 * - `boolean` — `t`/`f` as `true`/`false`;
 * - `timestamp` — `YYYY-MM-DDTHH:MI:SS.MS`, always three fractional digits (truncated), as
 *   `to_char(…, 'YYYY-MM-DD"T"HH24:MI:SS.MS')` renders it; infinite values are `null`;
 * - `object` — JSON object text rendered by the server (the source's unknown columns): its
 *   members are appended to the row's, nothing when it is `{}`.
 */
export type RawKind = 'number' | 'string' | 'boolean' | 'timestamp' | 'object';

/** One column of the COPY output, in order; the first is the table's integer primary key. */
export interface RawField {
  readonly name: string;
  readonly kind: RawKind;
}

/** What {@link CopyJsonLines} needs besides the columns. */
export interface CopyJsonOptions {
  /** The members every object starts with, per operation: `{"_op":…,…,` (ends with a comma). */
  readonly prefix: (op: 'c' | 'u') => string;
  /** The operation of the row with this primary key (called once per row, in order). */
  readonly opOf: (pk: number) => 'c' | 'u';
  /** Called for every complete row with its primary key and operation. */
  readonly onRow: (pk: number, op: ChangeOp) => void;
  /** Index of the timestamp column whose largest value is tracked ({@link CopyJsonLines.highWater}). */
  readonly highWaterField?: number;
  /** Bytes of each output buffer. @default 1 MiB */
  readonly bufferBytes?: number;
}

enum B {
  TAB = 0x09,
  LF = 0x0a,
  SPACE = 0x20,
  QUOTE = 0x22,
  DASH = 0x2d,
  DOT = 0x2e,
  ZERO = 0x30,
  NINE = 0x39,
  BACKSLASH = 0x5c,
  N_UPPER = 0x4e,
  T_UPPER = 0x54,
  b = 0x62,
  f = 0x66,
  i = 0x69,
  n = 0x6e,
  r = 0x72,
  t = 0x74,
  u = 0x75,
  v = 0x76,
  BRACE_OPEN = 0x7b,
  BRACE_CLOSE = 0x7d,
  COMMA = 0x2c,
}

const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const HEX = Buffer.from('0123456789abcdef');

const KINDS: Readonly<Record<RawKind, number>> = {
  number: 0,
  string: 1,
  boolean: 2,
  timestamp: 3,
  object: 4,
};

/**
 * Turns the text output of `COPY (SELECT <columns>) TO STDOUT` into raw JSON Lines: one
 * object per row, the prefix members first, then every column under its name in order — byte
 * for byte what `row_to_json` over the typed columns renders (same escapes, same number and
 * timestamp texts), at a fraction of the server's cost: the server only renders plain text,
 * and this loop copies bytes. Needs the session's `DateStyle` to be `ISO`.
 *
 * Chunks may split rows anywhere; a partial row waits for the next chunk.
 */
export class CopyJsonLines {
  private readonly kinds: Uint8Array;
  private readonly keys: Buffer[];
  private readonly prefixC: Buffer;
  private readonly prefixU: Buffer;
  private readonly fixedBytes: number;
  private readonly bufferBytes: number;
  private out: Buffer;
  private pos = 0;
  private carry: Buffer | undefined;
  private readonly highWaterField: number;
  private highWaterBytes: Buffer | undefined;
  private rows = 0;

  constructor(
    fields: readonly RawField[],
    private readonly options: CopyJsonOptions,
  ) {
    if (fields.length === 0 || fields[0]?.kind !== 'number') {
      throw new RangeError('the first field must be the integer primary key');
    }
    this.kinds = Uint8Array.from(fields.map((f) => KINDS[f.kind]));
    this.keys = fields.map((f, index) =>
      Buffer.from(f.kind === 'object' ? '' : `${index === 0 ? '' : ','}${JSON.stringify(f.name)}:`),
    );
    this.prefixC = Buffer.from(options.prefix('c'));
    this.prefixU = Buffer.from(options.prefix('u'));
    this.fixedBytes =
      Math.max(this.prefixC.length, this.prefixU.length) +
      this.keys.reduce((n, k) => n + k.length + 8, 0) +
      // A timestamp may grow by its separator, its fraction and the quotes.
      16 * fields.length +
      4;
    this.highWaterField = options.highWaterField ?? -1;
    this.bufferBytes = options.bufferBytes ?? 1 << 20;
    this.out = Buffer.allocUnsafe(this.bufferBytes);
  }

  /** Rows transcoded so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** The largest value of the tracked timestamp column, as rendered, if any row had one. */
  get highWater(): string | undefined {
    return this.highWaterBytes?.toString('latin1');
  }

  /** Transcodes the complete rows of `chunk` (and of what earlier chunks left); returns finished output. */
  write(chunk: Buffer): Buffer[] {
    const done: Buffer[] = [];
    let start = 0;
    if (this.carry) {
      // Only the row split across chunks is joined, not the whole chunk.
      const end = chunk.indexOf(B.LF);
      if (end === -1) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return done;
      }
      const joined = Buffer.concat([this.carry, chunk.subarray(0, end + 1)]);
      this.carry = undefined;
      this.rowsOf(joined, 0, done);
      start = end + 1;
    }
    this.rowsOf(chunk, start, done);
    return done;
  }

  private rowsOf(data: Buffer, from: number, done: Buffer[]): void {
    let start = from;
    while (start < data.length) {
      const end = data.indexOf(B.LF, start);
      if (end === -1) {
        this.carry = Buffer.from(data.subarray(start));
        return;
      }
      // Worst case: every byte becomes a six-byte \u00XX escape.
      const need = this.fixedBytes + 6 * (end - start);
      if (this.out.length - this.pos < need) {
        if (this.pos > 0) done.push(this.out.subarray(0, this.pos));
        this.out = Buffer.allocUnsafe(Math.max(this.bufferBytes, need));
        this.pos = 0;
      }
      this.row(data, start, end);
      start = end + 1;
    }
  }

  /** The output not yet returned; throws when the input ended inside a row. */
  end(): Buffer[] {
    if (this.carry && this.carry.length > 0) {
      throw new IngestError('the COPY output ended inside a row', {
        context: { bytes: this.carry.length },
      });
    }
    const rest = this.pos > 0 ? [this.out.subarray(0, this.pos)] : [];
    this.out = Buffer.allocUnsafe(0);
    this.pos = 0;
    return rest;
  }

  private row(data: Buffer, start: number, end: number): void {
    let pk = 0;
    let p = start;
    for (; p < end; p++) {
      const c = data[p] as number;
      if (c < B.ZERO || c > B.NINE) break;
      pk = pk * 10 + (c - B.ZERO);
    }
    if (p === start || (p < end && data[p] !== B.TAB)) {
      throw new IngestError('a COPY row does not start with an integer primary key', {
        context: { row: data.subarray(start, Math.min(end, start + 80)).toString() },
      });
    }
    const op = this.options.opOf(pk);
    const out = this.out;
    let o = this.pos;
    const prefix = op === 'c' ? this.prefixC : this.prefixU;
    out.set(prefix, o);
    o += prefix.length;

    const kinds = this.kinds;
    const keys = this.keys;
    const fieldCount = kinds.length;
    let field = 0;
    p = start;
    // Fields are scanned in this loop rather than found with indexOf: a native call per field
    // costs more than the bytes it skips. COPY escapes tabs in values, so a raw tab always
    // ends a field.
    for (;;) {
      if (field >= fieldCount) throw this.shapeError(data, start, end);
      const kind = kinds[field] as number;
      let q = p;
      if (data[p] === B.BACKSLASH && data[p + 1] === B.N_UPPER && (p + 2 === end || data[p + 2] === B.TAB)) {
        q = p + 2;
        if (kind !== 4) {
          const key = keys[field] as Buffer;
          for (let k = 0; k < key.length; k++) out[o++] = key[k] as number;
          out.set(NULL, o);
          o += 4;
        }
      } else if (kind === 4) {
        while (q < end && data[q] !== B.TAB) q++;
        o = this.object(data, p, q, out, o);
      } else {
        const key = keys[field] as Buffer;
        for (let k = 0; k < key.length; k++) out[o++] = key[k] as number;
        if (kind === 0) {
          for (; q < end; q++) {
            const c = data[q] as number;
            if (c === B.TAB) break;
            out[o++] = c;
          }
        } else if (kind === 1) {
          out[o++] = B.QUOTE;
          for (; q < end; q++) {
            const c = data[q] as number;
            if (c > B.QUOTE && c !== B.BACKSLASH) out[o++] = c;
            else if (c === B.TAB) break;
            else if (c === B.BACKSLASH) o = jsonEscape(data, q++, out, o);
            else if (c === B.QUOTE || c < B.SPACE) o = jsonEscape(data, q, out, o);
            else out[o++] = c;
          }
          out[o++] = B.QUOTE;
        } else if (kind === 2) {
          q = p + 1;
          const value = data[p] === B.t ? TRUE : FALSE;
          out.set(value, o);
          o += value.length;
        } else {
          while (q < end && data[q] !== B.TAB) q++;
          const from = o;
          o = timestamp(data, p, q, out, o);
          if (field === this.highWaterField && out[from] === B.QUOTE) this.track(out, from + 1, o - 1);
        }
      }
      field++;
      if (q >= end) break;
      if (data[q] !== B.TAB) throw this.shapeError(data, start, end);
      p = q + 1;
    }
    if (field !== kinds.length) throw this.shapeError(data, start, end);
    out[o++] = B.BRACE_CLOSE;
    out[o++] = B.LF;
    this.pos = o;
    this.rows++;
    this.options.onRow(pk, op);
  }

  /** The members of a server-rendered JSON object (COPY-escaped), after a comma; none for `{}`. */
  private object(data: Buffer, p: number, end: number, out: Buffer, o: number): number {
    const text: number[] = [];
    for (let k = p; k < end; k++) {
      const c = data[k] as number;
      if (c !== B.BACKSLASH) {
        text.push(c);
        continue;
      }
      const e = data[++k];
      text.push(
        e === B.n
          ? 0x0a
          : e === B.t
            ? 0x09
            : e === B.r
              ? 0x0d
              : e === B.b
                ? 0x08
                : e === B.f
                  ? 0x0c
                  : e === B.v
                    ? 0x0b
                    : (e as number),
      );
    }
    if (text[0] !== B.BRACE_OPEN || text[text.length - 1] !== B.BRACE_CLOSE) {
      throw new IngestError('the unknown columns of a row are not a JSON object');
    }
    if (text.length <= 2) return o;
    out[o++] = B.COMMA;
    for (let k = 1; k < text.length - 1; k++) out[o++] = text[k] as number;
    return o;
  }

  private track(out: Buffer, from: number, to: number): void {
    const hw = this.highWaterBytes;
    if (hw !== undefined) {
      const n = Math.min(hw.length, to - from);
      let cmp = 0;
      for (let k = 0; k < n && cmp === 0; k++) cmp = (out[from + k] as number) - (hw[k] as number);
      if (cmp < 0 || (cmp === 0 && to - from <= hw.length)) return;
    }
    this.highWaterBytes = Buffer.from(out.subarray(from, to));
  }

  private shapeError(data: Buffer, start: number, end: number): IngestError {
    return new IngestError(`a COPY row does not have the ${this.kinds.length} expected columns`, {
      context: { row: data.subarray(start, Math.min(end, start + 200)).toString() },
    });
  }
}

/**
 * The JSON form of one byte of a COPY text value that needs more than a copy: `"`, a control
 * byte, or a COPY backslash escape (whose second byte, at `k + 1`, the caller skips).
 * COPY writes `\b \f \n \r \t \v \\` for those bytes and passes other control bytes raw;
 * JSON (as `row_to_json` renders it) has the same short escapes except `\v`, and `\u00XX`.
 */
function jsonEscape(data: Buffer, k: number, out: Buffer, o: number): number {
  const c = data[k] as number;
  out[o++] = B.BACKSLASH;
  if (c === B.BACKSLASH) {
    const e = data[k + 1];
    if (e === B.BACKSLASH || e === B.n || e === B.t || e === B.r || e === B.b || e === B.f) {
      out[o++] = e;
      return o;
    }
    if (e === B.v) return unicodeEscapeTail(0x0b, out, o);
    throw new IngestError('unexpected escape in the COPY output', { context: { byte: e } });
  }
  if (c === B.QUOTE) {
    out[o++] = B.QUOTE;
    return o;
  }
  return unicodeEscapeTail(c, out, o);
}

/** `u00XX` (after a backslash already written). */
function unicodeEscapeTail(c: number, out: Buffer, o: number): number {
  out[o++] = B.u;
  out[o++] = B.ZERO;
  out[o++] = B.ZERO;
  out[o++] = HEX[c >> 4] as number;
  out[o++] = HEX[c & 15] as number;
  return o;
}

/**
 * `YYYY-MM-DD HH:MI:SS[.ffffff][ BC]` (DateStyle ISO) as `"YYYY-MM-DDTHH:MI:SS.fff"`: the
 * fraction truncated or padded to milliseconds, the era dropped — what `to_char` renders
 * with `YYYY-MM-DD"T"HH24:MI:SS.MS`. `infinity` and `-infinity` (for which `to_char`
 * returns NULL) become `null`.
 */
function timestamp(data: Buffer, p: number, end: number, out: Buffer, o: number): number {
  const first = data[p];
  if (first === B.i || first === B.DASH) {
    out.set(NULL, o);
    return o + 4;
  }
  out[o++] = B.QUOTE;
  let k = p;
  while (k < end && data[k] !== B.SPACE) out[o++] = data[k++] as number;
  out[o++] = B.T_UPPER;
  k++;
  while (k < end && data[k] !== B.DOT && data[k] !== B.SPACE && data[k] !== B.DASH && data[k] !== 0x2b) {
    out[o++] = data[k++] as number;
  }
  out[o++] = B.DOT;
  let digits = 0;
  if (data[k] === B.DOT) {
    k++;
    while (k < end && digits < 3 && (data[k] as number) >= B.ZERO && (data[k] as number) <= B.NINE) {
      out[o++] = data[k++] as number;
      digits++;
    }
  }
  for (; digits < 3; digits++) out[o++] = B.ZERO;
  out[o++] = B.QUOTE;
  return o;
}
