import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from './errors';

/** Settings read once from the environment at start. */
export interface Config {
  /** Source `totesys` connection URL; `undefined` = embedded PostgreSQL. */
  readonly totesysUrl: string | undefined;
  /** Warehouse connection URL; `undefined` = embedded PostgreSQL. */
  readonly warehouseUrl: string | undefined;
  /** `file:///abs/path` or `s3://bucket/prefix`. */
  readonly lakeUrl: string;
  /**
   * Where the raw zone (`raw/…` keys) lives when it is apart from the rest of the lake (on AWS:
   * its own bucket); same forms as `lakeUrl`. `undefined` = the raw zone is inside `lakeUrl`.
   */
  readonly rawLakeUrl?: string | undefined;
  readonly awsRegion: string | undefined;
  /** Endpoint of an S3-compatible store (MinIO, a local test server). */
  readonly s3Endpoint: string | undefined;
  /** Folder for local state: embedded PostgreSQL data, the default lake, scratch files. */
  readonly home: string;
  /**
   * Lifetime of the pipeline lease without renewal (`TOTES_LEASE_TTL`, seconds): how long a
   * crashed run on another host blocks the next one. `undefined` = the lease's default (60 s).
   */
  readonly leaseTtlMs?: number | undefined;
  /** Timeouts and connection retries of every PostgreSQL connection (`TOTES_DB_*`). */
  readonly database: DatabaseSettings;
}

/**
 * Timeouts and retries of every PostgreSQL connection, so that a database that accepts TCP and
 * then never answers fails the command with a message instead of hanging it. Set in whole
 * seconds through the `TOTES_DB_*` variables; 0 turns a server-side or query limit off.
 */
export interface DatabaseSettings {
  /** One connection attempt: TCP, TLS and authentication (`TOTES_DB_CONNECT_TIMEOUT`). */
  readonly connectTimeoutMs: number;
  /**
   * Further attempts after a failure that may pass (refused, reset, timed out, server starting
   * or full), with exponential backoff; wrong credentials are never retried (`TOTES_DB_CONNECT_RETRIES`).
   */
  readonly connectRetries: number;
  /** Server-side limit on one statement, PostgreSQL's `statement_timeout` (`TOTES_DB_STATEMENT_TIMEOUT`). */
  readonly statementTimeoutMs: number;
  /**
   * Client-side: a query during which the server sends nothing for this long is abandoned and
   * its connection closed — the server is gone or hung (`TOTES_DB_QUERY_TIMEOUT`). Longer than
   * the statement timeout, so a slow statement is ended by the server first, with its own error.
   */
  readonly queryTimeoutMs: number;
  /**
   * Server-side: a session left idle inside a transaction this long is ended, releasing its
   * locks and snapshot, PostgreSQL's `idle_in_transaction_session_timeout` (`TOTES_DB_IDLE_TIMEOUT`).
   */
  readonly idleTimeoutMs: number;
}

/** The defaults: fail a dead server within seconds, never cut a statement a Lambda could finish. */
export const DEFAULT_DATABASE_SETTINGS: DatabaseSettings = {
  connectTimeoutMs: 10_000,
  connectRetries: 2,
  statementTimeoutMs: 15 * 60_000,
  queryTimeoutMs: 15 * 60_000 + 30_000,
  idleTimeoutMs: 10 * 60_000,
};

/** Grace the client-side query timeout gives the server's statement timeout by default. */
const QUERY_TIMEOUT_GRACE_MS = 30_000;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration. Every error names the variable and says what a
 * valid value looks like.
 *
 * @example
 * const config = loadConfig(process.env); // LAKE_URL unset → file://<cwd>/.totes/lake
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const home = resolve(cwd, nonEmpty(env, 'TOTES_HOME') ?? '.totes');
  return {
    totesysUrl: postgresUrl(env, 'TOTESYS_URL'),
    warehouseUrl: postgresUrl(env, 'WAREHOUSE_URL'),
    lakeUrl: lakeUrl(env, 'LAKE_URL') ?? `file://${resolve(home, 'lake')}`,
    rawLakeUrl: lakeUrl(env, 'RAW_LAKE_URL'),
    awsRegion: nonEmpty(env, 'AWS_REGION'),
    s3Endpoint: httpUrl(env, 'S3_ENDPOINT'),
    home,
    leaseTtlMs: positiveSeconds(env, 'TOTES_LEASE_TTL'),
    database: databaseSettings(env),
  };
}

/**
 * The PostgreSQL timeouts from `TOTES_DB_CONNECT_TIMEOUT`, `TOTES_DB_CONNECT_RETRIES`,
 * `TOTES_DB_STATEMENT_TIMEOUT`, `TOTES_DB_QUERY_TIMEOUT` and `TOTES_DB_IDLE_TIMEOUT` (whole
 * seconds; retries a count), each defaulting to {@link DEFAULT_DATABASE_SETTINGS}. The query
 * timeout defaults to the statement timeout plus 30 s (off when the statement timeout is off).
 *
 * @example
 * databaseSettings({ TOTES_DB_CONNECT_TIMEOUT: '3' }).connectTimeoutMs // 3000
 */
export function databaseSettings(env: Env = process.env): DatabaseSettings {
  const d = DEFAULT_DATABASE_SETTINGS;
  const statementTimeoutMs = wholeSeconds(env, 'TOTES_DB_STATEMENT_TIMEOUT', 0) ?? d.statementTimeoutMs;
  return {
    connectTimeoutMs: wholeSeconds(env, 'TOTES_DB_CONNECT_TIMEOUT', 1) ?? d.connectTimeoutMs,
    connectRetries: count(env, 'TOTES_DB_CONNECT_RETRIES', 10) ?? d.connectRetries,
    statementTimeoutMs,
    queryTimeoutMs:
      wholeSeconds(env, 'TOTES_DB_QUERY_TIMEOUT', 0) ??
      (statementTimeoutMs === 0 ? 0 : statementTimeoutMs + QUERY_TIMEOUT_GRACE_MS),
    idleTimeoutMs: wholeSeconds(env, 'TOTES_DB_IDLE_TIMEOUT', 0) ?? d.idleTimeoutMs,
  };
}

/** A whole number of seconds ≥ `min`, in milliseconds. */
function wholeSeconds(env: Env, name: string, min: 0 | 1): number | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 86_400) {
    throw new ConfigError(
      `${name} must be a whole number of seconds from ${min} to 86400${min === 0 ? ' (0 = no limit)' : ''} (got ${value})`,
      { context: { variable: name } },
    );
  }
  return Number(value) * 1000;
}

/** A whole number from 0 to `max`. */
function count(env: Env, name: string, max: number): number | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new ConfigError(`${name} must be a whole number from 0 to ${max} (got ${value})`, {
      context: { variable: name },
    });
  }
  return Number(value);
}

/** A whole number of seconds > 0, in milliseconds. */
function positiveSeconds(env: Env, name: string): number | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) {
    throw new ConfigError(`${name} must be a whole number of seconds greater than 0 (got ${value})`, {
      context: { variable: name },
    });
  }
  return Number(value) * 1000;
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function postgresUrl(env: Env, name: string): string | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a URL; expected postgres://user:password@host:5432/database`, {
      context: { variable: name },
    });
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must start with postgres:// (got ${url.protocol}//…)`, {
      context: { variable: name },
    });
  }
  if (!url.hostname || url.pathname.length <= 1) {
    throw new ConfigError(
      `${name} must name a host and a database: postgres://user:password@host:5432/database`,
      {
        context: { variable: name },
      },
    );
  }
  return value;
}

/** A validated lake URL from the variable `name`, normalised without a trailing slash. */
function lakeUrl(env: Env, name: string): string | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  if (value.startsWith('file://')) {
    const path = decodeURIComponent(value.slice('file://'.length));
    if (!isAbsolute(path)) {
      throw new ConfigError(`${name} must be an absolute file URL such as file:///var/lake (got ${value})`, {
        context: { variable: name },
      });
    }
    return `file://${path.replace(/\/+$/, '')}`;
  }
  if (/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(value)) return value.replace(/\/+$/, '');
  throw new ConfigError(`${name} must be file:///absolute/path or s3://bucket/prefix (got ${value})`, {
    context: { variable: name },
  });
}

function httpUrl(env: Env, name: string): string | undefined {
  const value = nonEmpty(env, name);
  if (value !== undefined && !/^https?:\/\/[^\s]+$/.test(value)) {
    throw new ConfigError(`${name} must be an http(s) URL such as http://127.0.0.1:4569 (got ${value})`, {
      context: { variable: name },
    });
  }
  return value;
}
