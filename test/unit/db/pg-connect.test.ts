import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { DEFAULT_DATABASE_SETTINGS, databaseSettings, loadConfig } from '../../../lambdas/kernel/config';
import { pgClientConfig, tlsMode } from '../../../lambdas/kernel/db/connect';
import { ConfigError } from '../../../lambdas/kernel/errors';

const remote = 'postgres://u:p@db.example.com:5432/wh';
const tls = (url: string, caPem?: string) =>
  pgClientConfig(url, 'totes', { variable: 'WAREHOUSE_URL', ...(caPem ? { caPem } : {}) }).ssl as
    | ConnectionOptions
    | false;

describe('TLS of a PostgreSQL connection', () => {
  it('verifies a remote host in full by default, trusting the public roots and the Amazon RDS CAs', () => {
    const ssl = tls(remote);
    if (!ssl) throw new Error('expected TLS');
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.checkServerIdentity).toBeUndefined();
    const subjects = (ssl.ca as string[]).map((pem) => new X509Certificate(pem).subject);
    expect(subjects.some((s) => /Amazon RDS .*Root/.test(s))).toBe(true);
    expect(subjects.some((s) => /ISRG Root X1/.test(s))).toBe(true);
  });

  it('treats sslmode=require as verify-full, as pg 8 does', () => {
    expect(tlsMode(new URL(`${remote}?sslmode=require`), 'X')).toBe('verify-full');
    expect(tls(`${remote}?sslmode=require`)).toEqual(tls(remote));
  });

  it('checks the chain but not the host name with verify-ca', () => {
    const ssl = tls(`${remote}?sslmode=verify-ca`);
    if (!ssl) throw new Error('expected TLS');
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.checkServerIdentity?.('other.example.com', {} as never)).toBeUndefined();
  });

  it('encrypts without checking the certificate only when told sslmode=no-verify', () => {
    expect(tls(`${remote}?sslmode=no-verify`)).toEqual({ rejectUnauthorized: false });
  });

  it('turns TLS off with sslmode=disable, and by default for local hosts', () => {
    expect(tls(`${remote}?sslmode=disable`)).toBe(false);
    expect(tls('postgres://u:p@127.0.0.1:5432/wh')).toBe(false);
    expect(tls('postgres://u:p@localhost:5432/wh?sslmode=verify-full')).not.toBe(false);
  });

  it('trusts only the bundle named by sslrootcert', () => {
    const dir = mkdtempSync(join(tmpdir(), 'totes-ca-'));
    const path = join(dir, 'ca.pem');
    writeFileSync(path, '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n');
    const ssl = tls(`${remote}?sslrootcert=${encodeURIComponent(path)}`);
    expect(ssl ? ssl.ca : undefined).toBe('-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n');
  });

  it('trusts only a bundle given as PEM text (a secret field), over a path', () => {
    const ssl = tls(`${remote}?sslrootcert=/nonexistent.pem`, 'PEM');
    expect(ssl ? ssl.ca : undefined).toBe('PEM');
  });

  it('names the variable and the path of a CA bundle it cannot read', () => {
    expect(() => tls(`${remote}?sslrootcert=/nonexistent/ca.pem`)).toThrow(
      /WAREHOUSE_URL names the CA bundle sslrootcert=\/nonexistent\/ca.pem, which cannot be read \(ENOENT\)/,
    );
  });

  it.each(['prefer', 'allow', 'sometimes'])('refuses sslmode=%s, naming the variable', (mode) => {
    expect(() => tls(`${remote}?sslmode=${mode}`)).toThrow(ConfigError);
    expect(() => tls(`${remote}?sslmode=${mode}`)).toThrow(/WAREHOUSE_URL has sslmode=/);
  });

  it('refuses client certificates rather than ignoring them', () => {
    expect(() => tls(`${remote}?sslcert=/c.pem`)).toThrow(/client certificates are not supported/);
  });

  it('hands pg a connection string without TLS parameters, so pg cannot reinterpret them', () => {
    const config = pgClientConfig(
      `${remote}?sslmode=verify-ca&sslrootcert=${encodeURIComponent(__filename)}&options=-c%20x%3D1`,
    );
    const passed = new URL(config.connectionString ?? '');
    expect([...passed.searchParams.keys()]).toEqual(['options']);
    expect(passed.searchParams.get('options')).toBe('-c x=1');
  });
});

describe('timeouts of a PostgreSQL connection', () => {
  it('bounds connecting, statements and idle transactions by default', () => {
    expect(pgClientConfig(remote)).toEqual(
      expect.objectContaining({
        connectionTimeoutMillis: 10_000,
        statement_timeout: 900_000,
        idle_in_transaction_session_timeout: 600_000,
        keepAlive: true,
      }),
    );
  });

  it('takes the settings it is given, and leaves a limit of 0 to the server', () => {
    const config = pgClientConfig(remote, 'totes', {
      settings: {
        ...DEFAULT_DATABASE_SETTINGS,
        connectTimeoutMs: 2000,
        statementTimeoutMs: 0,
        idleTimeoutMs: 0,
      },
    });
    expect(config.connectionTimeoutMillis).toBe(2000);
    expect(config.statement_timeout).toBeUndefined();
    expect(config.idle_in_transaction_session_timeout).toBeUndefined();
  });
});

describe('databaseSettings', () => {
  it('defaults to 10 s to connect, 2 retries, 15 minutes per statement, 10 minutes idle in a transaction', () => {
    expect(databaseSettings({})).toEqual({
      connectTimeoutMs: 10_000,
      connectRetries: 2,
      statementTimeoutMs: 900_000,
      queryTimeoutMs: 930_000,
      idleTimeoutMs: 600_000,
    });
  });

  it('reads whole seconds from TOTES_DB_* and gives the query timeout 30 s beyond the statement timeout', () => {
    expect(
      databaseSettings({
        TOTES_DB_CONNECT_TIMEOUT: '3',
        TOTES_DB_CONNECT_RETRIES: '0',
        TOTES_DB_STATEMENT_TIMEOUT: '60',
        TOTES_DB_IDLE_TIMEOUT: '0',
      }),
    ).toEqual({
      connectTimeoutMs: 3000,
      connectRetries: 0,
      statementTimeoutMs: 60_000,
      queryTimeoutMs: 90_000,
      idleTimeoutMs: 0,
    });
    expect(databaseSettings({ TOTES_DB_QUERY_TIMEOUT: '5' }).queryTimeoutMs).toBe(5000);
    expect(databaseSettings({ TOTES_DB_STATEMENT_TIMEOUT: '0' }).queryTimeoutMs).toBe(0);
  });

  it.each([
    ['TOTES_DB_CONNECT_TIMEOUT', '0'],
    ['TOTES_DB_CONNECT_TIMEOUT', '1.5'],
    ['TOTES_DB_STATEMENT_TIMEOUT', '-1'],
    ['TOTES_DB_QUERY_TIMEOUT', '10s'],
    ['TOTES_DB_CONNECT_RETRIES', '11'],
  ])('names %s when it is %s', (name, value) => {
    expect(() => loadConfig({ [name]: value }, '/tmp')).toThrow(
      new RegExp(`^${name} must be a whole number`),
    );
  });

  it('is part of the configuration every command loads', () => {
    expect(loadConfig({ TOTES_DB_CONNECT_TIMEOUT: '4' }, '/tmp').database.connectTimeoutMs).toBe(4000);
  });
});
