import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { openLocalAthena } from '../../app/analytics/local-athena';
import type { QueryResult } from '../../lambdas/kernel/duckdb/duckdb';
import { openEnvironment } from '../environment';
import { renderTable } from '../output';

/** Output formats of `totes query`. */
export type QueryFormat = 'table' | 'json' | 'csv';

/** `totes query "<sql>"` or `totes query file.sql`: Athena-style SQL on DuckDB over the local lake. */
export function register(program: Command): void {
  program
    .command('query')
    .description(
      'run SQL on the local lake (DuckDB; one view per star-schema table, like Athena, plus <fact>_current)',
    )
    .argument('<sql-or-file>', 'SQL text, or the path of a .sql file')
    .option('--json', 'print rows as a JSON array of objects')
    .option('--csv', 'print rows as CSV with a header line')
    .action(async (sqlOrFile: string, options: { json?: boolean; csv?: boolean }) => {
      const sql = await readSql(sqlOrFile);
      const env = await openEnvironment(program.opts());
      try {
        const athena = await openLocalAthena(env.lake);
        try {
          const result = await athena.runQuery(sql);
          const format: QueryFormat = options.json ? 'json' : options.csv ? 'csv' : 'table';
          process.stdout.write(`${formatResult(result, format)}\n`);
        } finally {
          athena.close();
        }
      } finally {
        await env.close();
      }
    });
}

/** The argument's SQL: the file's text when it names a file (`.sql`), else the argument itself. */
export async function readSql(sqlOrFile: string): Promise<string> {
  const looksLikeFile = /\.sql$/i.test(sqlOrFile.trim()) && !/\s/.test(sqlOrFile.trim());
  if (!looksLikeFile) return sqlOrFile;
  const info = await stat(sqlOrFile).catch(() => undefined);
  if (!info?.isFile()) throw new Error(`no SQL file ${sqlOrFile}; pass SQL text or an existing .sql file`);
  return readFile(sqlOrFile, 'utf8');
}

/** Renders a query result as an aligned table, JSON objects or CSV. */
export function formatResult(result: QueryResult, format: QueryFormat): string {
  if (format === 'json') {
    return JSON.stringify(
      result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null]))),
      null,
      2,
    );
  }
  if (format === 'csv') {
    return [result.columns, ...result.rows].map((row) => row.map(csvCell).join(',')).join('\n');
  }
  const table = renderTable(
    result.rows,
    result.columns.map((header, i) => ({ header, value: (row: readonly unknown[]) => cell(row[i]) })),
  );
  return `${table}\n(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
