import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchResults } from '../../../bench/bench';

const run = promisify(execFile);
const repo = join(__dirname, '..', '..', '..');

describe('npm run bench', () => {
  let dir: string;
  let results: BenchResults;
  let stdout: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-test-'));
    const out = join(dir, 'results.json');
    ({ stdout } = await run(
      process.execPath,
      [
        '-r',
        'tsx/cjs',
        'bench/run.ts',
        '--scale',
        '2000',
        '--curve',
        '1000,4000',
        '--changes',
        '20',
        '--out',
        out,
      ],
      { cwd: repo, maxBuffer: 10 * 2 ** 20 },
    ));
    results = JSON.parse(await readFile(out, 'utf8')) as BenchResults;
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every stage on every source row of the synthetic scale', () => {
    const sourceRows = Object.values(results.setup.sourceRows).reduce((a, b) => a + b, 0);
    expect(results.scale).toBe(2000);
    expect(results.setup.sourceRows.sales_order).toBe(2000);
    expect(results.initial.ingest.rows).toBe(sourceRows);
    expect(results.initial.transform.rows).toBe(sourceRows);
    expect(results.initial.load.rows).toBe(results.initial.transform.rowsOut);
  });

  it('measures each reference on the same rows as its stage', () => {
    expect(results.references.ingest.rows).toBe(results.initial.ingest.rows);
    expect(results.references.transform.rows).toBe(results.initial.transform.rows);
    expect(results.references.load.rows).toBe(results.initial.load.rows);
    expect(results.references.ingest.bytes).toBeGreaterThan(0);
  });

  it('reports seconds, rows per second and the peak RSS of each stage from its own process', () => {
    for (const step of [results.initial.ingest, results.initial.transform, results.initial.load]) {
      expect(step.seconds).toBeGreaterThan(0);
      expect(step.wallSeconds).toBeGreaterThan(step.seconds);
      expect(step.rowsPerSecond).toBeCloseTo(step.rows / step.seconds, 3);
      // A Node process with the stage loaded is tens of MiB at least, and differs per stage.
      expect(step.peakRssMiB).toBeGreaterThan(30);
      expect(step.statements.length).toBeGreaterThan(0);
    }
  });

  it('captures only the simulated changes in the incremental run', () => {
    expect(results.incremental.changes).toBe(20);
    expect(results.incremental.ingest.rows).toBeGreaterThan(0);
    expect(results.incremental.ingest.rows).toBeLessThan(results.initial.ingest.rows / 10);
    expect(results.incremental.seconds).toBeCloseTo(
      results.incremental.ingest.seconds +
        results.incremental.transform.seconds +
        results.incremental.load.seconds +
        results.incremental.compact.seconds,
      6,
    );
  });

  it('measures the cost curve at every scale, smallest first, the main scale among them', () => {
    expect(results.curve.map((p) => p.scale)).toEqual([1000, 2000, 4000]);
    const [small, , large] = results.curve;
    if (!small || !large) throw new Error('curve points missing');
    expect(large.sourceRows).toBeGreaterThan(small.sourceRows * 3);
    for (const p of results.curve) {
      expect(p.initial.rowsPerSecond).toBeCloseTo(p.sourceRows / p.initial.seconds, 3);
      expect(p.initial.curated.objects).toBeGreaterThan(0);
      expect(p.initial.curated.factObjects.fact_sales_order).toBeGreaterThan(0);
      expect(p.initial.lakeOps.writes).toBeGreaterThanOrEqual(p.initial.curated.objects);
      // An incremental run of 20 changes touches a small part of the lake, and reads source rows.
      expect(p.incremental.lakeOps.writes).toBeLessThan(p.initial.lakeOps.writes);
      expect(p.incremental.lakeOps.writes).toBeGreaterThan(0);
      expect(p.incremental.captureScannedRows).toBeGreaterThan(0);
    }
    expect(stdout).toContain('**Cost curve**');
    // The cost model prices the measured incremental run on the 5-minute schedule.
    expect(results.costs.map((c) => c.scale)).toEqual([1000, 2000, 4000]);
    for (const [i, cost] of results.costs.entries()) {
      const p = results.curve[i];
      if (!p) throw new Error('curve point missing');
      expect(cost.runsPerMonth).toBe(8640);
      const s3 = cost.lines.find((l) => l.item === 'S3 PUT/LIST');
      expect(s3?.quantity).toBe(
        `${(8640 * (p.incremental.lakeOps.writes + p.incremental.lakeOps.lists)).toLocaleString('en-GB')} requests`,
      );
      expect(cost.totalUsd).toBeCloseTo(
        cost.lines.reduce((n, l) => n + l.usdPerMonth, 0),
        9,
      );
    }
    expect(stdout).toContain('**Monthly cost on AWS**');
    expect(stdout).toMatch(/\| initial rows\/s at 4,000 within 20% of 2,000 \|/);
    expect(stdout).toMatch(/\| incremental run at 4,000 < 5 s \|/);
  });

  it('prints the ratios against the targets and a Markdown table', () => {
    expect(results.ratios.map((r) => [r.stage, r.target])).toEqual([
      ['ingest', 2],
      ['transform', 2],
      ['load', 1.5],
    ]);
    for (const r of results.ratios) expect(r.met).toBe(r.ratio <= r.target);
    expect(stdout).toMatch(/^\| step \| rows \| seconds \| rows\/s \| peak RSS \(MiB\) \|/m);
    expect(stdout).toContain('| incremental run < 5 s |');
  });
});
