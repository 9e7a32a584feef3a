import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The shipped entry point, run exactly as `npx totes` runs it. */
export const TOTES_BIN = join(__dirname, '..', '..', '..', 'bin', 'totes.cjs');

/** How a `totes` process ended and what it printed (stdout as bytes: the tests compare them). */
export interface TotesRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** stdout as UTF-8 text. */
  readonly out: string;
}

/** How to start it: extra environment, a working folder, and how fast its stdout is read. */
export interface TotesOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Another checkout's `bin/totes.cjs` (a test that edits a copy of the repository). @default TOTES_BIN */
  readonly bin?: string;
  /**
   * Read stdout like a slow consumer: nothing for `startMs`, then a pause of `everyMs` after
   * each chunk, so the pipe stays full and the process must wait for its reader.
   */
  readonly slowReader?: { readonly startMs: number; readonly everyMs: number };
}

/**
 * Runs `node bin/totes.cjs <args>` with this process's environment minus every pipeline
 * variable (a test gives its own), plus `options.env`.
 */
export function runTotes(args: readonly string[], options: TotesOptions = {}): Promise<TotesRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin ?? TOTES_BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...cleanEnv(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const slow = options.slowReader;
    if (slow) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), slow.startMs);
    }
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      if (slow) {
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), slow.everyMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out);
      resolve({
        code,
        signal,
        stdout,
        out: stdout.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** This process's environment without the variables `totes` reads (each test sets its own). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(TOTESYS_URL|WAREHOUSE_URL|LAKE_URL|RAW_LAKE_URL|TOTES_|S3_ENDPOINT|AWS_|ATHENA_|GLUE_)/.test(key))
      continue;
    env[key] = value;
  }
  return env;
}

/** Environment for a `totes` command that never opens a database (query on a lake folder). */
export function offlineEnv(lakeDir: string, home: string): Record<string, string> {
  return {
    // Set, so no embedded PostgreSQL starts; never connected by `query`.
    TOTESYS_URL: 'postgres://u:p@127.0.0.1:1/totesys',
    WAREHOUSE_URL: 'postgres://u:p@127.0.0.1:1/warehouse',
    LAKE_URL: `file://${lakeDir}`,
    TOTES_HOME: home,
  };
}
