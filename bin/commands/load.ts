import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { commandLease } from '../../app/pipeline/command-lease';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { withLease } from '../../lambdas/kernel/lake/documents/lease';
import { warehouseTables } from '../../lambdas/kernel/schema';
import { runLoadStage } from '../../lambdas/load/stage';
import { openEnvironment } from '../environment';
import { seconds } from '../options';
import { emit, renderTable } from '../output';

/** `totes load`: migrate the warehouse and apply every committed transform batch. */
export function register(program: Command): void {
  program
    .command('load')
    .description(
      'apply pending warehouse migrations, then load every committed curated batch into the warehouse (each exactly once)',
    )
    .option('--max-batches <n>', 'load at most this many batches', parsePositive)
    .option('--wait <seconds>', 'wait for a busy pipeline lease instead of exiting 4', seconds, 0)
    .option('--json', 'print the result as JSON')
    .action(async (options: { maxBatches?: number; json?: boolean; wait: number }) => {
      const env = await openEnvironment(program.opts());
      const workDir = await mkdtemp(join(tmpdir(), 'totes-load-'));
      try {
        const warehouse = await connectPg(env.warehouseUrl, 'warehouse');
        try {
          const result = await withLease(env.lake, commandLease('totes load', options, env), () =>
            runLoadStage({
              warehouse,
              lake: env.lake,
              log: env.log,
              workDir,
              ...(options.maxBatches === undefined ? {} : { maxBatches: options.maxBatches }),
            }),
          );
          emit(options.json, result, () => {
            const migrations = result.migrations.applied.length
              ? `applied migrations: ${result.migrations.applied.join(', ')}\n`
              : '';
            const head =
              result.batches.length === 0
                ? `warehouse is up to date (batch ${result.lastLoadedSeq} of ${result.committedSeq})`
                : `loaded batches ${result.batches.map((b) => b.seq).join(', ')} (now at ${result.lastLoadedSeq} of ${result.committedSeq})`;
            const rows = warehouseTables.map((t) => ({ table: t.name, rows: result.rows[t.name] ?? 0 }));
            return `${migrations}${head}\n${renderTable(rows, [
              { header: 'table', value: (r) => r.table },
              { header: 'rows loaded', value: (r) => r.rows, right: true },
            ])}`;
          });
        } finally {
          await warehouse.end();
        }
      } finally {
        await rm(workDir, { recursive: true, force: true });
        await env.close();
      }
    });
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}
