import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { dbtSourcesYaml } from '../../app/analytics/docs/dbt-sources';
import { UsageError } from '../errors';

/** `totes dbt-sources [--out models/sources.yml]`: the warehouse as dbt sources, from the schema module. */
export function register(program: Command): void {
  program
    .command('dbt-sources')
    .description(
      'print (or write) a dbt sources.yml for the warehouse: every table and current view, columns, types, descriptions, tests, and freshness from the load ledger',
    )
    .option('--out <file>', 'write it to this file instead of printing it (e.g. models/sources.yml)')
    .option('--source-name <name>', "the name models use in source('<name>', …)", 'totesys_warehouse')
    .option('--schema <schema>', 'the warehouse schema of the tables', 'public')
    .option('--database <database>', "the database, when dbt's target connects to another one")
    .option(
      '--freshness-minutes <n>',
      'warn when the newest load is older than this, error after twice it (default: freshnessMinutes of cdk.json)',
      (value: string) => {
        if (!/^[1-9]\d{0,5}$/.test(value))
          throw new InvalidArgumentError(`expected a whole number above 0, got "${value}"`);
        return Number(value);
      },
    )
    .action(
      async (options: {
        out?: string;
        sourceName: string;
        schema: string;
        database?: string;
        freshnessMinutes?: number;
      }) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.sourceName)) {
          throw new UsageError(
            `--source-name must be a plain name (letters, digits, _), got "${options.sourceName}"`,
          );
        }
        const yaml = dbtSourcesYaml({
          sourceName: options.sourceName,
          schema: options.schema,
          ...(options.database ? { database: options.database } : {}),
          ...(options.freshnessMinutes ? { freshnessMinutes: options.freshnessMinutes } : {}),
        });
        if (!options.out) {
          process.stdout.write(yaml);
          return;
        }
        const path = resolve(options.out);
        await writeFile(path, yaml, 'utf8');
        process.stderr.write(`wrote ${path}\n`);
      },
    );
}
