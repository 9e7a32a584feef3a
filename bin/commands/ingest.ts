import type { Command } from 'commander';
import { commandLease } from '../../app/pipeline/command-lease';
import { ingest } from '../../lambdas/ingest/ingest';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { withLease } from '../../lambdas/kernel/lake/documents/lease';
import { openEnvironment } from '../environment';
import { seconds } from '../options';
import { emit, renderTable } from '../output';

/** `totes ingest`: capture source changes into the raw zone. */
export function register(program: Command): void {
  program
    .command('ingest')
    .description(
      'capture every change in totesys since the last run into the raw zone (raw/<table>/…jsonl.gz)',
    )
    .option('--table <name...>', 'only these source tables')
    .option('--wait <seconds>', 'wait for a busy pipeline lease instead of exiting 4', seconds, 0)
    .option('--json', 'print the result as JSON')
    .action(async (options: { table?: string[]; json?: boolean; wait: number }) => {
      const env = await openEnvironment(program.opts());
      const source = await connectPg(env.sourceUrl, 'source');
      try {
        const result = await withLease(env.lake, commandLease('totes ingest', options, env), () =>
          ingest({
            source,
            lake: env.lake,
            log: env.log,
            ...(options.table ? { tables: options.table } : {}),
          }),
        );
        emit(options.json, result, () =>
          [
            `ingest run ${result.runId}: ${result.changed ? `committed as run #${result.seq}` : 'no changes'}`,
            renderTable(result.tables, [
              { header: 'table', value: (t) => t.table },
              { header: 'created', value: (t) => t.ops.c, right: true },
              { header: 'updated', value: (t) => t.ops.u, right: true },
              { header: 'deleted', value: (t) => t.ops.d, right: true },
              {
                header: 'note',
                value: (t) =>
                  t.error?.message ??
                  (t.extraColumns.length ? `extra columns: ${t.extraColumns.join(', ')}` : ''),
              },
            ]),
          ].join('\n'),
        );
        if (result.tables.some((t) => t.error)) process.exitCode = 1;
      } finally {
        await source.end();
        await env.close();
      }
    });
}
