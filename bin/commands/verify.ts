import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { commandLease } from '../../app/pipeline/command-lease';
import { verifyAndRepair } from '../../app/verify/repair';
import { type VerifyReport, verifyPipeline } from '../../app/verify/verify';
import { connectPg } from '../../lambdas/kernel/db/connect';
import { withLease } from '../../lambdas/kernel/lake/documents/lease';
import { openEnvironment } from '../environment';
import { emit, renderTable } from '../output';

/** Exit code of a verification that found a mismatch (see `EXIT` in bin/totes.ts). */
const MISMATCH = 3;

/** `totes verify`: reconcile source ↔ raw ↔ curated ↔ warehouse; exit 3 on any mismatch. */
export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'reconcile source ↔ raw ↔ curated ↔ warehouse per table (current rows, content checksums, history); exit 3 on a mismatch',
    )
    .option('--json', 'print the report as JSON')
    .option(
      '--repair',
      'when the warehouse differs from the lake, rebuild it from the lake (and remove stray fact files), then verify again',
    )
    .option(
      '--wait <seconds>',
      'with --repair: wait for a busy pipeline lease instead of exiting 4',
      Number,
      0,
    )
    .action(async (options: { json?: boolean; repair?: boolean; wait: number }) => {
      const env = await openEnvironment(program.opts());
      const source = await connectPg(env.sourceUrl, 'source');
      const warehouse = await connectPg(env.warehouseUrl, 'warehouse');
      const workDir = await mkdtemp(join(tmpdir(), 'totes-verify-'));
      try {
        const deps = { source, warehouse, lake: env.lake, workDir };
        const report = options.repair
          ? await withLease(env.lake, commandLease('totes verify --repair', options, env), () =>
              verifyAndRepair({ ...deps, log: env.log }),
            )
          : await verifyPipeline(deps);
        emit(options.json, jsonReport(report), () => renderReport(report));
        if (!report.ok) process.exitCode = MISMATCH;
      } finally {
        await rm(workDir, { recursive: true, force: true });
        await Promise.all([source.end(), warehouse.end()]);
        await env.close();
      }
    });
}

/**
 * The report for `--json`, in the CLI's one typing: counts are numbers; checksums stay
 * strings (they are digests to compare, not quantities).
 */
export function jsonReport(report: VerifyReport): unknown {
  return {
    ...report,
    checks: report.checks.map((c) => ({
      ...c,
      values: c.check.endsWith('checksum')
        ? c.values
        : Object.fromEntries(
            Object.entries(c.values).map(([zone, v]) => [
              zone,
              v !== undefined && /^\d+$/.test(v) ? Number(v) : v,
            ]),
          ),
    })),
  };
}

/** The report for people: one line per check, mismatches marked. */
export function renderReport(report: VerifyReport): string {
  const table = renderTable(report.checks, [
    { header: 'star table', value: (c) => c.table },
    { header: 'check', value: (c) => c.check },
    { header: 'source', value: (c) => c.values.source, right: true },
    { header: 'raw', value: (c) => c.values.raw, right: true },
    { header: 'lake', value: (c) => c.values.lake, right: true },
    { header: 'warehouse', value: (c) => c.values.warehouse, right: true },
    { header: '', value: (c) => (c.ok ? 'ok' : c.check === 'error' ? 'ERROR' : 'MISMATCH') },
  ]);
  const stray = report.strayFiles.length
    ? [
        `\n${report.strayFiles.length} fact file(s) in the curated zone belong to no committed batch:`,
        ...report.strayFiles.slice(0, 10),
      ]
    : [];
  const verdict = report.ok
    ? 'verified: source, raw, lake and warehouse agree'
    : `MISMATCH in ${report.checks.filter((c) => !c.ok).length} check(s)${report.strayFiles.length ? ' and stray files' : ''}; run \`totes run\` if a run is unfinished, else look at the tables marked above`;
  const findings = report.findings.map((f) => `${f.table}: ${f.message}`);
  const repairs = (report.repairs ?? []).map((r) => `repair: ${r}`);
  return [...repairs, table, ...stray, ...(findings.length ? ['', ...findings] : []), '', verdict].join('\n');
}
