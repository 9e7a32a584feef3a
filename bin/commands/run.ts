import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type PipelineResult, runPipeline } from '../../app/pipeline/run-pipeline';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { sourceTables, warehouseTables } from '../../lambdas/kernel/schema';
import { type Environment, openEnvironment } from '../environment';
import { seconds } from '../options';
import { emit, isQuiet, renderTable } from '../output';
import { runProgress } from '../progress';

/** Runs the pipeline once in an open environment (shared by `run`, `watch` and `demo`). */
export async function runOnce(env: Environment, options: { waitMs?: number } = {}): Promise<PipelineResult> {
  // Connected when their stage starts, so a database that is down fails only that stage.
  const source = () => connectPg(env.sourceUrl, 'source');
  const warehouse = () => connectPg(env.warehouseUrl, 'warehouse');
  const workDir = await mkdtemp(join(tmpdir(), 'totes-run-'));
  const progress = runProgress(env.log, { quiet: isQuiet() });
  try {
    return await runPipeline({
      source,
      warehouse,
      lake: env.lake,
      catalog: env.catalog,
      workDir,
      lease: {
        waitMs: options.waitMs ?? 0,
        ...(env.config.leaseTtlMs ? { ttlMs: env.config.leaseTtlMs } : {}),
      },
      // Rows and rates inside each stage, on stderr (a status line on a terminal).
      ...progress,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** `totes run`: ingest → transform → load, once. */
export function register(program: Command): void {
  program
    .command('run')
    .description(
      'run the pipeline once: ingest → transform → load (one run at a time; a second one waits or exits)',
    )
    .option('--wait <seconds>', 'wait this long for a run that is in progress instead of exiting', seconds, 0)
    .option('--json', 'print the run result as JSON')
    .action(async (options: { wait: number; json?: boolean }) => {
      const env = await openEnvironment(program.opts());
      try {
        const result = await runOnce(env, { waitMs: options.wait * 1000 });
        emit(options.json, result, () => renderRun(result));
        if (hasProblems(result)) process.exitCode = 1;
      } finally {
        await env.close();
      }
    });
}

/** True when a table was skipped or rows were quarantined: the run finished but needs a look. */
export function hasProblems(result: PipelineResult): boolean {
  return result.ingest.tables.some((t) => t.error) || result.transform.some((b) => b.quarantined.length > 0);
}

/** The end-of-run summary: what each stage did per table, and what needs attention. */
export function renderRun(result: PipelineResult): string {
  const { ingest, transform, load, seconds } = result;
  const committed = transform.filter((b) => b.status === 'committed');
  const head = [
    `run ${ingest.runId}`,
    `ingest ${ingest.changed ? `run #${ingest.seq}` : 'no changes'} (${seconds.ingest.toFixed(1)} s)`,
    `transform ${committed.length ? `batch${committed.length > 1 ? 'es' : ''} #${committed.map((b) => b.seq).join(', #')}` : 'up to date'} (${seconds.transform.toFixed(1)} s)`,
    `load ${load.batches.length ? `${load.batches.length} batch${load.batches.length > 1 ? 'es' : ''}` : 'up to date'} (${seconds.load.toFixed(1)} s)`,
  ].join(' · ');
  const sourceRows = sourceTables.map((t) => {
    const r = ingest.tables.find((x) => x.table === t.name);
    return {
      table: t.name,
      c: r?.ops.c ?? 0,
      u: r?.ops.u ?? 0,
      d: r?.ops.d ?? 0,
      note:
        r?.error?.message ??
        (r?.extraColumns.length ? `new source columns kept in raw: ${r.extraColumns.join(', ')}` : ''),
    };
  });
  const sum = (pick: (b: (typeof transform)[number]) => Readonly<Record<string, number>>, table: string) =>
    committed.reduce((n, b) => n + (pick(b)[table] ?? 0), 0);
  const lakeRows = warehouseTables.map((t) => ({
    table: t.name,
    lake: t.kind === 'fact' ? sum((b) => b.facts, t.name) : sum((b) => b.dimensions, t.name),
    warehouse: load.rows[t.name] ?? 0,
  }));
  const quarantined = committed.flatMap((b) => b.quarantined);
  return [
    head,
    '',
    renderTable(sourceRows, [
      { header: 'source table', value: (r) => r.table },
      { header: 'created', value: (r) => r.c, right: true },
      { header: 'updated', value: (r) => r.u, right: true },
      { header: 'deleted', value: (r) => r.d, right: true },
      { header: 'note', value: (r) => r.note },
    ]),
    '',
    renderTable(lakeRows, [
      { header: 'star table', value: (r) => r.table },
      { header: 'lake rows written', value: (r) => r.lake, right: true },
      { header: 'warehouse rows written', value: (r) => r.warehouse, right: true },
    ]),
    ...(quarantined.length
      ? [
          '',
          'quarantined (see quarantine/<table>/ in the lake):',
          renderTable(quarantined, [
            { header: 'table', value: (q) => q.table },
            { header: 'column', value: (q) => q.column },
            { header: 'reason', value: (q) => q.reason },
            { header: 'rows', value: (q) => q.rows, right: true },
          ]),
        ]
      : []),
  ].join('\n');
}
