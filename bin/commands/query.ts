import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { openLocalAthena } from '../../app/analytics/local-athena';
import type { QueryResult } from '../../lambdas/kernel/duckdb/duckdb';
import { type AthenaOptions, athenaTarget, runOnAthena } from '../athena';
import type { Environment } from '../environment';
import { openEnvironment } from '../environment';
import { UsageError } from '../errors';
import { writeOut } from '../output';
import {
  athenaJson,
  csvText,
  exportDuckResult,
  jsonText,
  type QueryFormat,
  renderResultTable,
} from '../query-output';

export type { QueryFormat } from '../query-output';

/** Options `query` and `queries` share. */
export interface QueryOptions extends AthenaOptions {
  readonly json?: boolean;
  readonly csv?: boolean;
}

/** `totes query "<sql>"` or `totes query file.sql`: Athena-style SQL on the lake. */
export function register(program: Command): void {
  const command = program
    .command('query')
    .description(
      'run SQL on the lake: DuckDB over a local lake (one view per star-schema table, like Athena, plus <fact>_current), Athena for an S3 lake',
    )
    .argument('<sql-or-file>', 'SQL text, or the path of a .sql file');
  addQueryOptions(command).action(async (sqlOrFile: string, options: QueryOptions) => {
    const format = queryFormat(options);
    const sql = await readSql(sqlOrFile);
    const env = await openEnvironment(program.opts());
    try {
      await printQuery(env, { sql }, format, options);
    } finally {
      await env.close();
    }
  });
}

/** Adds the output and Athena options of `query` / `queries` to a command. */
export function addQueryOptions(command: Command): Command {
  return command
    .option('--json', 'print rows as a JSON array of objects: integers as numbers, decimals as exact strings')
    .option('--csv', 'print rows as CSV with a header line: NULL is an empty field, the empty string ""')
    .option('--workgroup <name>', 'S3 lake: the Athena workgroup to run in (default: $ATHENA_WORKGROUP)')
    .option('--database <name>', 'S3 lake: the Glue database of the tables (default: $GLUE_DATABASE)');
}

/** The format the options ask for. @throws {UsageError} for `--json` with `--csv`. */
export function queryFormat(options: QueryOptions): QueryFormat {
  if (options.json && options.csv) throw new UsageError('--json and --csv exclude each other; pick one');
  return options.json ? 'json' : options.csv ? 'csv' : 'table';
}

/** What to run: SQL for DuckDB, and for Athena the SQL with `?` placeholders and their values. */
export interface QueryText {
  readonly sql: string;
  readonly athena?: { readonly sql: string; readonly parameters: readonly string[] };
}

/**
 * Runs a query on the environment's lake and prints its rows: on a local lake with DuckDB
 * (CSV and JSON through DuckDB's own writers), on an S3 lake with Athena (workgroup and
 * database from the options or the environment).
 */
export async function printQuery(
  env: Environment,
  query: QueryText,
  format: QueryFormat,
  options: AthenaOptions,
): Promise<void> {
  if (env.lake.localPath('curated') === undefined) {
    const target = athenaTarget(options, env.config);
    const athena = query.athena ?? { sql: query.sql, parameters: [] };
    const result = await runOnAthena(athena.sql, target, {
      ...(athena.parameters.length ? { parameters: athena.parameters } : {}),
      log: env.log,
    });
    const rows = {
      columns: result.columns.map((c) => c.name),
      rows: result.rows.map((row) => result.columns.map((c) => row[c.name] ?? null)),
    };
    const text =
      format === 'json' ? athenaJson(result) : format === 'csv' ? csvText(rows) : renderResultTable(rows);
    await writeOut(`${text}\n`);
    return;
  }
  const athena = await openLocalAthena(env.lake);
  try {
    if (format === 'table') await writeOut(`${renderResultTable(await athena.runQuery(query.sql))}\n`);
    else await exportDuckResult(athena, query.sql, format);
  } finally {
    athena.close();
  }
}

/** The argument's SQL: the file's text when it names a file (`.sql`), else the argument itself. */
export async function readSql(sqlOrFile: string): Promise<string> {
  const looksLikeFile = /\.sql$/i.test(sqlOrFile.trim()) && !/\s/.test(sqlOrFile.trim());
  if (!looksLikeFile) return sqlOrFile;
  const info = await stat(sqlOrFile).catch(() => undefined);
  if (!info?.isFile())
    throw new UsageError(`no SQL file ${sqlOrFile}; pass SQL text or an existing .sql file`);
  return readFile(sqlOrFile, 'utf8');
}

/** Renders a query result held in memory as a table, JSON objects or CSV (`demo` prints one). */
export function formatResult(result: QueryResult, format: QueryFormat): string {
  if (format === 'json') return jsonText(result);
  if (format === 'csv') return csvText(result);
  return renderResultTable(result);
}
