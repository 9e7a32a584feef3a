import { spawn } from 'node:child_process';
import type { Dirent } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { DEFAULT_QUERIES_DIR } from '../app/analytics/named-queries';
import { type EmbeddedServer, startEmbeddedPostgres } from '../app/local/embedded-postgres';
import { createSourceSchema, seedFromSnapshot } from '../app/totesys/seed';
import { simulateChanges } from '../app/totesys/simulate';
import { seedSynthetic } from '../app/totesys/synthetic';
import { connectPg } from '../lambdas/kernel/db/connect';
import { committedIngestSeq, committedTransformSeq } from '../lambdas/kernel/lake/documents/manifests';
import { openLake } from '../lambdas/kernel/lake/open-lake';
import { ident, sourceTables } from '../lambdas/kernel/schema';
import { type MonthlyCost, monthlyCost, namedQueryBytes, type StageSeconds, type Usage } from './cost';
import { BenchError } from './errors';
import type { Job, JobOutcome } from './jobs';
import type { LakeOps } from './lake-ops';
import { cpuPressureMicros, type MachineInfo, machineInfo, serverCpuSeconds } from './machine';
import type { StatementTime } from './profile';

/** What to measure. */
export interface BenchOptions {
  /** Sales orders in the synthetic source at the main scale (ratios); the other tables follow. */
  readonly scale: number;
  /** Further scales of the curve (initial + incremental run each, no references). */
  readonly curve: readonly number[];
  /**
   * A snapshot folder (as `totes seed --from` reads) to seed instead of the synthetic source;
   * `scale` is then only the label of the run, and there is no curve.
   */
  readonly from?: string;
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
  /** Schedule, Lambda sizes and query habits for the cost model. */
  readonly usage: Usage;
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
  /** S3-style requests the step made on the lake. */
  readonly lakeOps?: LakeOps;
  /** The statements that took longest. */
  readonly statements: readonly StatementTime[];
}

/** Curated objects after a run. */
export interface CuratedCount {
  readonly objects: number;
  /** Objects per fact table. */
  readonly factObjects: Readonly<Record<string, number>>;
  readonly medianFactFileKiB: number;
  /** Bytes per curated table (what a query reading the whole table scans at most). */
  readonly tableBytes: Readonly<Record<string, number>>;
}

/** One scale of the curve: what an initial and an incremental run cost there. */
export interface CurvePoint {
  readonly scale: number;
  readonly sourceRows: number;
  readonly initial: {
    /** Ingest + transform + load + compact, in-process seconds. */
    readonly seconds: number;
    /** Source rows per second of the whole initial run. */
    readonly rowsPerSecond: number;
    readonly peakRssMiB: number;
    readonly lakeOps: LakeOps;
    readonly curated: CuratedCount;
  };
  readonly incremental: {
    readonly changes: number;
    readonly seconds: number;
    readonly peakRssMiB: number;
    /** In-process seconds of each stage. */
    readonly stageSeconds: StageSeconds;
    /** The incremental ingest alone: the change capture. */
    readonly captureSeconds: number;
    /** CPU seconds PostgreSQL spent serving the capture. */
    readonly captureServerCpuSeconds: number;
    /** Rows PostgreSQL read for it (`pg_stat_user_tables`: sequential + index fetches). */
    readonly captureScannedRows: number;
    readonly lakeOps: LakeOps;
    readonly curated: CuratedCount;
  };
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

/** A performance target (docs/performance.md) and what was measured. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Everything one bench run measured; written to `bench/results.json`. */
export interface BenchResults {
  readonly version: 2;
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
    readonly compact: StepResult;
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
    readonly compact: StepResult;
    /** Sum of the stages' in-process seconds. */
    readonly seconds: number;
    /** The same with process start-up. */
    readonly wallSeconds: number;
  };
  /** Initial and incremental runs at each scale of the curve, smallest first. */
  readonly curve: readonly CurvePoint[];
  /** What each curve point's schedule and queries would cost a month on AWS (bench/cost.ts). */
  readonly costs: readonly MonthlyCost[];
  readonly targets: readonly TargetCheck[];
  readonly totalSeconds: number;
}

const TARGETS = {
  ingest: 2,
  transform: 2,
  load: 1.5,
  rssMiB: 1024,
  incrementalSeconds: 5,
  /** Rows/s of the initial run at the largest scale may fall at most this far below the main scale's. */
  linearity: 0.2,
} as const;

/**
 * The benchmark: for each scale of the curve (the main scale among them) a synthetic totesys
 * in a private embedded PostgreSQL, a full initial run stage by stage, then an incremental
 * run after `changes` simulated changes. At the main scale each initial stage also runs
 * beside its reference on the same data. Each stage and reference runs in its own process
 * (its peak RSS is its own).
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
    const context: RunnerContext = { root, server, postmaster, say, nice };
    const scales = [...new Set([...options.curve, options.scale])].sort((a, b) => a - b);
    const points: CurvePoint[] = [];
    let main: MainRun | undefined;
    for (const scale of scales) {
      const point = await runPoint(context, { ...options, scale }, scale === options.scale);
      points.push(point.curve);
      if (point.main) main = point.main;
    }
    if (!main) throw new BenchError('the main scale was not measured', { context: { scale: options.scale } });
    const stages = [main.initial.ingest, main.initial.transform, main.initial.load];
    const incStages = [main.incremental.ingest, main.incremental.transform, main.incremental.load];
    return {
      version: 2,
      startedAt,
      scale: options.scale,
      seed: options.seed,
      nice,
      machine: { ...machineInfo(), ...main.versions },
      ...main,
      curve: points,
      costs: await Promise.all(
        points.map(async (p) =>
          monthlyCost(
            p,
            p.incremental.stageSeconds,
            await namedQueryBytes(DEFAULT_QUERIES_DIR, p.incremental.curated.tableBytes),
            options.usage,
          ),
        ),
      ),
      targets: [
        ...targetChecks(main.ratios, [...stages, ...incStages], main.incremental.seconds),
        ...curveChecks(points, options.scale),
      ],
      totalSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await server.stop();
    if (options.keep) say(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

type MainRun = Omit<
  BenchResults,
  | 'version'
  | 'startedAt'
  | 'scale'
  | 'seed'
  | 'nice'
  | 'machine'
  | 'curve'
  | 'costs'
  | 'targets'
  | 'totalSeconds'
> & {
  readonly versions: { postgres: string; duckdb: string };
};

/**
 * One scale: its own databases and lake, seeded, run in full, changed, run again; removed
 * afterwards (a 5M-order source and its lake take several GB). With `main`, also the
 * references and ratios of the initial stages.
 */
async function runPoint(
  context: RunnerContext,
  options: BenchOptions,
  main: boolean,
): Promise<{ curve: CurvePoint; main?: MainRun }> {
  const { server, say } = context;
  const names = {
    totesys: `totesys_${options.scale}`,
    warehouse: `warehouse_${options.scale}`,
    ref: `bench_ref_${options.scale}`,
  };
  for (const db of Object.values(names)) await server.ensureDatabase(db);
  const lakeDir = join(context.root, `lake-${options.scale}`);
  const run = stepRunner(context, {
    TOTESYS_URL: server.url(names.totesys),
    WAREHOUSE_URL: server.url(names.warehouse),
    LAKE_URL: `file://${lakeDir}`,
  });
  say(`scale ${options.scale.toLocaleString('en-GB')} sales orders`);
  const source = await connectPg(server.url(names.totesys), 'source');
  try {
    const setup = await seedSource(source, options);
    const sourceRows = total(setup.sourceRows);
    say(`seeded ${sourceRows.toLocaleString('en-GB')} source rows in ${setup.seedSeconds.toFixed(1)} s`);

    const ingest = await run('ingest', { kind: 'ingest' });
    const refIngest = main ? await run('ingest reference', { kind: 'ref-ingest' }) : undefined;
    const transform = await run('transform', { kind: 'transform' });
    const lake = await openLake(`file://${lakeDir}`);
    const refTransform = main
      ? await run('transform floor', {
          kind: 'ref-transform',
          ingestSeqs: range(await committedIngestSeq(lake)),
          outDir: join(context.root, 'ref-parquet'),
        })
      : undefined;
    const load = await run('load', { kind: 'load' });
    let refLoad: StepResult | undefined;
    if (main) {
      const csvDir = join(context.root, 'ref-csv');
      await run('(prepare load reference)', {
        kind: 'prepare-ref-load',
        batchSeqs: range(await committedTransformSeq(lake)),
        csvDir,
      });
      refLoad = await run('load reference', { kind: 'ref-load', url: server.url(names.ref), csvDir });
    }
    const compact = await run('compact', { kind: 'compact' });
    const initialObjects = await curatedObjects(lakeDir);

    const simulated = await simulateChanges(source, { changes: options.changes, seed: options.seed });
    say(`simulated ${options.changes} changes`);
    const scanBefore = await scannedRows(source);
    const serverBefore = serverCpuSeconds(context.postmaster);
    const incIngest = await run('incremental ingest', { kind: 'ingest' });
    const captureServerCpuSeconds = serverCpuSeconds(context.postmaster) - serverBefore;
    const captureScannedRows = (await scannedRows(source)) - scanBefore;
    const inc = {
      ingest: incIngest,
      transform: await run('incremental transform', { kind: 'transform' }),
      load: await run('incremental load', { kind: 'load' }),
      compact: await run('incremental compact', { kind: 'compact' }),
    };
    const incObjects = await curatedObjects(lakeDir);
    const initialSteps = [ingest, transform, load, compact];
    const incSteps = [inc.ingest, inc.transform, inc.load, inc.compact];
    const initialSeconds = sumBy(initialSteps, (s) => s.seconds);
    const incrementalSeconds = sumBy(incSteps, (s) => s.seconds);
    const curve: CurvePoint = {
      scale: options.scale,
      sourceRows,
      initial: {
        seconds: initialSeconds,
        rowsPerSecond: sourceRows / initialSeconds,
        peakRssMiB: Math.max(...initialSteps.map((s) => s.peakRssMiB)),
        lakeOps: addOps(initialSteps),
        curated: initialObjects,
      },
      incremental: {
        changes: options.changes,
        seconds: incrementalSeconds,
        peakRssMiB: Math.max(...incSteps.map((s) => s.peakRssMiB)),
        stageSeconds: {
          ingest: inc.ingest.seconds,
          transform: inc.transform.seconds,
          load: inc.load.seconds,
          compact: inc.compact.seconds,
        },
        captureSeconds: inc.ingest.seconds,
        captureServerCpuSeconds,
        captureScannedRows,
        lakeOps: addOps(incSteps),
        curated: incObjects,
      },
    };
    if (!main || !refIngest || !refTransform || !refLoad) return { curve };
    const ratios = [
      ratio('ingest', ingest, refIngest, TARGETS.ingest),
      ratio('transform', transform, refTransform, TARGETS.transform),
      ratio('load', load, refLoad, TARGETS.load),
    ];
    return {
      curve,
      main: {
        versions: await versions(source),
        setup,
        initial: { ingest, transform, load, compact },
        references: { ingest: refIngest, transform: refTransform, load: refLoad },
        ratios,
        incremental: {
          changes: options.changes,
          changeCounts: simulated.counts,
          ...inc,
          seconds: incrementalSeconds,
          wallSeconds: sumBy(incSteps, (s) => s.wallSeconds),
        },
      },
    };
  } finally {
    await source.end();
    if (!options.keep) {
      const admin = await connectPg(server.url('postgres'), 'source');
      try {
        for (const db of Object.values(names))
          await admin.query(`DROP DATABASE IF EXISTS ${ident(db)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
      await rm(lakeDir, { recursive: true, force: true });
      await rm(join(context.root, 'ref-parquet'), { recursive: true, force: true });
      await rm(join(context.root, 'ref-csv'), { recursive: true, force: true });
    }
  }
}

/** Rows PostgreSQL read for the source's tables so far (sequential and index fetches). */
async function scannedRows(source: Client): Promise<number> {
  // Backends flush their counters when they end; the snapshot must be re-read each time.
  await source.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await source.query<{ n: string }>(
    'SELECT coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0)::text AS n FROM pg_stat_user_tables',
  );
  return Number(rows[0]?.n ?? 0);
}

/** Objects of the curated zone, and the median size of the fact files among them. */
async function curatedObjects(lakeDir: string): Promise<CuratedCount> {
  const files: { key: string; size: number }[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // no curated zone yet
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path, `${prefix}${entry.name}/`);
      else if (!entry.name.startsWith('.'))
        files.push({ key: `${prefix}${entry.name}`, size: (await stat(path)).size });
    }
  };
  await walk(join(lakeDir, 'curated'), '');
  const facts = files
    .filter((f) => f.key.startsWith('fact_'))
    .map((f) => f.size)
    .sort((a, b) => a - b);
  const perFact: Record<string, number> = {};
  const tableBytes: Record<string, number> = {};
  for (const f of files) {
    const table = f.key.split('/')[0] ?? '';
    if (table.startsWith('_')) continue; // change sets for the load, never queried
    tableBytes[table] = (tableBytes[table] ?? 0) + f.size;
    if (table.startsWith('fact_')) perFact[table] = (perFact[table] ?? 0) + 1;
  }
  return {
    objects: files.length,
    factObjects: perFact,
    tableBytes,
    medianFactFileKiB: facts.length ? (facts[Math.floor(facts.length / 2)] ?? 0) / 1024 : 0,
  };
}

function addOps(steps: readonly StepResult[]): LakeOps {
  const ops: LakeOps = { writes: 0, reads: 0, lists: 0, deletes: 0 };
  for (const s of steps) {
    ops.writes += s.lakeOps?.writes ?? 0;
    ops.reads += s.lakeOps?.reads ?? 0;
    ops.lists += s.lakeOps?.lists ?? 0;
    ops.deletes += s.lakeOps?.deletes ?? 0;
  }
  return ops;
}

/** The curve's targets: linear growth, flat memory, an incremental run that follows the change. */
function curveChecks(points: readonly CurvePoint[], mainScale: number): TargetCheck[] {
  const largest = points[points.length - 1];
  const main = points.find((p) => p.scale === mainScale);
  if (!largest || !main || largest.scale === main.scale) return [];
  const at = `at ${largest.scale.toLocaleString('en-GB')}`;
  // Linear or better: only a drop in rows/s counts against the target.
  const drop = 1 - largest.initial.rowsPerSecond / main.initial.rowsPerSecond;
  const peak = Math.max(largest.initial.peakRssMiB, largest.incremental.peakRssMiB);
  return [
    {
      target: `initial rows/s ${at} within ${TARGETS.linearity * 100}% of ${mainScale.toLocaleString('en-GB')}`,
      measured: `${Math.round(largest.initial.rowsPerSecond).toLocaleString('en-GB')} vs ${Math.round(main.initial.rowsPerSecond).toLocaleString('en-GB')} (${Math.abs(drop * 100).toFixed(0)}% ${drop >= 0 ? 'lower' : 'higher'})`,
      met: drop <= TARGETS.linearity,
    },
    {
      target: `peak RSS ${at} < ${TARGETS.rssMiB} MiB`,
      measured: `${peak.toFixed(0)} MiB`,
      met: peak < TARGETS.rssMiB,
    },
    {
      target: `incremental run ${at} < ${TARGETS.incrementalSeconds} s`,
      measured: `${largest.incremental.seconds.toFixed(2)} s (capture ${largest.incremental.captureSeconds.toFixed(2)} s, ${largest.incremental.captureScannedRows.toLocaleString('en-GB')} rows scanned)`,
      met: largest.incremental.seconds < TARGETS.incrementalSeconds,
    },
  ];
}

/** Creates and seeds the source, then VACUUM ANALYZE: an established database, hint bits set. */
async function seedSource(source: Client, options: BenchOptions): Promise<BenchResults['setup']> {
  await createSourceSchema(source, { reset: true });
  const seedStarted = performance.now();
  const tables = options.from
    ? (await seedFromSnapshot(source, options.from)).tables
    : (await seedSynthetic(source, { scale: options.scale, seed: options.seed })).tables;
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const vacuumStarted = performance.now();
  for (const table of sourceTables) await source.query(`VACUUM ANALYZE ${ident(table.name)}`);
  return {
    seedSeconds,
    vacuumSeconds: (performance.now() - vacuumStarted) / 1000,
    sourceRows: Object.fromEntries(tables.map((t) => [t.table, t.rows])),
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
function stepRunner(
  context: RunnerContext,
  urls: { TOTESYS_URL: string; WAREHOUSE_URL: string; LAKE_URL: string },
): (step: string, job: Job) => Promise<StepResult> {
  const env = { ...process.env, ...urls, TOTES_HOME: context.root };
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
      ...(output.lakeOps ? { lakeOps: output.lakeOps } : {}),
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
const sumBy = <T>(items: readonly T[], f: (item: T) => number): number => items.reduce((n, i) => n + f(i), 0);
const total = (rows: Readonly<Record<string, number>>): number =>
  Object.values(rows).reduce((a, b) => a + b, 0);
