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
   * crashed run blocks the next one. `undefined` = the lease's default (10 minutes).
   */
  readonly leaseTtlMs?: number | undefined;
}

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
  };
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
