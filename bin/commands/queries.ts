import type { Command } from 'commander';
import {
  athenaExecutionParameters,
  bindParameters,
  findNamedQuery,
  type NamedQuery,
  readNamedQueries,
} from '../../app/analytics/named-queries';
import { openEnvironment } from '../environment';
import { emit, renderTable } from '../output';
import { printQuery, type QueryOptions, queryFormat } from './query';

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
    .option(
      '--json',
      'print JSON (the list, or the rows as objects: integers as numbers, decimals as exact strings)',
    )
    .option('--csv', 'print the rows as CSV: NULL is an empty field, the empty string ""')
    .option(
      '--sql',
      'print the SQL with the values bound (and the Athena execution parameters) instead of running it',
    )
    .option('--workgroup <name>', 'S3 lake: the Athena workgroup to run in (default: $ATHENA_WORKGROUP)')
    .option('--database <name>', 'S3 lake: the Glue database of the tables (default: $GLUE_DATABASE)')
    .action(async (name: string | undefined, values: string[], options: QueryOptions & { sql?: boolean }) => {
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
      const format = queryFormat(options);
      const env = await openEnvironment(program.opts());
      try {
        const athena = { sql: query.sql, parameters: athenaExecutionParameters(query, values) };
        await printQuery(env, { sql, athena }, format, options);
      } finally {
        await env.close();
      }
    });
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
