import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { commandLease } from '../../app/pipeline/command-lease';
import {
  type CompactionResult,
  compactFacts,
  DEFAULT_COMPACTION_THRESHOLD,
} from '../../lambdas/compact/compact';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { withLease } from '../../lambdas/kernel/lake/documents/lease';
import { loadedSeq } from '../../lambdas/load/ledger';
import { openEnvironment } from '../environment';
import { positiveInteger, seconds } from '../options';
import { emit, renderTable } from '../output';

/** `totes compact`: merge the small fact files of loaded batches, partition by partition. */
export function register(program: Command): void {
  program
    .command('compact')
    .description(
      'compact the fact partitions of the curated zone: a partition holding more than --threshold small files (under 64 MiB) of batches the warehouse has loaded has its smallest merged into one, and files of older, finer partitions fold into their year (`totes run` does this after every load)',
    )
    .option(
      '--threshold <n>',
      'compact a partition holding more than this many small files',
      positiveInteger,
      DEFAULT_COMPACTION_THRESHOLD,
    )
    .option('--wait <seconds>', 'wait for a busy pipeline lease instead of exiting 4', seconds, 0)
    .option('--json', 'print the result as JSON')
    .action(async (options: { threshold: number; wait: number; json?: boolean }) => {
      const env = await openEnvironment(program.opts());
      const workDir = await mkdtemp(join(tmpdir(), 'totes-compact-'));
      try {
        const result = await withLease(env.lake, commandLease('totes compact', options, env), async () => {
          // Only files of batches the warehouse holds are compacted: the load reads fact files
          // from transform manifests, so it must have read them first.
          const warehouse = await connectPg(env.warehouseUrl, 'warehouse');
          let seq: number;
          try {
            seq = await loadedSeq(warehouse).catch((error: { code?: string }) => {
              // No ledger yet (the warehouse was never loaded): no batch's files may be compacted.
              if (error.code === '42P01') return 0;
              throw error;
            });
          } finally {
            await warehouse.end();
          }
          return compactFacts({
            lake: env.lake,
            log: env.log,
            workDir,
            loadedSeq: seq,
            threshold: options.threshold,
          });
        });
        emit(options.json, result, () => renderCompaction(result, options.threshold));
      } finally {
        await rm(workDir, { recursive: true, force: true });
        await env.close();
      }
    });
}

/** What a compaction did, for people. */
export function renderCompaction(result: CompactionResult, threshold: number): string {
  if (result.compactions.length === 0) {
    return `nothing to compact: no fact partition holds more than ${threshold} small files of loaded batches (last compaction #${result.seq})`;
  }
  const replaced = result.compactions.reduce((n, c) => n + c.replaced.length, 0);
  return [
    `compaction #${result.seq}: ${result.compactions.length} partition(s), ${replaced} files replaced by ${result.compactions.length}`,
    renderTable(result.compactions, [
      { header: 'table', value: (c) => c.table },
      { header: 'dt', value: (c) => c.dt },
      { header: 'files replaced', value: (c) => c.replaced.length, right: true },
      { header: 'rows', value: (c) => c.rows, right: true },
    ]),
  ].join('\n');
}
