import { type Command, InvalidArgumentError } from 'commander';
import { simulateChanges } from '../../app/totesys/simulate';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { openEnvironment } from '../environment';
import { emit, renderTable } from '../output';

interface SimulateOptions {
  changes: number;
  seed: number;
  transactions: number;
  json?: boolean;
}

/** `totes simulate`: realistic change traffic on the source, to watch the pipeline capture it. */
export function register(program: Command): void {
  program
    .command('simulate')
    .description(
      'make realistic changes in the totesys source: new orders with transactions and payments, payments paid, edits with and without last_updated, department and address edits, sales order deletes',
    )
    .option('--changes <n>', 'number of changes to make', positive, 100)
    .option('--seed <s>', 'PRNG seed; the same seed on the same source makes the same changes', whole, 1)
    .option('--transactions <n>', 'spread the changes over this many database transactions', positive, 1)
    .option('--json', 'print every touched primary key as JSON')
    .addHelpText(
      'after',
      `
Edits "in place" change a row without moving last_updated, as the real totesys does; a sales
order delete makes PostgreSQL set its transaction's sales_order_id to NULL (ON DELETE SET NULL).
Edits and deletes only touch rows that existed before the command.

Examples:
  totes simulate
  totes simulate --changes 1000 --seed 7 --transactions 10
  totes simulate --changes 50 --json > changes.json`,
    )
    .action(async (options: SimulateOptions) => {
      const env = await openEnvironment(program.opts());
      const source = await connectPg(env.sourceUrl, 'source');
      try {
        const result = await simulateChanges(source, {
          changes: options.changes,
          seed: options.seed,
          transactions: options.transactions,
          log: env.log,
        });
        emit(options.json, result, () => {
          const rows = result.effects.map((e) => ({ ...e, rows: e.keys.length }));
          const table = renderTable(rows, [
            { header: 'change', value: (e) => e.kind },
            { header: 'table', value: (e) => e.table },
            { header: 'op', value: (e) => e.op },
            { header: 'last_updated', value: (e) => (e.bumpsLastUpdated ? 'bumped' : 'untouched') },
            { header: 'rows', value: (e) => e.rows, right: true },
          ]);
          return result.skipped ? `${table}\n${result.skipped} changes skipped: no row to act on` : table;
        });
      } finally {
        await source.end();
        await env.close();
      }
    });
}

function whole(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new InvalidArgumentError('expected a whole number');
  }
  return Number(text);
}

function positive(text: string): number {
  const value = whole(text);
  if (value < 1) throw new InvalidArgumentError('expected a number of at least 1');
  return value;
}
