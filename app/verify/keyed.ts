import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { type DuckSession, sqlString } from '../../lambdas/kernel/duckdb/duckdb';
import { ident } from '../../lambdas/kernel/schema';

/** Where a count or checksum was measured. */
export type Zone = 'source' | 'raw' | 'lake' | 'warehouse';

/**
 * A query of one zone that returns one row per key: `k` (the key as text) and `h` (a hash of
 * the row, or a version count), on PostgreSQL (`client`) or on verify's DuckDB.
 */
export interface KeyedQuery {
  readonly zone: Zone;
  readonly sql: string;
  readonly client?: Client;
}

/** A key whose rows differ between two zones, and how. */
export interface KeyDifference {
  readonly key: string;
  /** `differs`: both have it with other content; `missing`: only the first has it; `extra`: only the second. */
  readonly kind: 'differs' | 'missing' | 'extra';
}

/**
 * Brings per-key hashes of any zone into DuckDB, where two zones' keys are compared: a
 * PostgreSQL query is streamed out with `COPY … TO STDOUT` into a scratch file DuckDB reads.
 */
export class KeyedTables {
  private files = 0;

  constructor(
    private readonly duck: DuckSession,
    private readonly work: string,
  ) {}

  /** Creates DuckDB table `name (k VARCHAR, h BIGINT)` from `query`. */
  async materialise(query: KeyedQuery, name: string): Promise<void> {
    const target = ident(name);
    if (!query.client) {
      await this.duck.exec(
        `CREATE OR REPLACE TEMP TABLE ${target} AS SELECT CAST(k AS VARCHAR) AS k, CAST(h AS BIGINT) AS h FROM (${query.sql})`,
      );
      return;
    }
    const file = join(this.work, `keyed-${this.files++}.csv`);
    await pipeline(
      query.client.query(copyTo(`COPY (${query.sql}) TO STDOUT (FORMAT csv)`)),
      createWriteStream(file),
    );
    await this.duck.exec(
      `CREATE OR REPLACE TEMP TABLE ${target} AS SELECT * FROM read_csv(${sqlString(file)}, header = false, auto_detect = false, columns = {'k': 'VARCHAR', 'h': 'BIGINT'})`,
    );
  }

  /** The first `limit` keys, in key order, whose rows differ between DuckDB tables `a` and `b`. */
  async differences(a: string, b: string, limit: number): Promise<KeyDifference[]> {
    const { rows } = await this.duck.all(
      `SELECT coalesce(a.k, b.k) AS k, a.k IS NULL AS extra, b.k IS NULL AS missing
         FROM ${ident(a)} a FULL OUTER JOIN ${ident(b)} b ON a.k = b.k
        WHERE a.h IS DISTINCT FROM b.h
        ORDER BY TRY_CAST(coalesce(a.k, b.k) AS BIGINT) NULLS LAST, coalesce(a.k, b.k)
        LIMIT ${Math.max(1, Math.floor(limit))}`,
    );
    return rows.map(([key, extra, missing]) => ({
      key: String(key),
      kind: extra === true ? 'extra' : missing === true ? 'missing' : 'differs',
    }));
  }

  /** Rows and checksum of DuckDB table `name`, counting only keys in table `within` when given. */
  async totals(name: string, within?: string): Promise<{ n: string; checksum: string }> {
    const filter = within ? ` WHERE k IN (SELECT k FROM ${ident(within)})` : '';
    const { rows } = await this.duck.all(
      `SELECT count(*)::VARCHAR, coalesce(sum(h), 0)::VARCHAR FROM ${ident(name)}${filter}`,
    );
    return { n: String(rows[0]?.[0] ?? '0'), checksum: String(rows[0]?.[1] ?? '0') };
  }

  /** How many keys of DuckDB table `a` are not in `b`. */
  async missing(a: string, b: string): Promise<number> {
    return this.duck.scalarNumber(
      `SELECT count(*) FROM ${ident(a)} a WHERE NOT EXISTS (SELECT 1 FROM ${ident(b)} b WHERE b.k = a.k)`,
    );
  }
}
