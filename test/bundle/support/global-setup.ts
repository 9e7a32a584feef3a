import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../../app/local/embedded-postgres';

/** The name the source is reached by from the sandboxes (their /etc/hosts maps it to loopback). */
export const SOURCE_TLS_HOST = 'totesys.bundle.internal';

/**
 * The bundle suite's PostgreSQL (the source, and the warehouse RDS would run), started as the
 * main suite's global setup starts it — but with TLS on, under a certificate for
 * {@link SOURCE_TLS_HOST} from a private CA, so the ingest reaches its source the way the
 * docs tell a deployer to set it up for a certificate that is not from a public CA
 * (`"sslmode":"verify-full"` with the CA in the secret). The suite never runs the CLI, so
 * it does not build it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_PG_URL) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'totes-bundle-pg-'));
  const port = 55000 + Math.floor(Math.random() * 2000);
  const server = await startEmbeddedPostgres(dataDir, { port });
  process.env.TEST_PG_URL = server.url('postgres');
  Object.assign(globalThis, { __TOTES_PG__: server, __TOTES_PG_DIR__: dataDir });
  const ca = enableTls(dataDir);
  const admin = new Client({ connectionString: server.url('postgres') });
  await admin.connect();
  try {
    await admin.query(`ALTER SYSTEM SET ssl_cert_file = '${join(dataDir, 'server.crt')}'`);
    await admin.query(`ALTER SYSTEM SET ssl_key_file = '${join(dataDir, 'server.key')}'`);
    await admin.query(`ALTER SYSTEM SET ssl = 'on'`);
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
  process.env.TEST_PG_TLS_CA = ca;
  process.env.TEST_PG_TLS_HOST = SOURCE_TLS_HOST;
}

/** A private CA and a server certificate it signed, in the data folder, owned by the server's user. */
function enableTls(dataDir: string): string {
  const file = (name: string) => join(dataDir, name);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    '/CN=totes bundle test source CA',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
  );
  openssl(
    'req',
    ...ec,
    '-subj',
    `/CN=${SOURCE_TLS_HOST}`,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  );
  writeFileSync(file('server.ext'), `subjectAltName=DNS:${SOURCE_TLS_HOST},IP:127.0.0.1\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  );
  // PostgreSQL refuses a key others can read, and runs as the data folder's owner.
  const { uid, gid } = statSync(dataDir);
  for (const name of ['server.crt', 'server.key']) chownSync(file(name), uid, gid);
  chmodSync(file('server.key'), 0o600);
  return readFileSync(file('ca.crt'), 'utf8');
}
