import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { writeReport } from '../../app/analytics/report/report';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { openEnvironment } from '../environment';
import { emit } from '../output';

/** `totes report [--out file]`: a static HTML dashboard generated from the warehouse. */
export function register(program: Command): void {
  program
    .command('report')
    .description(
      'write a self-contained HTML dashboard from the warehouse (opens offline): key figures month on month, sales by month, top countries and designs by value, unpaid payments by age, data freshness',
    )
    .option('--out <file>', 'where to write the HTML (default: report.html in TOTES_HOME, outside git)')
    .option(
      '--as-of <date>',
      'the day the report is about, payments aged against it (YYYY-MM-DD; default: the newest change in the data)',
      parseDate,
    )
    .option('--top <n>', 'countries and designs shown per currency', parsePositive, 10)
    .option(
      '--freshness-minutes <n>',
      'how old data may be before it is stale (default: freshnessMinutes of cdk.json, as the alarm)',
      parsePositive,
    )
    .option('--json', 'print the report data as JSON as well as writing the file')
    .action(
      async (options: {
        out?: string;
        asOf?: string;
        top: number;
        freshnessMinutes?: number;
        json?: boolean;
      }) => {
        const env = await openEnvironment(program.opts());
        try {
          const warehouse = await connectPg(env.warehouseUrl, 'warehouse');
          try {
            const path = options.out ? resolve(options.out) : join(env.config.home, 'report.html');
            const result = await writeReport(
              {
                warehouse,
                lake: env.lake,
                top: options.top,
                ...(options.asOf ? { asOf: options.asOf } : {}),
                ...(options.freshnessMinutes ? { freshnessMinutes: options.freshnessMinutes } : {}),
              },
              path,
            );
            emit(
              options.json,
              { path: result.path, bytes: result.bytes, ...result.data },
              () =>
                `wrote ${result.path} (${Math.ceil(result.bytes / 1024)} KiB); open it in any browser, no network needed`,
            );
          } finally {
            await warehouse.end();
          }
        } finally {
          await env.close();
        }
      },
    );
}

function parseDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got "${value}"`);
  }
  return value;
}

function parsePositive(value: string): number {
  if (!/^[1-9]\d{0,5}$/.test(value))
    throw new InvalidArgumentError(`expected a whole number above 0, got "${value}"`);
  return Number(value);
}
