import type { Command } from 'commander';
import { type PipelineStatus, pipelineStatus, renderHealth } from '../../app/pipeline/status';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { openEnvironment } from '../environment';
import { emit, renderTable } from '../output';

/** `totes status`: the last run, backlog, freshness and per-table counts. */
export function register(program: Command): void {
  program
    .command('status')
    .description('show the last run, what is waiting, data freshness and per-table row counts')
    .option('--json', 'print the status as JSON')
    .action(async (options: { json?: boolean }) => {
      const env = await openEnvironment(program.opts());
      try {
        // A warehouse that is down is reported with the lake side, not a failure of status.
        const warehouse = () => connectPg(env.warehouseUrl, 'warehouse');
        const status = await pipelineStatus({ lake: env.lake, warehouse });
        emit(options.json, status, () => renderStatus(status));
        // Exit 1 when the pipeline is not healthy (see README, exit codes).
        if (!status.health.healthy) process.exitCode = 1;
      } finally {
        await env.close();
      }
    });
}

const minutes = (m: number | undefined) =>
  m === undefined ? 'never' : m < 1 ? 'under a minute ago' : `${Math.round(m)} min ago`;

/** `totes status` for people. */
export function renderStatus(s: PipelineStatus): string {
  const run = s.lastRun;
  const lines = [
    run
      ? `last run:  ${run.status} at ${run.finishedAt}${run.runId ? ` (${run.runId})` : ''}` +
        (run.status === 'failed'
          ? ` in ${run.failedStage}: ${run.error}`
          : ` — ${run.changes ?? 0} changes, ${run.factRows ?? 0} fact versions, ${run.batchesLoaded ?? 0} batch(es) loaded` +
            (run.quarantinedRows ? `, ${run.quarantinedRows} rows quarantined` : '') +
            (run.skippedTables?.length ? `, skipped: ${run.skippedTables.join(', ')}` : ''))
      : 'last run:  none recorded (totes run / totes watch record one)',
    renderHealth(s),
    `ingest:    run #${s.ingest.seq}${s.ingest.lastRunId ? ` (last read ${minutes(s.freshnessMinutes.ingest)}, ${s.ingest.lastRunId})` : ' (never run)'}`,
    `transform: batch #${s.transform.seq}, up to ingest run #${s.transform.ingestSeq}${s.backlog.transform ? ` — ${s.backlog.transform} run(s) waiting` : ''}`,
    s.warehouseError
      ? 'load:      unknown (the warehouse cannot be reached)'
      : `load:      batch #${s.load?.seq ?? 0} (last load ${minutes(s.freshnessMinutes.load)})${s.backlog.load ? ` — ${s.backlog.load} batch(es) waiting` : ''}`,
    '',
    renderTable(s.sourceTables, [
      { header: 'source table', value: (t) => t.table },
      { header: 'rows', value: (t) => t.rows, right: true },
      { header: 'last_updated high-water', value: (t) => t.highWater },
      { header: 'last change captured', value: (t) => t.lastChangeAt },
    ]),
  ];
  if (s.warehouseTables) {
    lines.push(
      '',
      renderTable(s.warehouseTables, [
        { header: 'warehouse table', value: (t) => t.table },
        { header: 'rows', value: (t) => t.rows, right: true },
        { header: 'current', value: (t) => t.current, right: true },
        { header: 'last loaded', value: (t) => minutes(t.freshnessMinutes) },
      ]),
    );
  }
  return lines.join('\n');
}
