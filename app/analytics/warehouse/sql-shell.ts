import { createInterface } from 'node:readline';
import { type Client, type QueryResult as PgResult, types } from 'pg';
import type { QueryResult } from '../../../lambdas/kernel/duckdb/duckdb';

/** OIDs of the types shown as PostgreSQL prints them (a JS Date would shift dates into the local zone). */
const AS_TEXT = new Set([1082, 1083, 1114, 1184, 1186, 1266]);
const INT8 = 20;

/**
 * Type parsers for analyst output: dates, times and timestamps as text, `bigint` (counts) as a
 * number when it fits one exactly, `numeric` (money) as its exact decimal text.
 */
export const analystTypes = {
  getTypeParser: ((oid: number, format?: string) => {
    if (AS_TEXT.has(oid)) return (value: string) => value;
    if (oid === INT8) {
      return (value: string) => {
        const n = Number(value);
        return Number.isSafeInteger(n) ? n : value;
      };
    }
    return types.getTypeParser(oid, format as 'text');
  }) as typeof types.getTypeParser,
};

/** What one statement returned: rows (with their columns) or, for other commands, its tag. */
export type StatementResult =
  | { readonly kind: 'rows'; readonly result: QueryResult }
  | { readonly kind: 'command'; readonly tag: string };

/**
 * Runs SQL text (one or more statements, PostgreSQL's simple protocol) and returns what each
 * statement gave.
 */
export async function runSql(client: Client, sql: string): Promise<StatementResult[]> {
  const raw = (await client.query({ text: sql, rowMode: 'array', types: analystTypes })) as
    | PgResult<unknown[]>
    | PgResult<unknown[]>[];
  return (Array.isArray(raw) ? raw : [raw]).map((r) =>
    r.fields.length > 0
      ? { kind: 'rows', result: { columns: r.fields.map((f) => f.name), rows: r.rows } }
      : { kind: 'command', tag: [r.command, r.rowCount ?? ''].join(' ').trim() },
  );
}

/**
 * Where the first complete statement of `text` ends (the index after its `;`), or -1. A `;`
 * inside a string, a quoted name, a dollar-quoted body or a comment does not end a statement.
 */
export function statementEnd(text: string): number {
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === '-' && next === '-') {
      const eol = text.indexOf('\n', i);
      if (eol < 0) return -1;
      i = eol + 1;
    } else if (ch === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return -1;
      i = close + 2;
    } else if (ch === "'" || ch === '"') {
      let j = i + 1;
      for (;;) {
        const at = text.indexOf(ch, j);
        if (at < 0) return -1;
        if (text[at + 1] === ch) j = at + 2;
        else {
          i = at + 1;
          break;
        }
      }
    } else if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i))?.[0];
      if (tag) {
        const close = text.indexOf(tag, i + tag.length);
        if (close < 0) return -1;
        i = close + tag.length;
      } else i++;
    } else if (ch === ';') {
      return i + 1;
    } else i++;
  }
  return -1;
}

/** What the shell reads from and writes to. */
export interface ShellIo {
  readonly input: NodeJS.ReadableStream;
  readonly write: (text: string) => void;
  /** Show prompts (a terminal); a pipe or file gets none. */
  readonly prompt: boolean;
  /** How a result table is printed (the CLI's table, JSON or CSV rendering). */
  readonly render: (result: QueryResult) => string;
}

/** What a shell session did. */
export interface ShellSummary {
  readonly statements: number;
  readonly errors: number;
}

const HELP = `Type SQL ending with ; to run it (read-only). Commands:
  \\dt          tables (star schema and the load ledger)
  \\dv          views (current state, QuickSight questions)
  \\df          functions (questions with a parameter, e.g. last_month_sales_by_country(date))
  \\d NAME      columns of a table or view, with their descriptions
  \\?           this help
  \\q           quit (or Ctrl-D)`;

const LIST_RELATIONS = `SELECT n.nspname AS schema, c.relname AS name, coalesce(obj_description(c.oid, 'pg_class'), '') AS description
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = ANY($1) AND n.nspname IN ('public', 'etl') AND has_table_privilege(c.oid, 'SELECT')
 ORDER BY 1, 2`;

const LIST_FUNCTIONS = `SELECT p.proname AS name, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS returns
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`;

const DESCRIBE = `SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
       CASE WHEN a.attnotnull THEN 'not null' ELSE '' END AS nullable,
       coalesce(col_description(a.attrelid, a.attnum), '') AS description
  FROM pg_attribute a
 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

/**
 * A small psql-like shell on `client`: statements run as soon as their `;` is typed, their
 * rows printed with `io.render`; an error is printed and the session goes on (the summary
 * counts it). Ends at `\q` or the end of the input.
 */
export async function runSqlShell(client: Client, io: ShellIo): Promise<ShellSummary> {
  const lines = createInterface({ input: io.input, terminal: false });
  let buffer = '';
  let statements = 0;
  let errors = 0;
  const prompt = () => {
    if (io.prompt) io.write(buffer.trim() === '' ? 'warehouse=> ' : 'warehouse-> ');
  };
  const attempt = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      errors++;
      io.write(`ERROR:  ${error instanceof Error ? error.message : String(error)}\n`);
    }
  };
  const show = (results: readonly StatementResult[]) => {
    for (const r of results) io.write(`${r.kind === 'rows' ? io.render(r.result) : r.tag}\n`);
  };
  const table = async (sql: string, params: unknown[]) => {
    const { rows, fields } = await client.query({
      text: sql,
      values: params,
      rowMode: 'array',
      types: analystTypes,
    });
    io.write(`${io.render({ columns: fields.map((f) => f.name), rows })}\n`);
  };
  if (io.prompt) io.write('Connected to the warehouse, read-only. \\? for help, \\q to quit.\n');
  prompt();
  for await (const line of lines) {
    if (buffer.trim() === '' && line.trim().startsWith('\\')) {
      const [command, ...args] = line.trim().split(/\s+/);
      if (command === '\\q') break;
      await attempt(async () => {
        if (command === '\\?') io.write(`${HELP}\n`);
        else if (command === '\\dt') await table(LIST_RELATIONS, [['r', 'p']]);
        else if (command === '\\dv') await table(LIST_RELATIONS, [['v', 'm']]);
        else if (command === '\\df') await table(LIST_FUNCTIONS, []);
        else if (command === '\\d' && args[0]) await table(DESCRIBE, [args[0]]);
        else throw new Error(`unknown command ${line.trim()}; \\? lists the commands`);
      });
      prompt();
      continue;
    }
    buffer += `${line}\n`;
    for (let end = statementEnd(buffer); end > 0; end = statementEnd(buffer)) {
      const sql = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\s*\n/, '');
      statements++;
      await attempt(async () => show(await runSql(client, sql)));
    }
    prompt();
  }
  if (buffer.trim() !== '' && statementEnd(`${buffer};`) > 0 && !/^\s*(--[^\n]*\n\s*)*$/.test(buffer)) {
    // The input ended without a final `;`: run what is left, as psql does with -f.
    statements++;
    const rest = buffer;
    await attempt(async () => show(await runSql(client, rest)));
  }
  lines.close();
  return { statements, errors };
}
