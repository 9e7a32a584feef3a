import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretsClient, readDatabaseTarget } from '../../../lambdas/kernel/aws/database-secret';
import { GlueCatalog } from '../../../lambdas/kernel/catalog/glue-catalog';
import { DEFAULT_DATABASE_SETTINGS } from '../../../lambdas/kernel/config';
import { connectPg } from '../../../lambdas/kernel/db/connect';
import { S3LakeStore } from '../../../lambdas/kernel/lake/s3-lake-store';

const root = join(__dirname, '..', '..', '..');

/**
 * A loopback TCP server that accepts every connection and never sends a byte: a database or
 * an AWS endpoint that is "up" but hung. `greet` makes it complete PostgreSQL's startup
 * (AuthenticationOk, ReadyForQuery) first, so that only queries go unanswered.
 */
async function hangingServer(options: { greet?: boolean } = {}): Promise<{
  port: number;
  accepted: () => number;
  close: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    if (options.greet) {
      socket.once('data', () =>
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0, 0x5a, 0, 0, 0, 5, 0x49])),
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `node bin/totes.cjs …` as a user would, timing it. */
function totes(args: string[], env: Record<string, string>) {
  const started = Date.now();
  return new Promise<{ code: number; stderr: string; stdout: string; seconds: number }>((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'totes.cjs'), ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({
          code: typeof code === 'number' ? code : 1,
          stdout,
          stderr,
          seconds: (Date.now() - started) / 1000,
        });
      },
    );
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'totes-hanging-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cliEnv = (port: number, extra: Record<string, string>) => ({
  TOTESYS_URL: `postgres://reader:Hung-Secret-9@127.0.0.1:${port}/totesys`,
  // Set, so the CLI starts no embedded PostgreSQL: ingest never connects to it.
  WAREHOUSE_URL: `postgres://writer:x@127.0.0.1:${port}/warehouse`,
  LAKE_URL: `file://${join(dir, 'lake')}`,
  TOTES_HOME: join(dir, 'home'),
  ...extra,
});

describe('a source database that accepts TCP and never answers', () => {
  it('fails totes ingest within the connect timeout, naming TOTESYS_URL, the host and the setting', async () => {
    const server = await hangingServer();
    try {
      const run = await totes(
        ['ingest'],
        cliEnv(server.port, { TOTES_DB_CONNECT_TIMEOUT: '2', TOTES_DB_CONNECT_RETRIES: '0' }),
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `cannot connect to the source database postgres://reader:***@127.0.0.1:${server.port}/totesys`,
      );
      expect(run.stderr).toContain('no answer within 2 s (TOTES_DB_CONNECT_TIMEOUT)');
      expect(run.stderr).toContain('Check TOTESYS_URL');
      expect(run.stdout + run.stderr).not.toContain('Hung-Secret-9');
      // It waited for the timeout (not an instant refusal), and not much longer.
      expect(run.seconds).toBeGreaterThanOrEqual(2);
      expect(run.seconds).toBeLessThan(12);
      expect(server.accepted()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('retries the connection with backoff as configured, then fails naming the attempts', async () => {
    const server = await hangingServer();
    try {
      const run = await totes(
        ['ingest'],
        cliEnv(server.port, { TOTES_DB_CONNECT_TIMEOUT: '1', TOTES_DB_CONNECT_RETRIES: '2' }),
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('(3 attempts): no answer within 1 s (TOTES_DB_CONNECT_TIMEOUT)');
      expect(server.accepted()).toBe(3);
      // Three timeouts and two pauses (0.25–0.5 s, then 0.5–1 s).
      expect(run.seconds).toBeGreaterThanOrEqual(3.7);
      expect(run.seconds).toBeLessThan(15);
    } finally {
      await server.close();
    }
  });
});

describe('a database that stops answering once connected', () => {
  it('fails the query after the query timeout, naming the variable and host, and never cuts an idle client', async () => {
    const server = await hangingServer({ greet: true });
    const settings = { ...DEFAULT_DATABASE_SETTINGS, statementTimeoutMs: 0, queryTimeoutMs: 1500 };
    const client = await connectPg(`postgres://u:Quiet-Secret@127.0.0.1:${server.port}/wh`, 'warehouse', {
      settings,
    });
    try {
      // Idle for longer than the query timeout: nothing is waiting, so nothing is cut.
      await new Promise((r) => setTimeout(r, 2000));
      const started = Date.now();
      const error = (await client.query('SELECT 1').catch((e: unknown) => e)) as Error;
      const seconds = (Date.now() - started) / 1000;
      expect(error.message).toContain(
        `warehouse database postgres://u:***@127.0.0.1:${server.port}/wh (WAREHOUSE_URL)`,
      );
      expect(error.message).toContain(
        'sent nothing for 1.5 s while a query was running (TOTES_DB_QUERY_TIMEOUT)',
      );
      expect(error.message).not.toContain('Quiet-Secret');
      expect(seconds).toBeGreaterThanOrEqual(1.4);
      expect(seconds).toBeLessThan(5);
    } finally {
      await client.end().catch(() => undefined);
      await server.close();
    }
  });
});

describe('an AWS endpoint that accepts TCP and never answers', () => {
  const timeouts = { connectionTimeoutMs: 1000, idleTimeoutMs: 1000 };
  const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'eu-west-2' };
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(credentials)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** Runs `call` against a hung endpoint; returns its error and how long it took. */
  async function against(call: (endpoint: string) => Promise<unknown>) {
    const server = await hangingServer();
    const started = Date.now();
    try {
      const error = (await call(`http://127.0.0.1:${server.port}`).then(
        () => new Error('the call succeeded'),
        (e: unknown) => e,
      )) as Error;
      return { error, seconds: (Date.now() - started) / 1000, attempts: server.accepted() };
    } finally {
      await server.close();
    }
  }

  it('bounds an S3 read of the lake, after the SDK retries', async () => {
    const { error, seconds, attempts } = await against((endpoint) =>
      S3LakeStore.fromOptions({ bucket: 'lake', prefix: '', endpoint, timeouts }).get('state/ingest.json'),
    );
    expect(error.message).toMatch(/^GetObject of s3:\/\/lake\/state\/ingest.json failed/);
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThan(15);
  });

  it('bounds a Glue catalog read', async () => {
    const { error, seconds } = await against((endpoint) =>
      GlueCatalog.fromOptions({
        database: 'db',
        bucket: 'lake',
        endpoint,
        region: 'eu-west-2',
        timeouts,
      }).currentDimension('dim_staff'),
    );
    expect(error.message).toMatch(/cannot read Glue table db.dim_staff/);
    expect(seconds).toBeLessThan(15);
  });

  it('bounds a Secrets Manager read of the database credentials', async () => {
    const { error, seconds } = await against(async (endpoint) => {
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoint;
      try {
        return await readDatabaseTarget(createSecretsClient(timeouts), 'arn:secret');
      } finally {
        delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      }
    });
    expect(error.message).toMatch(/cannot read secret arn:secret/);
    expect(seconds).toBeLessThan(15);
  });
});
