import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { QueryError } from './errors';

/** The `athena-queries/` folder of this repository. */
export const DEFAULT_QUERIES_DIR = resolve(__dirname, '..', '..', 'athena-queries');

/** Types a named-query parameter can have; each maps to one literal form. */
export type ParameterType = 'DATE' | 'INTEGER' | 'VARCHAR';

/** One `?` of a named query, documented in its header. */
export interface NamedQueryParameter {
  /** 1-based: the parameter binds the n-th `?` of the SQL. */
  readonly position: number;
  readonly name: string;
  readonly type: ParameterType;
  readonly description: string;
}

/** An analyst query from `athena-queries/<name>.sql`, with its parsed header. */
export interface NamedQuery {
  /** The file name without `.sql`, e.g. `sales_by_month`. */
  readonly name: string;
  /** The business question the query answers. */
  readonly question: string;
  readonly parameters: readonly NamedQueryParameter[];
  /** The expected shape of the answer (rows, columns, order). */
  readonly answer: string;
  /** The whole file, header comment included (Athena runs it as it is). */
  readonly sql: string;
}

/** What the CDK deploys as an Athena named query. */
export interface NamedQueryDefinition {
  readonly name: string;
  /** At most 1024 characters (Athena's limit): the question and the parameters. */
  readonly description: string;
  readonly sql: string;
}

/** A named-query file whose header or placeholders do not follow the convention. */
export class NamedQueryFormatError extends QueryError {}

/** No named query has that name. */
export class UnknownNamedQueryError extends QueryError {}

/** A parameter value is missing, extra, or not of the parameter's type. */
export class NamedQueryParameterError extends QueryError {}

const PARAMETER_LINE = /^(\d+)\.\s+([a-z_][a-z0-9_]*)\s+(DATE|INTEGER|VARCHAR):\s*(.+)$/;

/**
 * Parses a named query's header: the leading `--` comment lines
 *
 * ```
 * -- Question: <one line>
 * -- Parameters: none            (or "Parameters:" then "--   1. name TYPE: description" lines)
 * -- Answer: <shape, may continue on the following comment lines>
 * ```
 *
 * and checks that the SQL has exactly one `?` per declared parameter.
 *
 * @throws {NamedQueryFormatError} naming the file and what is missing.
 */
export function parseNamedQuery(name: string, sql: string): NamedQuery {
  const header = headerLines(sql);
  const fail = (what: string): never => {
    throw new NamedQueryFormatError(
      `athena-queries/${name}.sql: ${what}. Start the file with "-- Question:", "-- Parameters:" and "-- Answer:" comment lines.`,
      { context: { query: name } },
    );
  };
  const questionAt = header.findIndex((l) => l.startsWith('Question:'));
  const parametersAt = header.findIndex((l) => l.startsWith('Parameters:'));
  const answerAt = header.findIndex((l) => l.startsWith('Answer:'));
  if (questionAt !== 0) fail('the first line is not "-- Question: …"');
  if (parametersAt < 0 || answerAt < parametersAt) fail('"-- Parameters:" must come before "-- Answer:"');
  const question = (header[0] ?? '').slice('Question:'.length).trim();
  if (question === '') fail('the question is empty');
  const parameters = parseParameters(header.slice(parametersAt, answerAt), fail);
  const answer = header.slice(answerAt).join(' ').slice('Answer:'.length).replace(/\s+/g, ' ').trim();
  const placeholders = placeholderOffsets(sql).length;
  if (placeholders !== parameters.length) {
    fail(
      `the SQL has ${placeholders} "?" placeholders but the header declares ${parameters.length} parameters`,
    );
  }
  return { name, question, parameters, answer, sql };
}

/** The header comment's lines, without `--` and surrounding spaces; stops at the first SQL line. */
function headerLines(sql: string): string[] {
  const lines: string[] = [];
  for (const line of sql.split('\n')) {
    const match = /^\s*--\s?(.*)$/.exec(line);
    if (!match) break;
    lines.push((match[1] ?? '').trim());
  }
  return lines;
}

function parseParameters(lines: readonly string[], fail: (what: string) => never): NamedQueryParameter[] {
  const inline = (lines[0] ?? '').slice('Parameters:'.length).trim();
  if (inline.toLowerCase() === 'none') return [];
  if (inline !== '') fail('"Parameters:" is followed by text; write "none" or list them on the next lines');
  const parameters: NamedQueryParameter[] = [];
  for (const line of lines.slice(1)) {
    const match = PARAMETER_LINE.exec(line);
    if (!match) {
      const last = parameters.pop();
      if (!last) fail(`parameter line "${line}" is not "N. name TYPE: description"`);
      else parameters.push({ ...last, description: `${last.description} ${line}` });
      continue;
    }
    const [, position, name, type, description] = match;
    if (Number(position) !== parameters.length + 1)
      fail(`parameter ${name} is numbered ${position}, out of order`);
    parameters.push({
      position: Number(position),
      name: name as string,
      type: type as ParameterType,
      description: (description as string).trim(),
    });
  }
  if (parameters.length === 0) fail('"Parameters:" lists no parameter; write "Parameters: none"');
  return parameters;
}

/**
 * Offsets of the `?` placeholders of `sql`, skipping those inside string literals, quoted
 * identifiers and comments (a `?` in a header comment is not a parameter).
 */
export function placeholderOffsets(sql: string): number[] {
  const offsets: number[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (ch === "'" || ch === '"') {
      i = closingQuote(sql, i, ch) + 1;
    } else {
      if (ch === '?') offsets.push(i);
      i++;
    }
  }
  return offsets;
}

/** Index of the quote that closes the literal opened at `start` (a doubled quote is an escape). */
function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i;
    } else i++;
  }
  return sql.length;
}

/** Every named query of `dir`, in name order. */
export async function readNamedQueries(dir: string = DEFAULT_QUERIES_DIR): Promise<NamedQuery[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (f) => parseNamedQuery(basename(f, '.sql'), await readFile(join(dir, f), 'utf8'))),
  );
}

/** The named query called `name`. @throws {UnknownNamedQueryError} listing the known names. */
export async function findNamedQuery(name: string, dir: string = DEFAULT_QUERIES_DIR): Promise<NamedQuery> {
  const queries = await readNamedQueries(dir);
  const query = queries.find((q) => q.name === name);
  if (!query) {
    throw new UnknownNamedQueryError(
      `there is no named query "${name}"; run "totes queries" to list them (${queries.map((q) => q.name).join(', ')})`,
      { context: { query: name } },
    );
  }
  return query;
}

/**
 * The named queries of `dir` as the CDK deploys them (synchronous: CDK constructs are built
 * synchronously). Every file is parsed, so a malformed header fails `cdk synth`.
 */
export function namedQueryDefinitions(dir: string = DEFAULT_QUERIES_DIR): NamedQueryDefinition[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const query = parseNamedQuery(basename(f, '.sql'), readFileSync(join(dir, f), 'utf8'));
      return { name: query.name, description: describe(query), sql: query.sql.trim() };
    });
}

function describe(query: NamedQuery): string {
  const parameters = query.parameters.map((p) => `${p.position}. ${p.name} (${p.type})`).join('; ');
  const text = parameters === '' ? query.question : `${query.question} Parameters: ${parameters}.`;
  return text.slice(0, 1024);
}

/**
 * The SQL literal for one parameter value, checked against the parameter's type: a typed
 * literal (`DATE '2024-11-15'`, `42`, `'text'`) that both Trino and DuckDB read.
 *
 * @throws {NamedQueryParameterError} when the value is not of the parameter's type.
 */
export function parameterLiteral(parameter: NamedQueryParameter, value: string): string {
  const bad = (expected: string): never => {
    throw new NamedQueryParameterError(
      `parameter ${parameter.position} (${parameter.name}) must be ${expected}, got "${value}"`,
      { context: { parameter: parameter.name } },
    );
  };
  switch (parameter.type) {
    case 'DATE':
      if (!isIsoDate(value)) bad('a date YYYY-MM-DD');
      return `DATE '${value}'`;
    case 'INTEGER':
      if (!/^-?\d{1,10}$/.test(value) || Math.abs(Number(value)) > 2 ** 31 - 1) bad('a 32-bit integer');
      return String(Number(value));
    case 'VARCHAR':
      return `'${value.replaceAll("'", "''")}'`;
  }
}

function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function checkArity(query: NamedQuery, values: readonly string[]): void {
  if (values.length === query.parameters.length) return;
  const expected = query.parameters.map((p) => `${p.name} (${p.type})`).join(', ') || 'none';
  throw new NamedQueryParameterError(
    `named query ${query.name} takes ${query.parameters.length} parameter(s): ${expected}; got ${values.length}`,
    { context: { query: query.name } },
  );
}

/**
 * The query's SQL with each `?` replaced by its value as a typed literal, for engines that
 * run it locally (DuckDB). Values are validated by type and quoted, never pasted raw.
 *
 * @example
 * bindParameters(query, ['2024-11-15']); // … CAST(DATE '2024-11-15' AS DATE) …
 */
export function bindParameters(query: NamedQuery, values: readonly string[]): string {
  checkArity(query, values);
  const literals = query.parameters.map((p, i) => parameterLiteral(p, values[i] as string));
  const offsets = placeholderOffsets(query.sql);
  let sql = query.sql;
  for (let i = offsets.length - 1; i >= 0; i--) {
    const at = offsets[i] as number;
    sql = `${sql.slice(0, at)}${literals[i]}${sql.slice(at + 1)}`;
  }
  return sql;
}

/**
 * Athena `ExecutionParameters` for the query, in order: the validated values as the literals
 * `StartQueryExecution` substitutes for the `?` placeholders. Dates go as quoted text (the
 * form Athena's documentation uses); every date placeholder is wrapped in `CAST(? AS DATE)`.
 */
export function athenaExecutionParameters(query: NamedQuery, values: readonly string[]): string[] {
  checkArity(query, values);
  return query.parameters.map((p, i) => {
    const literal = parameterLiteral(p, values[i] as string);
    return p.type === 'DATE' ? literal.slice('DATE '.length) : literal;
  });
}
