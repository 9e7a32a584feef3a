/**
 * What running the pipeline on AWS would cost a month, from what the bench measured: the
 * stages' seconds (Lambda GB-seconds at the deployed memory sizes), the lake requests each
 * run made, and the bytes of the curated tables that each named query reads (Athena).
 * Prices are list prices of eu-west-2 (London) as of 2026; they are inputs, not measurements.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CurvePoint } from './bench';
import type { LakeOps } from './lake-ops';

/** Unit prices in USD. */
export interface Prices {
  readonly lambdaGbSecond: number;
  readonly lambdaRequest: number;
  /** PUT, COPY, POST, LIST per request. */
  readonly s3Write: number;
  /** GET per request. */
  readonly s3Read: number;
  readonly athenaTerabyte: number;
  /** Athena bills at least this many bytes per query. */
  readonly athenaMinimumBytes: number;
  /** Step Functions standard workflows, per state transition. */
  readonly stateTransition: number;
}

/** eu-west-2 list prices (x86 Lambda, S3 Standard, Athena SQL, Step Functions standard). */
export const LONDON: Prices = {
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1e6,
  s3Write: 0.0053 / 1000,
  s3Read: 0.00042 / 1000,
  athenaTerabyte: 5,
  athenaMinimumBytes: 10 * 2 ** 20,
  stateTransition: 0.025 / 1000,
};

/** How the pipeline is used: the schedule, and how often analysts run each named query. */
export interface Usage {
  readonly scheduleMinutes: number;
  /** Memory of each stage's Lambda, MiB (infra/config.ts). */
  readonly memoryMiB: {
    readonly ingest: number;
    readonly transform: number;
    readonly load: number;
    readonly compact: number;
  };
  /** Runs of every named query a day. */
  readonly queriesPerDay: number;
  /** State transitions of one idle execution (Ingest, Transform, Load, Compact and their choices). */
  readonly transitionsPerRun: number;
}

/** One line of the model. */
export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  readonly usdPerMonth: number;
}

/** The monthly cost of one curve point's incremental runs on the schedule, plus its queries. */
export interface MonthlyCost {
  readonly scale: number;
  readonly runsPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

/** Seconds of each stage in one incremental run, as the bench measured them. */
export interface StageSeconds {
  readonly ingest: number;
  readonly transform: number;
  readonly load: number;
  readonly compact: number;
}

/**
 * Lambda duration is taken as the local in-process seconds: a Lambda of 1,769 MiB or more has at
 * least one full vCPU, the bench machine two, so this is an estimate, not a bill.
 */
export function monthlyCost(
  point: CurvePoint,
  stageSeconds: StageSeconds,
  queryBytes: readonly { name: string; bytes: number }[],
  usage: Usage,
  prices: Prices = LONDON,
): MonthlyCost {
  const runsPerMonth = (30 * 24 * 60) / usage.scheduleMinutes;
  const gbSeconds =
    runsPerMonth *
    (Object.keys(stageSeconds) as (keyof StageSeconds)[]).reduce(
      (n, stage) => n + (stageSeconds[stage] * usage.memoryMiB[stage]) / 1024,
      0,
    );
  const ops: LakeOps = point.incremental.lakeOps;
  const writes = runsPerMonth * (ops.writes + ops.lists);
  const reads = runsPerMonth * ops.reads;
  const athenaBytes = queryBytes.reduce(
    (n, q) => n + Math.max(q.bytes, prices.athenaMinimumBytes) * usage.queriesPerDay * 30,
    0,
  );
  const lines: CostLine[] = [
    {
      item: 'Lambda compute',
      quantity: `${fmt(gbSeconds)} GB-s`,
      usdPerMonth: gbSeconds * prices.lambdaGbSecond,
    },
    {
      item: 'Lambda requests',
      quantity: `${fmt(runsPerMonth * 4)} invocations`,
      usdPerMonth: runsPerMonth * 4 * prices.lambdaRequest,
    },
    { item: 'S3 PUT/LIST', quantity: `${fmt(writes)} requests`, usdPerMonth: writes * prices.s3Write },
    { item: 'S3 GET', quantity: `${fmt(reads)} requests`, usdPerMonth: reads * prices.s3Read },
    {
      item: 'Step Functions',
      quantity: `${fmt(runsPerMonth * usage.transitionsPerRun)} transitions`,
      usdPerMonth: runsPerMonth * usage.transitionsPerRun * prices.stateTransition,
    },
    {
      item: `Athena (${queryBytes.length} named queries × ${usage.queriesPerDay}/day)`,
      quantity: `${(athenaBytes / 2 ** 30).toFixed(1)} GiB scanned`,
      usdPerMonth: (athenaBytes / 2 ** 40) * prices.athenaTerabyte,
    },
  ];
  return {
    scale: point.scale,
    runsPerMonth,
    lines,
    totalUsd: lines.reduce((n, l) => n + l.usdPerMonth, 0),
  };
}

/**
 * Bytes each named query scans at most: the sizes of the curated tables its SQL names (Athena
 * reads only the columns a query uses from Parquet, so the bill is lower; this is the ceiling).
 */
export async function namedQueryBytes(
  queriesDir: string,
  tableBytes: Readonly<Record<string, number>>,
): Promise<{ name: string; bytes: number }[]> {
  const files = (await readdir(queriesDir)).filter((f) => f.endsWith('.sql')).sort();
  const tables = Object.keys(tableBytes);
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(queriesDir, file), 'utf8');
      const named = tables.filter((t) => new RegExp(`\\b${t}(_current)?\\b`).test(sql));
      return { name: file.replace(/\.sql$/, ''), bytes: named.reduce((n, t) => n + (tableBytes[t] ?? 0), 0) };
    }),
  );
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-GB');
