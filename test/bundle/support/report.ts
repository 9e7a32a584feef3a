import type { BundleHarness, ExecutionReport, InvocationRecord } from './bundle-harness';
import type { TableSchemaCheck } from './glue-schema';

/** A function's logical id without CDK's hash: `IngestFunctionB02ED0EB` → `IngestFunction`. */
export const short = (logicalId: string): string => logicalId.replace(/[0-9A-F]{8}$/, '');

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line per execution: its end and where the time went. */
export function executionLine(label: string, r: ExecutionReport): string {
  const byState = new Map<string, { n: number; ms: number }>();
  for (const i of r.invocations) {
    const e = byState.get(i.state) ?? { n: 0, ms: 0 };
    byState.set(i.state, { n: e.n + 1, ms: e.ms + i.durationMs + (i.initMs ?? 0) });
  }
  const parts = [...byState].map(([state, e]) => `${state} ${s(e.ms)}${e.n > 1 ? ` ×${e.n}` : ''}`);
  const end = r.status === 'SUCCEEDED' ? 'SUCCEEDED' : `FAILED (${r.error})`;
  return `${label}: ${end} in ${s(r.ms)} — ${parts.join(', ')}`;
}

function logMessage(line: string): string {
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    const error = record.error as Record<string, unknown> | undefined;
    const detail = error
      ? `: ${String(error.name ?? '')} ${String(error.message ?? JSON.stringify(error))}`
      : '';
    return `${String(record.message ?? line)}${detail}`.slice(0, 600);
  } catch {
    return line.slice(0, 600);
  }
}

/** Everything wrong with one execution, each as a sentence naming function, action and resource. */
export function problemsOf(label: string, r: ExecutionReport): string[] {
  const problems: string[] = [];
  for (const d of r.denied) {
    problems.push(
      `${label}: ${short(d.caller)} was refused ${d.denied?.action} on ${d.denied?.resource} (${d.service} ${d.operation} ${d.target}) ${d.denied?.reason}`,
    );
  }
  for (const d of r.stateMachineDenied) {
    problems.push(`${label}: the state machine was refused ${d.action} on ${d.resource} ${d.reason}`);
  }
  for (const u of r.unsupported)
    problems.push(`${label}: ${short(u.caller)} called ${u.service} ${u.operation}: ${u.unsupported}`);
  if (r.status !== 'SUCCEEDED') {
    const failed = [...r.steps].reverse().find((st) => st.error);
    let cause = r.cause ?? '';
    try {
      cause = String((JSON.parse(cause) as { errorMessage?: string }).errorMessage ?? cause);
    } catch {
      // Not JSON: a plain cause.
    }
    problems.push(
      `${label}: the execution FAILED in state ${failed?.state ?? '?'}: ${r.error}: ${cause.slice(0, 800)}`,
    );
  }
  for (const i of r.invocations) problems.push(...invocationProblems(label, i));
  return problems;
}

function invocationProblems(label: string, i: InvocationRecord): string[] {
  const problems: string[] = [];
  const who = `${label}: ${short(i.function)} (state ${i.state})`;
  if (i.ok)
    for (const line of i.errorLogs)
      problems.push(`${who} logged an error yet returned success: ${logMessage(line)}`);
  if (i.maxRssMiB > i.memoryMiB)
    problems.push(
      `${who} used ${i.maxRssMiB.toFixed(0)} MiB, over its ${i.memoryMiB} MiB: Lambda would kill it`,
    );
  if (i.peakTmpMiB > i.ephemeralMiB)
    problems.push(`${who} filled /tmp to ${i.peakTmpMiB.toFixed(0)} MiB, over its ${i.ephemeralMiB} MiB`);
  if (i.ok && i.tmpMiBAfter > 1)
    problems.push(
      `${who} left ${i.tmpMiBAfter.toFixed(1)} MiB in /tmp for the next invocation of the warm container`,
    );
  return problems;
}

const pad = (text: string, n: number) => text.padEnd(n);

/** The whole run as text: sandbox, functions, IAM, catalog. */
export function renderReport(
  harness: BundleHarness,
  extras: {
    sandbox: string[];
    timings: Record<string, number>;
    glue: readonly TableSchemaCheck[];
    problems: readonly string[];
    observations: readonly string[];
  },
): string {
  const out: string[] = [
    '',
    '══ Lambda bundle test ══',
    `stack ${harness.model.stack.stackName} (${harness.model.stack.region}), ${harness.executions.length} executions`,
  ];
  out.push('', 'timings:', ...Object.entries(extras.timings).map(([k, v]) => `  ${pad(k, 28)} ${s(v)}`));
  out.push(
    '',
    'sandbox (measured by a probe in each function’s sandbox):',
    ...extras.sandbox.map((l) => `  ${l}`),
  );
  out.push('', 'functions:');
  out.push(
    `  ${pad('function', 22)} ${pad('calls', 6)} ${pad('cold', 5)} ${pad('init', 7)} ${pad('p50', 7)} ${pad('max', 7)} ${pad('max RSS / memory', 20)} peak /tmp / ephemeral`,
  );
  for (const fn of harness.functions.values()) {
    const calls = harness.executions
      .flatMap((e) => e.invocations)
      .filter((i) => i.function === fn.identity.caller);
    const durations = calls.map((c) => c.durationMs).sort((a, b) => a - b);
    const inits = calls.filter((c) => c.initMs !== undefined).map((c) => c.initMs ?? 0);
    const p50 = durations[Math.floor(durations.length / 2)] ?? 0;
    out.push(
      `  ${pad(short(fn.identity.caller), 22)} ${pad(String(calls.length), 6)} ${pad(String(fn.sandbox.coldStarts), 5)} ${pad(inits.length ? s(Math.max(...inits)) : '-', 7)} ${pad(s(p50), 7)} ${pad(s(durations.at(-1) ?? 0), 7)} ${pad(`${Math.max(0, ...calls.map((c) => c.maxRssMiB)).toFixed(0)} / ${fn.spec.memoryMiB} MiB`, 20)} ${Math.max(0, ...calls.map((c) => c.peakTmpMiB)).toFixed(1)} / ${fn.spec.ephemeralMiB} MiB`,
    );
  }
  out.push('', 'IAM decisions (allowed / refused, by caller and action):');
  const tally = new Map<string, { allowed: number; denied: number }>();
  for (const r of harness.access.records) {
    const k = `${short(r.caller)} ${r.action}`;
    const t = tally.get(k) ?? { allowed: 0, denied: 0 };
    if (r.allowed) t.allowed += 1;
    else t.denied += 1;
    tally.set(k, t);
  }
  for (const [k, t] of [...tally].sort()) out.push(`  ${pad(k, 60)} ${t.allowed} / ${t.denied}`);
  if (harness.access.unknownManagedPolicies.size > 0)
    out.push(`  managed policies not evaluated: ${[...harness.access.unknownManagedPolicies].join(', ')}`);
  out.push('', 'Glue tables against the files the bundles wrote:');
  for (const g of extras.glue)
    out.push(
      `  ${pad(g.table, 28)} ${pad(g.format, 8)} ${pad(`${g.files} files`, 10)} ${g.problems.length ? g.problems.join(' | ') : 'columns and types match'}`,
    );
  if (extras.observations.length)
    out.push('', 'observations:', ...extras.observations.map((o) => `  • ${o}`));
  out.push(
    '',
    extras.problems.length ? `PROBLEMS (${extras.problems.length}):` : 'no problems found',
    ...extras.problems.map((p) => `  ✗ ${p}`),
    '',
  );
  return out.join('\n');
}
