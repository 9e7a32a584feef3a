/**
 * Crash safety on the real data: a real `totes run` (bin/totes.cjs, a child process) is
 * killed with SIGKILL at a chosen operation — a lake write, a torn lake write, a database
 * statement — in every stage; `totes run` is then run again to completion and the lake and
 * the warehouse are compared with those of an uninterrupted run. The crash points are found
 * by meaning in the trace of the uninterrupted run (`TOTES_CRASH_TRACE`), then hit by number
 * (`TOTES_CRASH_AT`, see app/local/fault-injection.ts).
 *
 * One source database is seeded once and only read; every iteration gets a fresh lake folder
 * and warehouse database. The incremental scenario starts each iteration from a copy of the
 * lake and warehouse after the initial load, against a second source with changes made after
 * that load (updates with and without last_updated, inserts, deletes, a department rename
 * that ripples into dim_staff).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { NOV_DIR } from '../real/support/real-data';
import { testServerUrl } from '../support/pg';
import { type TracedOp, totes, tracedOps } from './support/cli';
import { differences, inconsistencies, type PipelineSnapshot, pipelineSnapshot } from './support/snapshot';

/** The real Nov 2024 export (../shared/totesys-data or TOTESYS_DATA_DIR): the run's global setup checks it is there. */
const SNAPSHOT = NOV_DIR;

/** Changes made to the second source after the initial load. */
const CHANGES = `
  UPDATE sales_order SET units_sold = units_sold + 1, last_updated = '2024-11-16 09:00:00.123' WHERE sales_order_id % 997 = 0;
  UPDATE sales_order SET unit_price = unit_price + 0.01 WHERE sales_order_id % 1499 = 1;
  UPDATE department SET department_name = department_name || ' and Ops', last_updated = '2024-11-16 09:01:00' WHERE department_id = 2;
  UPDATE address SET city = 'Leeds' WHERE address_id = 3;
  INSERT INTO design (design_name, file_location, file_name, created_at, last_updated)
    VALUES ('Crash-proof', '/srv', 'crash-proof.json', '2024-11-16 09:02:00', '2024-11-16 09:02:00');
  INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price,
                           currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
    SELECT '2024-11-16 09:03:00.5', '2024-11-16 09:03:00.5', design_id, staff_id, counterparty_id, units_sold, unit_price,
           currency_id, '2024-11-20', '2024-11-21', agreed_delivery_location_id
      FROM sales_order WHERE sales_order_id <= 5;
  DELETE FROM payment WHERE payment_id IN (10, 20, 30);
`;

type Scenario = 'initial' | 'incremental';

/** A crash point: which operation of the uninterrupted run's trace to die at, and how. */
interface CrashPoint {
  readonly scenario: Scenario;
  readonly name: string;
  readonly mode: 'lake-write' | 'lake-write-mid' | 'pg';
  /** Picks the operation from the trace. */
  readonly pick: (ops: readonly TracedOp[]) => TracedOp | undefined;
}

const lake = (ops: readonly TracedOp[]) => ops.filter((o) => o.kind === 'lake');
const pg = (ops: readonly TracedOp[]) => ops.filter((o) => o.kind === 'pg');
const first = (pattern: RegExp) => (ops: readonly TracedOp[]) => ops.find((o) => pattern.test(o.what));
const last = (pattern: RegExp) => (ops: readonly TracedOp[]) =>
  ops.filter((o) => pattern.test(o.what)).at(-1);
const middle = (pattern: RegExp) => (ops: readonly TracedOp[]) => {
  const all = ops.filter((o) => pattern.test(o.what));
  return all[Math.floor(all.length / 2)];
};
const inLake = (f: (ops: readonly TracedOp[]) => TracedOp | undefined) => (ops: readonly TracedOp[]) =>
  f(lake(ops));
const inPg = (f: (ops: readonly TracedOp[]) => TracedOp | undefined) => (ops: readonly TracedOp[]) =>
  f(pg(ops));
/** The warehouse COMMIT that follows the ledger insert: the load's commit point. */
const commitAfterLedger = (ops: readonly TracedOp[]) => {
  const all = pg(ops);
  const ledger = all.findIndex((o) => /etl\.load_log \(batch_seq/.test(o.what));
  return all.slice(ledger).find((o) => /^warehouse \d+ COMMIT/.test(o.what));
};

const initial = (name: string, mode: CrashPoint['mode'], pick: CrashPoint['pick']): CrashPoint => ({
  scenario: 'initial',
  name,
  mode,
  pick,
});
const incremental = (name: string, mode: CrashPoint['mode'], pick: CrashPoint['pick']): CrashPoint => ({
  scenario: 'incremental',
  name,
  mode,
  pick,
});

const POINTS: readonly CrashPoint[] = [
  // ingest
  initial('ingest: while taking the lease', 'lake-write', inLake(first(/^putIf state\/lease\.json/))),
  initial(
    'ingest: extracting sales_order (COPY of its rows)',
    'pg',
    inPg(first(/^source COPY \(SELECT t\."sales_order_id"/)),
  ),
  initial(
    'ingest: extracting payment, the last table',
    'pg',
    inPg(first(/^source COPY \(SELECT t\."payment_id"/)),
  ),
  initial('ingest: before the first raw object', 'lake-write', inLake(first(/^put raw\//))),
  initial(
    'ingest: half-way through writing the sales_order raw object',
    'lake-write-mid',
    inLake(first(/^put raw\/sales_order\//)),
  ),
  initial('ingest: writing a key set', 'lake-write', inLake(first(/^put state\/keys\/payment\//))),
  initial(
    'ingest: raw objects written, manifest not',
    'lake-write',
    inLake(first(/^put state\/ingest-runs\//)),
  ),
  initial(
    'ingest: manifest written, state not saved',
    'lake-write',
    inLake(first(/^putIf state\/ingest\.json/)),
  ),
  // transform
  initial('transform: writing its intent', 'lake-write', inLake(first(/^put state\/transform-intent/))),
  initial(
    'transform: half-way through the first fact Parquet upload',
    'lake-write-mid',
    inLake(first(/^upload curated\/fact_/)),
  ),
  initial('transform: after half of the fact files', 'lake-write', inLake(middle(/^upload curated\/fact_/))),
  initial(
    'transform: half-way through a dimension snapshot',
    'lake-write-mid',
    inLake(first(/^upload curated\/dim_transaction\//)),
  ),
  initial(
    'transform: writing its memory of sales_order',
    'lake-write',
    inLake(first(/^upload state\/transform-current\/sales_order\//)),
  ),
  initial(
    'transform: before the batch manifest',
    'lake-write',
    inLake(first(/^put state\/transform-batches\//)),
  ),
  initial('transform: between two catalog switches', 'lake-write', inLake(middle(/^putIf catalog\//))),
  initial(
    'transform: catalog switched, state not committed',
    'lake-write',
    inLake(first(/^putIf state\/transform\.json/)),
  ),
  initial(
    'transform: half-way through the state commit',
    'lake-write-mid',
    inLake(first(/^putIf state\/transform\.json/)),
  ),
  // load
  initial('load: applying a migration', 'pg', inPg(first(/^warehouse \d+ -- The load ledger/))),
  initial(
    'load: dimensions upserted, in the batch transaction',
    'pg',
    inPg(first(/^warehouse \d+ COPY "fact_sales_order"/)),
  ),
  initial('load: copying the payments', 'pg', inPg(first(/^warehouse \d+ COPY "fact_payment"/))),
  initial('load: before the ledger insert', 'pg', inPg(first(/^warehouse \d+ INSERT INTO etl\.load_log/))),
  initial('load: before the COMMIT', 'pg', commitAfterLedger),
  initial(
    'after the load committed, before the lease is released',
    'lake-write',
    inLake(last(/^putIf state\/lease\.json/)),
  ),
  // an incremental run
  incremental(
    'incremental ingest: extracting',
    'pg',
    inPg(first(/^source COPY \(SELECT t\."sales_order_id"/)),
  ),
  incremental(
    'incremental ingest: manifest written, state not saved',
    'lake-write',
    inLake(first(/^putIf state\/ingest\.json/)),
  ),
  incremental(
    'incremental transform: half-way through a fact file',
    'lake-write-mid',
    inLake(first(/^upload curated\/fact_/)),
  ),
  incremental(
    'incremental transform: catalog switched, state not committed',
    'lake-write',
    inLake(first(/^putIf state\/transform\.json/)),
  ),
  incremental(
    'incremental load: before the ledger insert',
    'pg',
    inPg(first(/^warehouse \d+ INSERT INTO etl\.load_log/)),
  ),
  incremental('incremental load: before the COMMIT', 'pg', commitAfterLedger),
];

/** Everything the iterations share, built once. */
interface Stage {
  readonly dir: string;
  readonly server: string;
  readonly source: { readonly initial: string; readonly changed: string };
  /** Lake folder and warehouse database after the initial load (copied by incremental iterations). */
  readonly base: { readonly lake: string; readonly warehouse: string };
  readonly expected: Readonly<Record<Scenario, PipelineSnapshot>>;
  readonly trace: Readonly<Record<Scenario, readonly TracedOp[]>>;
}

const databases: string[] = [];

async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createDatabase(name: string, template?: string): Promise<string> {
  await admin((c) => c.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`));
  databases.push(name);
  return testServerUrl().replace(/\/postgres$/, `/${name}`);
}

const suffix = Math.random().toString(16).slice(2, 8);
const dbName = (what: string) => `faults_${suffix}_${what}`;

function env(sourceUrl: string, warehouseUrl: string, lakeDir: string, extra: Record<string, string> = {}) {
  return {
    TOTESYS_URL: sourceUrl,
    WAREHOUSE_URL: warehouseUrl,
    LAKE_URL: `file://${lakeDir}`,
    TOTES_HOME: join(lakeDir, '..', 'home'),
    // A long lease: renewals (every quarter of the TTL) then never fall inside a run, so the
    // lake writes are numbered alike in every run. A rerun still takes over a killed run's
    // lease at once (same host, holder's process gone), which this suite proves at every point.
    TOTES_LEASE_TTL: '600',
    ...extra,
  };
}

async function completeRun(e: Record<string, string>): Promise<string> {
  const done = await totes(['run', '--wait', '60'], e);
  if (done.code !== 0)
    throw new Error(`totes run exited ${done.code} (${done.signal}): ${done.stderr.slice(-2000)}`);
  return done.stderr;
}

async function buildStage(): Promise<Stage> {
  const dir = await mkdtemp(join(tmpdir(), 'totes-faults-'));
  const initialSource = await createDatabase(dbName('src'));
  const seeded = await totes(
    ['seed', '--from', SNAPSHOT],
    env(initialSource, initialSource, join(dir, 'seed', 'lake')),
  );
  if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`);

  const refWarehouse = await createDatabase(dbName('ref'));
  const refLake = join(dir, 'ref', 'lake');
  const initialTrace = tracedOps(
    await completeRun(env(initialSource, refWarehouse, refLake, { TOTES_CRASH_TRACE: '1' })),
  );
  const initialSnapshot = await pipelineSnapshot(refLake, refWarehouse);
  expect(await inconsistencies(refLake, refWarehouse)).toEqual([]);

  // Changed after the initial load, so its changes are newer than the saved capture horizon.
  const changedSource = await createDatabase(dbName('chg'), dbName('src'));
  await admin(async () => {
    const c = new Client({ connectionString: changedSource });
    await c.connect();
    await c.query(CHANGES);
    await c.end();
  });
  const incWarehouse = await createDatabase(dbName('refinc'), dbName('ref'));
  const incLake = join(dir, 'refinc', 'lake');
  await cp(refLake, incLake, { recursive: true });
  const incrementalTrace = tracedOps(
    await completeRun(env(changedSource, incWarehouse, incLake, { TOTES_CRASH_TRACE: '1' })),
  );
  const incrementalSnapshot = await pipelineSnapshot(incLake, incWarehouse);
  expect(await inconsistencies(incLake, incWarehouse)).toEqual([]);
  const verified = await totes(['verify'], env(changedSource, incWarehouse, incLake));
  expect({ code: verified.code, out: verified.stdout.split('\n').at(-2) }).toEqual({
    code: 0,
    out: 'verified: source, raw, lake and warehouse agree',
  });
  expect(differences(incrementalSnapshot, initialSnapshot)).not.toEqual([]);

  return {
    dir,
    server: testServerUrl(),
    source: { initial: initialSource, changed: changedSource },
    base: { lake: refLake, warehouse: dbName('ref') },
    expected: { initial: initialSnapshot, incremental: incrementalSnapshot },
    trace: { initial: initialTrace, incremental: incrementalTrace },
  };
}

let staged: Promise<Stage> | undefined;
/** Built by the first test that needs it (concurrent tests do not wait for beforeAll). */
const stage = (): Promise<Stage> => {
  staged ??= buildStage();
  return staged;
};

/** CREATE DATABASE … TEMPLATE needs the template idle: one copy at a time. */
let copying: Promise<unknown> = Promise.resolve();
function copyDatabase(name: string, template: string): Promise<string> {
  const next = copying.then(() => createDatabase(name, template));
  copying = next.catch(() => undefined);
  return next;
}

afterAll(async () => {
  const s = await staged?.catch(() => undefined);
  await admin(async (c) => {
    for (const name of databases) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
  if (s) await rm(s.dir, { recursive: true, force: true });
});

describe('a totes run killed with SIGKILL at any point', () => {
  it.concurrent.each(POINTS.map((p, i) => [p.name, p, i] as const))(
    'converges to the uninterrupted result when killed %s',
    async (_name, point, i) => {
      const s = await stage();
      const op = point.pick(s.trace[point.scenario]);
      if (!op) throw new Error(`no operation in the ${point.scenario} trace matches "${point.name}"`);
      const kind = point.mode === 'pg' ? 'pg' : point.mode;
      const at = `${kind}:${op.n}`;

      const lakeDir = join(s.dir, `it-${i}`, 'lake');
      let warehouse: string;
      if (point.scenario === 'initial') {
        warehouse = await createDatabase(dbName(`it${i}`));
      } else {
        warehouse = await copyDatabase(dbName(`it${i}`), s.base.warehouse);
        await cp(s.base.lake, lakeDir, { recursive: true });
      }
      const source = point.scenario === 'initial' ? s.source.initial : s.source.changed;

      const crashed = await totes(['run'], env(source, warehouse, lakeDir, { TOTES_CRASH_AT: at }));
      expect({ at, signal: crashed.signal }).toEqual({ at, signal: 'SIGKILL' });

      await completeRun(env(source, warehouse, lakeDir));
      expect(await inconsistencies(lakeDir, warehouse)).toEqual([]);
      expect(differences(await pipelineSnapshot(lakeDir, warehouse), s.expected[point.scenario])).toEqual([]);

      if (point.scenario === 'incremental') {
        // A further run changes nothing: nothing is left to redo or to duplicate.
        await completeRun(env(source, warehouse, lakeDir));
        expect(differences(await pipelineSnapshot(lakeDir, warehouse), s.expected[point.scenario])).toEqual(
          [],
        );
      }
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName(`it${i}`)}" WITH (FORCE)`));
      await rm(join(s.dir, `it-${i}`), { recursive: true, force: true });
    },
  );
});
