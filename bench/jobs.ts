import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { compactFacts } from '../lambdas/compact/compact';
import { ingest } from '../lambdas/ingest/ingest';
import { LocalCatalog } from '../lambdas/kernel/catalog/local-catalog';
import { type Config, loadConfig } from '../lambdas/kernel/config';
import { connectPg } from '../lambdas/kernel/db/connect';
import { openDuck, sqlString } from '../lambdas/kernel/duckdb/duckdb';
import { readIngestManifest, readTransformManifest } from '../lambdas/kernel/lake/documents/manifests';
import type { LakeStore } from '../lambdas/kernel/lake/lake-store';
import { openConfiguredLake } from '../lambdas/kernel/lake/open-lake';
import { JsonLogger, type Log } from '../lambdas/kernel/logger';
import {
  type ColumnDef,
  ident,
  sourceTable,
  sourceTables,
  warehousePgType,
  warehouseTables,
} from '../lambdas/kernel/schema';
import { parquetToCsvSql } from '../lambdas/load/csv-pipeline';
import { loadedSeq } from '../lambdas/load/ledger';
import { runLoadStage } from '../lambdas/load/stage';
import { transform } from '../lambdas/transform/transform';
import { BenchError } from './errors';
import { CountingLakeStore, type LakeOps } from './lake-ops';

/** A measured step, run by `stage-worker.ts` in its own process. */
export type Job =
  /** The pipeline stages, exactly as `totes run` calls them. */
  | { readonly kind: 'ingest' | 'transform' | 'load' | 'compact' }
  /** Plain `COPY (SELECT <the ingested columns>) TO STDOUT` of every source table, discarded. */
  | { readonly kind: 'ref-ingest' }
  /** DuckDB: the raw objects of ingest runs `ingestSeqs` straight to Parquet, no transformation. */
  | { readonly kind: 'ref-transform'; readonly ingestSeqs: readonly number[]; readonly outDir: string }
  /** Untimed set-up: the curated rows of transform batches `batchSeqs` as one ready CSV per table. */
  | { readonly kind: 'prepare-ref-load'; readonly batchSeqs: readonly number[]; readonly csvDir: string }
  /** `COPY FROM STDIN` of those CSVs into unindexed tables of the database at `url`. */
  | { readonly kind: 'ref-load'; readonly url: string; readonly csvDir: string };

/** What a job reports besides time and memory (which the worker adds). */
export interface JobOutcome {
  /** Rows the step handled (see each job). */
  readonly rows: number;
  /** Rows the step wrote, when it differs from `rows` (transform: curated rows). */
  readonly rowsOut?: number;
  /** Bytes the step read or wrote, when it is meaningful (reference COPY volumes). */
  readonly bytes?: number;
  /** Rows per table. */
  readonly tables: Readonly<Record<string, number>>;
  /** S3-style requests the step made on the lake. */
  readonly lakeOps?: LakeOps;
}

/** Runs one job against the configured databases and lake. */
export async function runJob(job: Job): Promise<JobOutcome> {
  const config = loadConfig();
  const log = new JsonLogger({ level: 'warn' });
  const lake = new CountingLakeStore(await openConfiguredLake(config));
  const outcome = await dispatch(job, config, lake, log);
  return { ...outcome, lakeOps: lake.ops };
}

function dispatch(job: Job, config: Config, lake: LakeStore, log: Log): Promise<JobOutcome> {
  switch (job.kind) {
    case 'ingest':
      return withClient(config.totesysUrl, 'source', (source) => ingestJob(source, lake, log));
    case 'transform':
      return transformJob(lake, log);
    case 'load':
      return withClient(config.warehouseUrl, 'warehouse', (warehouse) => loadJob(warehouse, lake, log));
    case 'compact':
      return withClient(config.warehouseUrl, 'warehouse', (warehouse) => compactJob(warehouse, lake, log));
    case 'ref-ingest':
      return withClient(config.totesysUrl, 'source', copyOutAll);
    case 'ref-transform':
      return rawToParquet(lake, job.ingestSeqs, job.outDir);
    case 'prepare-ref-load':
      return curatedToCsv(lake, job.batchSeqs, job.csvDir);
    case 'ref-load':
      return withClient(job.url, 'warehouse', (client) => copyInAll(client, job.csvDir));
  }
}

async function withClient<T>(
  url: string | undefined,
  role: 'source' | 'warehouse',
  work: (client: Client) => Promise<T>,
): Promise<T> {
  if (url === undefined) throw new BenchError(`the bench worker needs the ${role} URL in its environment`);
  const client = await connectPg(url, role);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function ingestJob(source: Client, lake: LakeStore, log: Log): Promise<JobOutcome> {
  const result = await ingest({ source, lake, log });
  const failed = result.tables.find((t) => t.error);
  if (failed?.error) throw failed.error;
  const tables = Object.fromEntries(result.tables.map((t) => [t.table, t.rows]));
  return { rows: sum(Object.values(tables)), tables };
}

/** Every committed ingest run, in batches, as `totes run` does; rows in = raw rows consumed. */
async function transformJob(lake: LakeStore, log: Log): Promise<JobOutcome> {
  const workDir = await mkdtemp(join(tmpdir(), 'totes-bench-transform-'));
  try {
    const tables: Record<string, number> = {};
    let rowsIn = 0;
    for (;;) {
      const batch = await transform({ lake, catalog: new LocalCatalog(lake), log, workDir });
      for (let s = batch.ingestSeqs.from + 1; s <= batch.ingestSeqs.to; s++) {
        rowsIn += sum((await readIngestManifest(lake, s)).objects.map((o) => o.rows));
      }
      for (const [table, n] of [...Object.entries(batch.facts), ...Object.entries(batch.dimensions)]) {
        tables[table] = (tables[table] ?? 0) + n;
      }
      if (!batch.more) break;
    }
    return { rows: rowsIn, rowsOut: sum(Object.values(tables)), tables };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function loadJob(warehouse: Client, lake: LakeStore, log: Log): Promise<JobOutcome> {
  const workDir = await mkdtemp(join(tmpdir(), 'totes-bench-load-'));
  try {
    const result = await runLoadStage({ warehouse, lake, log, workDir });
    return { rows: sum(Object.values(result.rows)), tables: result.rows };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The compaction stage after a load, as `totes run` runs it; rows = fact files replaced. */
async function compactJob(warehouse: Client, lake: LakeStore, log: Log): Promise<JobOutcome> {
  const workDir = await mkdtemp(join(tmpdir(), 'totes-bench-compact-'));
  try {
    const result = await compactFacts({ lake, log, workDir, loadedSeq: await loadedSeq(warehouse) });
    const tables: Record<string, number> = {};
    for (const c of result.compactions) tables[c.table] = (tables[c.table] ?? 0) + c.replaced.length;
    return { rows: sum(Object.values(tables)), tables };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * The ingest reference: the same columns of every row of every source table, in PostgreSQL's
 * plain COPY text format, received by this process and thrown away (no JSON, no gzip, no
 * change detection, no key reconciliation, no lake write).
 */
async function copyOutAll(source: Client): Promise<JobOutcome> {
  const tables: Record<string, number> = {};
  let bytes = 0;
  for (const table of sourceTables) {
    const columns = table.columns.map((c) => ident(c.name)).join(', ');
    const stream = source.query(copyTo(`COPY (SELECT ${columns} FROM ${ident(table.name)}) TO STDOUT`));
    let rows = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
        done();
      },
    });
    await pipeline(stream, sink);
    tables[table.name] = rows;
  }
  return { rows: sum(Object.values(tables)), bytes, tables };
}

/** How the transform reads a raw column (numbers and booleans typed, the rest as text). */
function rawReadType(column: ColumnDef): string {
  if (column.type === 'int' || column.type === 'serial') return 'BIGINT';
  if (column.type === 'boolean') return 'BOOLEAN';
  return 'VARCHAR';
}

/**
 * The transform's I/O floor: the same DuckDB settings (1 GB, 2 threads) read the same raw
 * JSONL.gz objects with the same explicit columns and write them to zstd Parquet, one file
 * per table, with no checks, joins, history or dimensions.
 */
async function rawToParquet(
  lake: LakeStore,
  ingestSeqs: readonly number[],
  outDir: string,
): Promise<JobOutcome> {
  const files = new Map<string, string[]>();
  for (const seq of ingestSeqs) {
    for (const object of (await readIngestManifest(lake, seq)).objects) {
      files.set(object.table, [...(files.get(object.table) ?? []), localPathOf(lake, object.key)]);
    }
  }
  await mkdir(outDir, { recursive: true });
  const duck = await openDuck({ memoryLimit: '1GB', threads: 2, tempDirectory: join(outDir, 'duckdb') });
  try {
    const tables: Record<string, number> = {};
    for (const [name, paths] of files) {
      const columns = ['_op', '_run_id', '_extracted_at']
        .map((c) => `${sqlString(c)}: 'VARCHAR'`)
        .concat(sourceTable(name).columns.map((c) => `${sqlString(c.name)}: ${sqlString(rawReadType(c))}`));
      const read = `read_json([${paths.map(sqlString).join(', ')}], format = 'newline_delimited', compression = 'gzip', columns = {${columns.join(', ')}})`;
      const out = join(outDir, `${name}.parquet`);
      await duck.exec(`COPY (SELECT * FROM ${read}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`);
      tables[name] = await duck.scalarNumber(`SELECT count(*) FROM read_parquet(${sqlString(out)})`);
    }
    return { rows: sum(Object.values(tables)), tables };
  } finally {
    duck.close();
  }
}

/** The curated Parquet of the batches, rendered exactly as the loader renders it for COPY. */
async function curatedToCsv(
  lake: LakeStore,
  batchSeqs: readonly number[],
  csvDir: string,
): Promise<JobOutcome> {
  const objects = new Map<string, string[]>();
  for (const seq of batchSeqs) {
    const manifest = await readTransformManifest(lake, seq);
    for (const o of [...manifest.dimensions, ...manifest.facts]) {
      objects.set(o.table, [...(objects.get(o.table) ?? []), localPathOf(lake, o.key)]);
    }
  }
  await mkdir(csvDir, { recursive: true });
  const duck = await openDuck({ memoryLimit: '1GB', threads: 2 });
  try {
    const tables: Record<string, number> = {};
    for (const table of warehouseTables) {
      const paths = objects.get(table.name);
      if (!paths) continue;
      await duck.exec(parquetToCsvSql(table, paths, join(csvDir, `${table.name}.csv`)));
      tables[table.name] = await duck.scalarNumber(
        `SELECT count(*) FROM read_parquet([${paths.map(sqlString).join(', ')}])`,
      );
    }
    return { rows: sum(Object.values(tables)), tables };
  } finally {
    duck.close();
  }
}

/**
 * The load reference: each table's ready CSV through `COPY FROM STDIN` into a table with the
 * warehouse column types and nothing else (no key, index, constraint or trigger).
 */
async function copyInAll(client: Client, csvDir: string): Promise<JobOutcome> {
  const tables: Record<string, number> = {};
  let bytes = 0;
  for (const table of warehouseTables) {
    const csv = join(csvDir, `${table.name}.csv`);
    if (!existsSync(csv)) continue;
    const columns = table.columns.map((c) => `${ident(c.name)} ${warehousePgType(c.type)}`).join(', ');
    const target = ident(`ref_${table.name}`);
    await client.query(`DROP TABLE IF EXISTS ${target}`);
    await client.query(`CREATE TABLE ${target} (${columns})`);
    const copy = client.query(copyFrom(`COPY ${target} FROM STDIN (FORMAT csv)`));
    const input = createReadStream(csv);
    input.on('data', (chunk) => {
      bytes += chunk.length;
    });
    await pipeline(input, copy);
    tables[table.name] = copy.rowCount;
  }
  return { rows: sum(Object.values(tables)), bytes, tables };
}

function localPathOf(lake: LakeStore, key: string): string {
  const path = lake.localPath(key);
  if (path === undefined) throw new BenchError(`the bench needs a local lake (file://), not ${lake.url}`);
  return path;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
