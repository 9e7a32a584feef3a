import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { commandLease } from '../../app/pipeline/command-lease';
import { withLease } from '../../lambdas/kernel/lake/documents/lease';
import { warehouseTables } from '../../lambdas/kernel/schema';
import { type TransformResult, transform } from '../../lambdas/transform/transform';
import { openEnvironment } from '../environment';
import { seconds } from '../options';
import { emit, renderTable } from '../output';

/** `totes transform`: raw → curated for every committed ingest run not yet transformed. */
export function register(program: Command): void {
  program
    .command('transform')
    .description(
      'transform every committed ingest run not yet transformed into the curated star schema (Parquet), in batches',
    )
    .option('--max-runs <n>', 'ingest runs per batch', parsePositive, 100)
    .option('--wait <seconds>', 'wait for a busy pipeline lease instead of exiting 4', seconds, 0)
    .option('--json', 'print the batch results as JSON')
    .action(async (options: { maxRuns: number; json?: boolean; wait: number }) => {
      const env = await openEnvironment(program.opts());
      const workDir = await mkdtemp(join(tmpdir(), 'totes-transform-'));
      try {
        // Glue on an S3 lake with GLUE_DATABASE (as the deployed transform), else the lake's pointers.
        const catalog = env.catalog;
        const results: TransformResult[] = [];
        await withLease(env.lake, commandLease('totes transform', options, env), async () => {
          for (;;) {
            const result = await transform({
              lake: env.lake,
              catalog,
              log: env.log,
              workDir,
              maxIngestRuns: options.maxRuns,
            });
            results.push(result);
            if (!result.more) break;
          }
        });
        emit(options.json, results, () => renderSummary(results));
      } finally {
        await rm(workDir, { recursive: true, force: true });
        await env.close();
      }
    });
}

/** The batches committed and the rows per table, for people. */
export function renderSummary(results: readonly TransformResult[]): string {
  const committed = results.filter((r) => r.status === 'committed');
  if (committed.length === 0) {
    return `curated zone is up to date (batch ${results[0]?.seq ?? 0}, ingest run ${results[0]?.ingestSeqs.to ?? 0})`;
  }
  const first = committed[0] as TransformResult;
  const last = committed[committed.length - 1] as TransformResult;
  const head = `committed transform batches ${first.seq}–${last.seq} (ingest runs ${first.ingestSeqs.from + 1}–${last.ingestSeqs.to})`;
  const sum = (pick: (r: TransformResult) => Readonly<Record<string, number>>, table: string) =>
    committed.reduce((n, r) => n + (pick(r)[table] ?? 0), 0);
  const rows = warehouseTables.map((t) => ({
    table: t.name,
    rows: t.kind === 'fact' ? sum((r) => r.facts, t.name) : sum((r) => r.dimensions, t.name),
    kind: t.kind === 'fact' ? 'new versions' : 'snapshot rows',
  }));
  const table = renderTable(rows, [
    { header: 'table', value: (r) => r.table },
    { header: 'rows', value: (r) => r.rows, right: true },
    { header: '', value: (r) => (r.rows > 0 ? r.kind : '') },
  ]);
  const quarantined = committed.flatMap((r) => r.quarantined);
  const quarantine = quarantined.length
    ? `\n\nquarantined rows (see quarantine/<table>/):\n${renderTable(quarantined, [
        { header: 'table', value: (q) => q.table },
        { header: 'reason', value: (q) => q.reason },
        { header: 'column', value: (q) => q.column },
        { header: 'rows', value: (q) => q.rows, right: true },
      ])}`
    : '';
  const held = Object.entries(last.held).filter(([, n]) => n > 0);
  const heldText = held.length
    ? `\n\nheld for a missing dimension row (retried next batch): ${held.map(([t, n]) => `${t} ${n}`).join(', ')}`
    : '';
  return `${head}\n${table}${quarantine}${heldText}`;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}
