import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import { DEFAULT_DATABASE_SETTINGS } from '../../../lambdas/kernel/config';
import { connectPg } from '../../../lambdas/kernel/db/connect';
import { DatabaseUnavailableError } from '../../../lambdas/kernel/errors';
import { createCliWorkspace } from '../../support/cli-workspace';
import { testServerUrl } from '../../support/pg';

const root = join(__dirname, '..', '..', '..');
const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!haveOpenssl) console.warn('openssl is not installed: the TLS tests against PostgreSQL are skipped');

/** One attempt, short timeouts: a certificate failure must not be retried anyway. */
const settings = { ...DEFAULT_DATABASE_SETTINGS, connectTimeoutMs: 5000, connectRetries: 2 };

let dir: string;
let ca: string;
let caPath: string;
/** The test server's URL with `host` instead of 127.0.0.1. */
let urlOn: (host: string, query?: string) => string;

/**
 * Turns TLS on for the test run's PostgreSQL with a certificate from a CA of our own, made by
 * openssl, naming only `localhost`. The server keeps accepting plain connections, so the
 * other test files sharing it are unaffected; afterwards TLS is turned off again.
 */
async function enableServerTls(): Promise<void> {
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=totes test CA',
  ]);
  ssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  ]);
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  ssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  ]);
  caPath = join(dir, 'ca.pem');
  ca = await readFile(caPath, 'utf8');
  await admin(async (c) => {
    // Beside its data, owned by the server's user with mode 0600, as PostgreSQL requires of a key.
    const dataDir = (await c.query('SHOW data_directory')).rows[0]?.data_directory as string;
    const owner = statSync(dataDir);
    for (const file of ['server.crt', 'server.key']) {
      const target = join(dataDir, `totes-test-${file}`);
      await writeFile(target, await readFile(join(dir, file)), { mode: 0o600 });
      if (process.getuid?.() === 0) chownSync(target, owner.uid, owner.gid);
    }
    await c.query(`ALTER SYSTEM SET ssl_cert_file = 'totes-test-server.crt'`);
    await c.query(`ALTER SYSTEM SET ssl_key_file = 'totes-test-server.key'`);
    await c.query('ALTER SYSTEM SET ssl = on');
    await c.query('SELECT pg_reload_conf()');
  });
  for (let i = 0; i < 50; i++) {
    const on = await admin(async (c) => (await c.query('SHOW ssl')).rows[0]?.ssl);
    if (on === 'on') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the test PostgreSQL did not turn TLS on (see its log)');
}

async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const c = await connectPg(testServerUrl(), 'warehouse', { settings });
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

const encrypted = async (client: Client): Promise<boolean> =>
  (await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]?.ssl === true;

/** Connects, reports whether the session is encrypted, disconnects. */
async function connectsEncrypted(url: string, caPem?: string): Promise<boolean> {
  const client = await connectPg(url, 'source', { settings, ...(caPem ? { caPem } : {}) });
  try {
    return await encrypted(client);
  } finally {
    await client.end();
  }
}

const failure = (url: string) =>
  connectPg(url, 'source', { settings }).then(
    async (c) => {
      await c.end();
      return new Error('connected');
    },
    (e: unknown) => e as Error,
  );

(haveOpenssl ? describe : describe.skip)('TLS to a real PostgreSQL', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-tls-'));
    await enableServerTls();
    urlOn = (host, query = '') => {
      const url = new URL(testServerUrl());
      url.hostname = host;
      return `${url.toString()}${query}`;
    };
  }, 60_000);

  afterAll(async () => {
    await admin(async (c) => {
      for (const setting of ['ssl', 'ssl_cert_file', 'ssl_key_file'])
        await c.query(`ALTER SYSTEM RESET ${setting}`);
      await c.query('SELECT pg_reload_conf()');
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies the server in full against a CA bundle given by path (sslrootcert)', async () => {
    const url = urlOn('localhost', `?sslmode=verify-full&sslrootcert=${encodeURIComponent(caPath)}`);
    await expect(connectsEncrypted(url)).resolves.toBe(true);
  });

  it('verifies the server in full against a CA bundle given as PEM text (a secret "ca" field)', async () => {
    await expect(connectsEncrypted(urlOn('localhost', '?sslmode=verify-full'), ca)).resolves.toBe(true);
  });

  it('refuses a certificate from an unknown CA by default, says how to fix it, and does not retry', async () => {
    const error = await failure(urlOn('localhost', '?sslmode=verify-full'));
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toMatch(/unable to verify the first certificate|self-signed certificate/);
    expect(error.message).toContain('give its CA bundle (sslrootcert=<path>, or the secret\'s "ca")');
    expect(error.message).toContain('sslmode=no-verify');
    expect(error.message).not.toContain('attempts');
  });

  it('treats sslmode=require as verify-full, as pg 8 does: an unknown CA is refused', async () => {
    const error = await failure(urlOn('localhost', '?sslmode=require'));
    expect(error.message).toMatch(/unable to verify the first certificate|self-signed certificate/);
  });

  it('refuses a certificate that names another host with verify-full, and accepts it with verify-ca', async () => {
    const bundle = `&sslrootcert=${encodeURIComponent(caPath)}`;
    const error = await failure(urlOn('127.0.0.1', `?sslmode=verify-full${bundle}`));
    expect(error.message).toMatch(
      /Hostname\/IP does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/,
    );
    await expect(connectsEncrypted(urlOn('127.0.0.1', `?sslmode=verify-ca${bundle}`))).resolves.toBe(true);
  });

  it('encrypts without verification only with the explicit opt-out sslmode=no-verify', async () => {
    await expect(connectsEncrypted(urlOn('localhost', '?sslmode=no-verify'))).resolves.toBe(true);
  });

  it('runs totes ingest over verified TLS to the source', async () => {
    const workspace = await createCliWorkspace('tls');
    try {
      const source = new URL(workspace.source.url);
      source.hostname = 'localhost';
      source.searchParams.set('sslmode', 'verify-full');
      source.searchParams.set('sslrootcert', caPath);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(root, 'bin', 'totes.cjs'), 'ingest', '--json'],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', ...workspace.env, TOTESYS_URL: source.toString() },
        },
      );
      expect(JSON.parse(stdout)).toEqual(expect.objectContaining({ changed: true }));
    } finally {
      await workspace.cleanup();
    }
  });
});
