import type { Command } from 'commander';
import { openLocalAthena } from '../../app/analytics/local-athena';
import {
  athenaExecutionParameters,
  bindParameters,
  findNamedQuery,
  type NamedQuery,
  readNamedQueries,
} from '../../app/analytics/named-queries';
import { openEnvironment } from '../environment';
import { emit, renderTable } from '../output';
import { formatResult, type QueryFormat } from './query';

/**
 * `totes queries`: lists the analysts' named queries (athena-queries/); `totes queries <name>
 * [values…]` runs one on the local lake with its parameters, or prints it ready for Athena.
 */
export function register(program: Command): void {
  program
    .command('queries')
    .description(
      'list the named analyst queries, or run one on the local lake: totes queries <name> [parameter values…]',
    )
    .argument('[name]', 'a named query, e.g. sales_by_month')
    .argument('[values...]', "the query's parameter values in order, e.g. 2024-11-15")
    .option('--json', 'print JSON (the list, or the rows as objects)')
    .option('--csv', 'print the rows as CSV')
    .option(
      '--sql',
      'print the SQL with the values bound (and the Athena execution parameters) instead of running it',
    )
    .action(
      async (
        name: string | undefined,
        values: string[],
        options: { json?: boolean; csv?: boolean; sql?: boolean },
      ) => {
        if (name === undefined) {
          const queries = await readNamedQueries();
          emit(options.json, queries.map(summary), () => renderList(queries));
          return;
        }
        const query = await findNamedQuery(name);
        const sql = bindParameters(query, values);
        if (options.sql) {
          emit(
            options.json,
            { name, sql, athenaExecutionParameters: athenaExecutionParameters(query, values) },
            () => sql,
          );
          return;
        }
        const env = await openEnvironment(program.opts());
        try {
          const athena = await openLocalAthena(env.lake);
          try {
            const format: QueryFormat = options.json ? 'json' : options.csv ? 'csv' : 'table';
            process.stdout.write(`${formatResult(await athena.runQuery(sql), format)}\n`);
          } finally {
            athena.close();
          }
        } finally {
          await env.close();
        }
      },
    );
}

function summary(query: NamedQuery) {
  return { name: query.name, question: query.question, parameters: query.parameters, answer: query.answer };
}

function renderList(queries: readonly NamedQuery[]): string {
  const table = renderTable(queries, [
    { header: 'name', value: (q) => q.name },
    { header: 'parameters', value: (q) => q.parameters.map((p) => `${p.name} ${p.type}`).join(', ') },
    { header: 'question', value: (q) => q.question },
  ]);
  return `${table}\nrun one: totes queries <name> [values…]   (e.g. totes queries last_month_sales_by_country 2024-11-15)`;
}
