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
      initial.compact,
    ].map(stepRow),
    '',
    `**Incremental run** after ${incremental.changes} simulated changes: ${secs(incremental.seconds)} s ` +
      `(${secs(incremental.wallSeconds)} s with process start-up)`,
    '',
    head,
    ...[incremental.ingest, incremental.transform, incremental.load, incremental.compact].map(stepRow),
    '',
    ...renderCurve(results),
    ...renderCosts(results),
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

/** The cost curve: how an initial and an incremental run grow with the source. */
function renderCurve(results: BenchResults): string[] {
  if (results.curve.length === 0) return [];
  const ops = (o: { writes: number; reads: number; lists: number; deletes: number }) =>
    `${int(o.writes)} / ${int(o.reads)} / ${int(o.lists)} / ${int(o.deletes)}`;
  return [
    `**Cost curve** (initial run = ingest + transform + load + compact; incremental after ${results.incremental.changes} changes; lake requests as PUT / GET / LIST / DELETE)`,
    '',
    '| sales orders | source rows | initial s | rows/s | peak RSS (MiB) | initial requests | curated objects | median fact file (KiB) | incremental s | capture s | capture rows scanned | capture PostgreSQL CPU (s) | incremental requests | curated objects after |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...results.curve.map(
      (p) =>
        `| ${int(p.scale)} | ${int(p.sourceRows)} | ${secs(p.initial.seconds)} | ${int(p.initial.rowsPerSecond)} | ${int(Math.max(p.initial.peakRssMiB, p.incremental.peakRssMiB))} | ${ops(p.initial.lakeOps)} | ${int(p.initial.curated.objects)} | ${int(p.initial.curated.medianFactFileKiB)} | ${secs(p.incremental.seconds)} | ${secs(p.incremental.captureSeconds)} | ${int(p.incremental.captureScannedRows)} | ${p.incremental.captureServerCpuSeconds.toFixed(1)} | ${ops(p.incremental.lakeOps)} | ${int(p.incremental.curated.objects)} |`,
    ),
    '',
  ];
}

/** The monthly cost model of each curve point (bench/cost.ts says what is measured and what assumed). */
function renderCosts(results: BenchResults): string[] {
  if (results.costs.length === 0) return [];
  const items = results.costs[0]?.lines.map((l) => l.item) ?? [];
  return [
    '**Monthly cost on AWS** (eu-west-2 list prices; measured seconds and requests of the incremental run × the schedule; Athena: the curated bytes each named query reads at most)',
    '',
    `| item | ${results.costs.map((c) => `${int(c.scale)} orders`).join(' | ')} |`,
    `|---|${results.costs.map(() => '--:').join('|')}|`,
    ...items.map(
      (item, i) =>
        `| ${item} | ${results.costs.map((c) => `${c.lines[i]?.quantity ?? ''}: $${(c.lines[i]?.usdPerMonth ?? 0).toFixed(2)}`).join(' | ')} |`,
    ),
    `| **total** | ${results.costs.map((c) => `**$${c.totalUsd.toFixed(2)}**`).join(' | ')} |`,
    '',
  ];
}
