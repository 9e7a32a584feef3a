import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { type EmbeddedServer, startEmbeddedPostgres } from '../app/local/embedded-postgres';
import { createSourceSchema } from '../app/totesys/seed';
import { simulateChanges } from '../app/totesys/simulate';
import { seedSynthetic } from '../app/totesys/synthetic';
import { connectPg } from '../lambdas/kernel/db/connect';
import { committedIngestSeq, committedTransformSeq } from '../lambdas/kernel/lake/documents/manifests';
import { openLake } from '../lambdas/kernel/lake/open-lake';
import { ident, sourceTables } from '../lambdas/kernel/schema';
import { BenchError } from './errors';
import type { Job, JobOutcome } from './jobs';
import { cpuPressureMicros, type MachineInfo, machineInfo, serverCpuSeconds } from './machine';
import type { StatementTime } from './profile';

/** What to measure. */
export interface BenchOptions {
  /** Sales orders in the synthetic source; the other tables follow. */
  readonly scale: number;
  /** Changes simulated before the incremental run. */
  readonly changes: number;
  /** PRNG seed of the synthetic source and the changes. */
  readonly seed: number;
  /** Keep the temporary folder (databases, lake) for inspection. */
  readonly keep: boolean;
  /**
   * Nice value of the bench's processes and of its PostgreSQL server (0: leave as is). A
   * negative value keeps other work on a shared machine from stretching the timings.
   */
  readonly nice: number;
  /** Progress lines, for people. */
  readonly progress: (line: string) => void;
}

/** One measured step: a pipeline stage or a reference, run in its own process. */
export interface StepResult {
  readonly step: string;
  readonly rows: number;
  readonly rowsOut?: number;
  readonly bytes?: number;
  /** Time of the work inside the process (no process start-up, no database start-up). */
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** Peak resident memory of the step's process (`maxRSS`). */
  readonly peakRssMiB: number;
  /** CPU seconds of the step's process (all its threads, DuckDB's included). */
  readonly cpuSeconds: number;
  /** CPU seconds the PostgreSQL server spent meanwhile (source or warehouse work). */
  readonly serverCpuSeconds: number;
  /** Wall time including the process start-up (Node, tsx, module loading). */
  readonly wallSeconds: number;
  /**
   * Share of the step's wall time in which some runnable task on the machine waited for a
   * CPU (`/proc/pressure/cpu`, "some"): near 0 on an idle machine; high means contention.
   */
  readonly cpuPressure: number;
  /** Seconds the step's threads waited for a CPU (run queue delay, threads alive at its end). */
  readonly runQueueSeconds: number;
  /** One-minute load average at the end of the step. */
  readonly loadAverage: number;
  readonly tables: Readonly<Record<string, number>>;
  /** The statements that took longest. */
  readonly statements: readonly StatementTime[];
}

/** A stage against its reference. */
export interface Ratio {
  readonly stage: 'ingest' | 'transform' | 'load';
  readonly reference: string;
  /** Stage seconds / reference seconds. */
  readonly ratio: number;
  /**
   * The same with CPU seconds (process + PostgreSQL server) instead of wall seconds: less
   * sensitive to other work on the machine, blind to waiting on disk.
   */
  readonly cpuRatio: number;
  readonly target: number;
  readonly met: boolean;
}

/** A target of issue 5 and what was measured. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Everything one bench run measured; written to `bench/results.json`. */
export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly scale: number;
  readonly seed: number;
  /** Nice value the bench's processes and PostgreSQL actually ran at. */
  readonly nice: number;
  readonly machine: MachineInfo & { readonly postgres: string; readonly duckdb: string };
  readonly setup: {
    readonly seedSeconds: number;
    readonly vacuumSeconds: number;
    readonly sourceRows: Readonly<Record<string, number>>;
  };
  readonly initial: {
    readonly ingest: StepResult;
    readonly transform: StepResult;
    readonly load: StepResult;
  };
  readonly references: {
    readonly ingest: StepResult;
    readonly transform: StepResult;
    readonly load: StepResult;
  };
  readonly ratios: readonly Ratio[];
  readonly incremental: {
    readonly changes: number;
    readonly changeCounts: Readonly<Record<string, number>>;
    readonly ingest: StepResult;
    readonly transform: StepResult;
    readonly load: StepResult;
    /** Sum of the three stages' in-process seconds. */
    readonly seconds: number;
    /** The same with process start-up. */
    readonly wallSeconds: number;
  };
  readonly targets: readonly TargetCheck[];
  readonly totalSeconds: number;
}

const TARGETS = { ingest: 2, transform: 2, load: 1.5, rssMiB: 1024, incrementalSeconds: 5 } as const;

/**
 * The benchmark of issue 5: a synthetic totesys of `scale` sales orders in a private embedded
 * PostgreSQL, a full initial run stage by stage, each beside its reference on the same data,
 * then an incremental run after `changes` simulated changes. Each stage and reference runs
 * in its own process (its peak RSS is its own).
 */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const root = await mkdtemp(join(tmpdir(), 'totes-bench-'));
  // As root the server runs as the `postgres` user, which must reach its data folder.
  await chmod(root, 0o755);
  const say = options.progress;
  say(`bench folder ${root}`);
  const server = await startEmbeddedPostgres(join(root, 'pg'), { port: await freePort() });
  try {
    const postmaster = Number((await readFile(join(root, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    // Backends are forked by the postmaster and inherit its nice value.
    const nice = options.nice !== 0 && raisePriority(postmaster, options.nice, say) ? options.nice : 0;
    for (const db of ['totesys', 'warehouse', 'bench_ref']) await server.ensureDatabase(db);
    const run = stepRunner({ root, server, postmaster, say, nice });
    const source = await connectPg(server.url('totesys'), 'source');
    try {
      const setup = await seedSource(source, options);
      say(
        `seeded ${total(setup.sourceRows).toLocaleString('en-GB')} source rows in ${setup.seedSeconds.toFixed(1)} s`,
      );

      const ingest = await run('ingest', { kind: 'ingest' });
      const refIngest = await run('ingest reference', { kind: 'ref-ingest' });
      const transform = await run('transform', { kind: 'transform' });
      const lake = await openLake(`file://${join(root, 'lake')}`);
      const ingestSeqs = range(await committedIngestSeq(lake));
      const refTransform = await run('transform floor', {
        kind: 'ref-transform',
        ingestSeqs,
        outDir: join(root, 'ref-parquet'),
      });
      const load = await run('load', { kind: 'load' });
      const csvDir = join(root, 'ref-csv');
      await run('(prepare load reference)', {
        kind: 'prepare-ref-load',
        batchSeqs: range(await committedTransformSeq(lake)),
        csvDir,
      });
      const refLoad = await run('load reference', { kind: 'ref-load', url: server.url('bench_ref'), csvDir });

      const simulated = await simulateChanges(source, { changes: options.changes, seed: options.seed });
      say(`simulated ${options.changes} changes`);
      const inc = {
        ingest: await run('incremental ingest', { kind: 'ingest' }),
        transform: await run('incremental transform', { kind: 'transform' }),
        load: await run('incremental load', { kind: 'load' }),
      };
      const ratios = [
        ratio('ingest', ingest, refIngest, TARGETS.ingest),
        ratio('transform', transform, refTransform, TARGETS.transform),
        ratio('load', load, refLoad, TARGETS.load),
      ];
      const incremental = {
        changes: options.changes,
        changeCounts: simulated.counts,
        ...inc,
        seconds: inc.ingest.seconds + inc.transform.seconds + inc.load.seconds,
        wallSeconds: inc.ingest.wallSeconds + inc.transform.wallSeconds + inc.load.wallSeconds,
      };
      const stages = [ingest, transform, load, inc.ingest, inc.transform, inc.load];
      return {
        version: 1,
        startedAt,
        scale: options.scale,
        seed: options.seed,
        nice,
        machine: { ...machineInfo(), ...(await versions(source)) },
        setup,
        initial: { ingest, transform, load },
        references: { ingest: refIngest, transform: refTransform, load: refLoad },
        ratios,
        incremental,
        targets: targetChecks(ratios, stages, incremental.seconds),
        totalSeconds: (performance.now() - started) / 1000,
      };
    } finally {
      await source.end();
    }
  } finally {
    await server.stop();
    if (options.keep) say(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

/** Creates and seeds the source, then VACUUM ANALYZE: an established database, hint bits set. */
async function seedSource(source: Client, options: BenchOptions): Promise<BenchResults['setup']> {
  await createSourceSchema(source, { reset: true });
  const seeded = await seedSynthetic(source, { scale: options.scale, seed: options.seed });
  const vacuumStarted = performance.now();
  for (const table of sourceTables) await source.query(`VACUUM ANALYZE ${ident(table.name)}`);
  return {
    seedSeconds: seeded.seconds,
    vacuumSeconds: (performance.now() - vacuumStarted) / 1000,
    sourceRows: Object.fromEntries(seeded.tables.map((t) => [t.table, t.rows])),
  };
}

interface RunnerContext {
  readonly root: string;
  readonly server: EmbeddedServer;
  readonly postmaster: number;
  readonly say: (line: string) => void;
  readonly nice: number;
}

type WorkerOutput = JobOutcome & {
  seconds: number;
  cpuSeconds: number;
  runQueueSeconds: number;
  peakRssMiB: number;
  statements: StatementTime[];
};

/** Runs a job in a fresh `stage-worker.ts` process with the bench's databases and lake. */
function stepRunner(context: RunnerContext): (step: string, job: Job) => Promise<StepResult> {
  const env = {
    ...process.env,
    TOTESYS_URL: context.server.url('totesys'),
    WAREHOUSE_URL: context.server.url('warehouse'),
    LAKE_URL: `file://${join(context.root, 'lake')}`,
    TOTES_HOME: context.root,
  };
  return async (step, job) => {
    const serverBefore = serverCpuSeconds(context.postmaster);
    const pressureBefore = cpuPressureMicros();
    const wallStarted = performance.now();
    const output = await spawnWorker(job, env, step, context.nice);
    const wallSeconds = (performance.now() - wallStarted) / 1000;
    const pressure = (cpuPressureMicros() - pressureBefore) / 1e6 / wallSeconds;
    const result: StepResult = {
      step,
      rows: output.rows,
      ...(output.rowsOut === undefined ? {} : { rowsOut: output.rowsOut }),
      ...(output.bytes === undefined ? {} : { bytes: output.bytes }),
      seconds: output.seconds,
      rowsPerSecond: output.seconds > 0 ? output.rows / output.seconds : 0,
      peakRssMiB: output.peakRssMiB,
      cpuSeconds: output.cpuSeconds,
      serverCpuSeconds: serverCpuSeconds(context.postmaster) - serverBefore,
      wallSeconds,
      cpuPressure: Number.isFinite(pressure) ? pressure : 0,
      runQueueSeconds: output.runQueueSeconds,
      loadAverage: loadavg()[0] ?? 0,
      tables: output.tables,
      statements: output.statements,
    };
    context.say(
      `${step}: ${result.rows.toLocaleString('en-GB')} rows in ${result.seconds.toFixed(2)} s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB`,
    );
    return result;
  };
}

function spawnWorker(job: Job, env: NodeJS.ProcessEnv, step: string, nice: number): Promise<WorkerOutput> {
  const node = [
    process.execPath,
    '-r',
    require.resolve('tsx/cjs'),
    join(__dirname, 'stage-worker.ts'),
    JSON.stringify(job),
  ];
  // Through nice(1) rather than setPriority: on Linux that would set the main thread only,
  // and DuckDB's worker threads must inherit the value.
  const [command, ...args] = nice === 0 ? node : ['nice', '-n', String(nice), ...node];
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // Keep the tail only: a failing stage explains itself at the end.
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) {
        resolve(JSON.parse(last) as WorkerOutput);
        return;
      }
      reject(
        new BenchError(`bench step "${step}" failed (exit code ${code}): ${stderr.trim() || 'no output'}`, {
          context: { step },
        }),
      );
    });
  });
}

function ratio(stage: Ratio['stage'], measured: StepResult, reference: StepResult, target: number): Ratio {
  const value = measured.seconds / reference.seconds;
  const cpu = (s: StepResult) => s.cpuSeconds + s.serverCpuSeconds;
  return {
    stage,
    reference: reference.step,
    ratio: value,
    cpuRatio: cpu(measured) / cpu(reference),
    target,
    met: value <= target,
  };
}

function targetChecks(
  ratios: readonly Ratio[],
  stages: readonly StepResult[],
  incrementalSeconds: number,
): TargetCheck[] {
  const peak = stages.reduce((a, b) => (b.peakRssMiB > a.peakRssMiB ? b : a));
  return [
    ...ratios.map((r) => ({
      target: `${r.stage} ≤ ${r.target}× ${r.reference}`,
      measured: `${r.ratio.toFixed(2)}× (CPU ${r.cpuRatio.toFixed(2)}×)`,
      met: r.met,
    })),
    {
      target: `peak RSS of every stage < ${TARGETS.rssMiB} MiB`,
      measured: `${peak.peakRssMiB.toFixed(0)} MiB (${peak.step})`,
      met: peak.peakRssMiB < TARGETS.rssMiB,
    },
    {
      target: `incremental run < ${TARGETS.incrementalSeconds} s`,
      measured: `${incrementalSeconds.toFixed(2)} s`,
      met: incrementalSeconds < TARGETS.incrementalSeconds,
    },
  ];
}

async function versions(source: Client): Promise<{ postgres: string; duckdb: string }> {
  const { rows } = await source.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  const duckdb = (await import('@duckdb/node-api')).version();
  return { postgres: rows[0]?.v ?? 'unknown', duckdb };
}

/** Sets the nice value of `pid`; false (and says so) when not allowed (negative values need root). */
function raisePriority(pid: number, nice: number, say: (line: string) => void): boolean {
  try {
    setPriority(pid, nice);
    return true;
  } catch (error) {
    say(
      `cannot set nice ${nice} (${error instanceof Error ? error.message : String(error)}); running at normal priority`,
    );
    return false;
  }
}

/** A TCP port nobody listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const total = (rows: Readonly<Record<string, number>>): number =>
  Object.values(rows).reduce((a, b) => a + b, 0);
