import type { BenchResults, StepResult } from './bench';

const int = (n: number): string => Math.round(n).toLocaleString('en-GB');
const secs = (n: number): string => n.toFixed(2);

function stepRow(s: StepResult): string {
  return `| ${s.step} | ${int(s.rows)} | ${secs(s.seconds)} | ${int(s.rowsPerSecond)} | ${int(s.peakRssMiB)} | ${s.cpuSeconds.toFixed(1)} | ${s.serverCpuSeconds.toFixed(1)} | ${Math.round(s.cpuPressure * 100)}% |`;
}

/** The results as Markdown tables: stages beside their references, targets, incremental run. */
export function renderMarkdown(results: BenchResults): string {
  const { machine, initial, references, incremental } = results;
  const head =
    '| step | rows | seconds | rows/s | peak RSS (MiB) | process CPU (s) | PostgreSQL CPU (s) | CPU pressure |\n' +
    '|---|--:|--:|--:|--:|--:|--:|--:|';
  const sourceRows = Object.values(results.setup.sourceRows).reduce((a, b) => a + b, 0);
  return [
    `### Bench: ${int(results.scale)} sales orders (${int(sourceRows)} source rows), ${results.startedAt}`,
    '',
    `Machine: ${machine.cpuModel}, nproc ${machine.nproc}, ${machine.memoryGiB} GiB RAM, ${machine.platform}, ` +
      `Node ${machine.node}, PostgreSQL ${machine.postgres} (embedded), DuckDB ${machine.duckdb}.`,
    '',
    '**Initial full run** (each step in its own process; seconds exclude process and database start-up)',
    '',
    head,
    ...[
      initial.ingest,
      references.ingest,
      initial.transform,
      references.transform,
      initial.load,
      references.load,
    ].map(stepRow),
    '',
    `**Incremental run** after ${incremental.changes} simulated changes: ${secs(incremental.seconds)} s ` +
      `(${secs(incremental.wallSeconds)} s with process start-up)`,
    '',
    head,
    ...[incremental.ingest, incremental.transform, incremental.load].map(stepRow),
    '',
    '**Targets**',
    '',
    '| target | measured | met |',
    '|---|--:|:-:|',
    ...results.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
    '',
  ].join('\n');
}

/** The slowest statements of each pipeline stage, for "what dominates". */
export function renderStatements(results: BenchResults, limit = 5): string {
  const stages = [
    results.initial.ingest,
    results.initial.transform,
    results.initial.load,
    results.incremental.ingest,
    results.incremental.transform,
    results.incremental.load,
  ];
  return stages
    .map((s) =>
      [
        `**${s.step}** (${secs(s.seconds)} s)`,
        '',
        '| statement | engine | calls | seconds |',
        '|---|---|--:|--:|',
        ...s.statements
          .slice(0, limit)
          .map(
            (t) =>
              `| \`${t.statement.replaceAll('|', '\\|')}…\` | ${t.engine} | ${t.calls} | ${secs(t.seconds)} |`,
          ),
        '',
      ].join('\n'),
    )
    .join('\n');
}
