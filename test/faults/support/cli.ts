import { spawn } from 'node:child_process';
import { join } from 'node:path';

const TOTES = join(__dirname, '..', '..', '..', 'bin', 'totes.cjs');

/** How a `totes` process ended, and what it printed. */
export interface TotesOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `totes <args>` as a real child process (`bin/totes.cjs`) with `env` added to a clean
 * copy of this process's environment, and waits for it to end — normally or by a signal.
 */
export function totes(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { readonly cwd?: string } = {},
): Promise<TotesOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TOTES, ...args], {
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/** Starts `totes <args>` and returns the child, for tests that act while it runs. */
export function startTotes(args: readonly string[], env: Readonly<Record<string, string>>) {
  return spawn(process.execPath, [TOTES, ...args], {
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** This process's environment without the pipeline's own variables (each test sets its own). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(TOTESYS_URL|WAREHOUSE_URL|LAKE_URL|RAW_LAKE_URL|TOTES_|S3_ENDPOINT)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/** One counted operation of a traced run (`TOTES_CRASH_TRACE=1`). */
export interface TracedOp {
  readonly kind: 'lake' | 'pg';
  readonly n: number;
  /** For pg: `source …` or `warehouse <n> …`; for lake: `<op> <key>`. */
  readonly what: string;
}

/** The operations a traced run printed on stderr, in order. */
export function tracedOps(stderr: string): TracedOp[] {
  const ops: TracedOp[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^totes-op (lake|pg) (\d+) (.*)$/.exec(line);
    if (m?.[1] && m[2] && m[3] !== undefined)
      ops.push({ kind: m[1] as 'lake' | 'pg', n: Number(m[2]), what: m[3] });
  }
  return ops;
}
