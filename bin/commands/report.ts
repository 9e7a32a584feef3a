import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { writeReport } from '../../app/analytics/report/report';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { openEnvironment } from '../environment';
import { emit } from '../output';

/** `totes report [--out report.html]`: a static HTML dashboard generated from the warehouse. */
export function register(program: Command): void {
  program
    .command('report')
    .description(
      'write a self-contained HTML dashboard from the warehouse: sales by month, top designs, sales by country, unpaid payments, data freshness (opens offline)',
    )
    .option('--out <file>', 'where to write the HTML', 'report.html')
    .option(
      '--as-of <date>',
      'judge payments due or overdue against this day (YYYY-MM-DD; default today)',
      parseDate,
    )
    .option('--json', 'print the report data as JSON as well as writing the file')
    .action(async (options: { out: string; asOf?: string; json?: boolean }) => {
      const env = await openEnvironment(program.opts());
      try {
        const warehouse = await connectPg(env.warehouseUrl, 'warehouse');
        try {
          const path = resolve(options.out);
          const result = await writeReport(
            { warehouse, lake: env.lake, ...(options.asOf ? { asOf: options.asOf } : {}) },
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
    });
}

function parseDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got "${value}"`);
  }
  return value;
}
