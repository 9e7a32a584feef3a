import { SnapshotFormatError } from './errors';

/**
 * A JSON number kept as the exact text the file holds. Money must never pass through a
 * binary float (552548.62 is not representable), so numbers stay text until PostgreSQL
 * parses them as `numeric`.
 */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** A scalar JSON value: strings decoded, numbers as their source text. */
export type FlatValue = string | JsonNumber | boolean | null;

/** One row of a snapshot: a flat JSON object. */
export type FlatRecord = Readonly<Record<string, FlatValue>>;

const INCOMPLETE = Symbol('incomplete');
type Incomplete = typeof INCOMPLETE;

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const NUMBER_CHARS = new Set('0123456789+-.eE');
const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const TOP_LEVEL_PUNCTUATION = new Set([' ', '\t', '\n', '\r', ',', '[', ']']);

/**
 * Incremental reader of flat JSON objects from text arriving in chunks. It reads JSON Lines
 * (`{…}\n{…}`) and JSON arrays (`[{…}, {…}]`) alike: at the top level it only looks for
 * objects, skipping whitespace, commas and brackets. Values must be scalars (every totesys
 * row is flat); numbers are kept as {@link JsonNumber} text.
 *
 * @example
 * const reader = new FlatJsonReader('sales_order.jsonl');
 * for await (const chunk of stream) for (const row of reader.push(chunk)) use(row);
 * reader.end();
 */
export class FlatJsonReader {
  private pending = '';
  private records = 0;

  constructor(private readonly source: string) {}

  /** Feeds `chunk`; returns every object completed by it. */
  push(chunk: string): FlatRecord[] {
    const text = this.pending + chunk;
    const out: FlatRecord[] = [];
    let pos = 0;
    for (;;) {
      while (pos < text.length && TOP_LEVEL_PUNCTUATION.has(text.charAt(pos))) pos++;
      if (pos >= text.length) {
        this.pending = '';
        return out;
      }
      if (text.charAt(pos) !== '{') throw this.error(`expected "{" but found "${text.charAt(pos)}"`);
      const parsed = this.parseObject(text, pos);
      if (parsed === INCOMPLETE) {
        this.pending = text.slice(pos);
        return out;
      }
      out.push(parsed.record);
      this.records++;
      pos = parsed.end;
    }
  }

  /** Signals the end of input; throws when the text ended inside an object. */
  end(): void {
    if (this.pending.trim() !== '') throw this.error('the file ends in the middle of an object');
  }

  /** Number of objects read so far. */
  get count(): number {
    return this.records;
  }

  private parseObject(text: string, start: number): { record: FlatRecord; end: number } | Incomplete {
    const record: Record<string, FlatValue> = {};
    let pos = skipWhitespace(text, start + 1);
    if (pos >= text.length) return INCOMPLETE;
    if (text.charAt(pos) === '}') return { record, end: pos + 1 };
    for (;;) {
      if (text.charAt(pos) !== '"') throw this.error('expected a quoted key');
      const key = this.parseString(text, pos);
      if (key === INCOMPLETE) return INCOMPLETE;
      pos = skipWhitespace(text, key.end);
      if (pos >= text.length) return INCOMPLETE;
      if (text.charAt(pos) !== ':') throw this.error(`expected ":" after key "${key.value}"`);
      pos = skipWhitespace(text, pos + 1);
      const value = this.parseValue(text, pos);
      if (value === INCOMPLETE) return INCOMPLETE;
      record[key.value] = value.value;
      pos = skipWhitespace(text, value.end);
      if (pos >= text.length) return INCOMPLETE;
      const c = text.charAt(pos);
      if (c === '}') return { record, end: pos + 1 };
      if (c !== ',') throw this.error(`expected "," or "}" after the value of "${key.value}"`);
      pos = skipWhitespace(text, pos + 1);
      if (pos >= text.length) return INCOMPLETE;
    }
  }

  private parseValue(text: string, pos: number): { value: FlatValue; end: number } | Incomplete {
    if (pos >= text.length) return INCOMPLETE;
    const c = text.charAt(pos);
    if (c === '"') return this.parseString(text, pos);
    if (c === '{' || c === '[') throw this.error('nested objects and arrays are not totesys rows');
    for (const [word, value] of LITERALS) {
      if (text.startsWith(word, pos)) return { value, end: pos + word.length };
      if (text.length - pos < word.length && word.startsWith(text.slice(pos))) return INCOMPLETE;
    }
    // A number touching the end of the buffer may continue in the next chunk.
    let end = pos;
    while (end < text.length && NUMBER_CHARS.has(text.charAt(end))) end++;
    if (end >= text.length) return INCOMPLETE;
    const token = text.slice(pos, end);
    if (!NUMBER.test(token)) throw this.error(`unexpected "${text.slice(pos, pos + 20)}"`);
    return { value: new JsonNumber(token), end };
  }

  private parseString(text: string, start: number): { value: string; end: number } | Incomplete {
    let pos = start + 1;
    let escaped = false;
    while (pos < text.length) {
      const c = text.charAt(pos);
      if (c === '\\') {
        escaped = true;
        pos += 2;
        continue;
      }
      if (c === '"') {
        const raw = text.slice(start, pos + 1);
        return { value: escaped ? this.decodeString(raw) : raw.slice(1, -1), end: pos + 1 };
      }
      pos++;
    }
    return INCOMPLETE;
  }

  private decodeString(raw: string): string {
    try {
      return JSON.parse(raw) as string;
    } catch (cause) {
      throw this.error(`invalid string ${raw.slice(0, 40)}`, cause);
    }
  }

  private error(problem: string, cause?: unknown): SnapshotFormatError {
    return new SnapshotFormatError(
      `${this.source}: record ${this.records + 1}: ${problem}. The file must hold JSON Lines or a JSON array of flat objects.`,
      { cause, context: { file: this.source, record: this.records + 1 } },
    );
  }
}

const LITERALS: readonly (readonly [string, FlatValue])[] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

function skipWhitespace(text: string, pos: number): number {
  let p = pos;
  while (p < text.length && WHITESPACE.has(text.charAt(p))) p++;
  return p;
}
