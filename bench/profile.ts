import { DuckDBConnection } from '@duckdb/node-api';
import { Client } from 'pg';
import Cursor from 'pg-cursor';

/** Time spent in one kind of statement during a stage. */
export interface StatementTime {
  /** The statement's first words, whitespace collapsed (table names kept: they say which step). */
  readonly statement: string;
  readonly engine: 'duckdb' | 'postgres';
  readonly calls: number;
  readonly seconds: number;
}

const LABEL_LENGTH = 90;

/**
 * Records how long every DuckDB and PostgreSQL statement of the stage takes, by wrapping the
 * client libraries' query methods in this (benchmark worker) process. The stage code is not
 * touched: this is what lets the bench say which statement dominates a stage.
 */
export class StatementProfiler {
  private readonly times = new Map<string, { engine: 'duckdb' | 'postgres'; calls: number; ms: number }>();

  /** Wraps the query methods; call once, before the stage runs. */
  install(): void {
    this.wrapDuck();
    this.wrapPg();
    this.wrapCursor();
  }

  /** The `limit` statements that took longest, slowest first. */
  top(limit: number): StatementTime[] {
    return [...this.times.entries()]
      .map(([statement, t]) => ({ statement, engine: t.engine, calls: t.calls, seconds: t.ms / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, limit);
  }

  private record(engine: 'duckdb' | 'postgres', sql: string, ms: number): void {
    const statement = sql.replace(/\s+/g, ' ').trim().slice(0, LABEL_LENGTH);
    const entry = this.times.get(statement) ?? { engine, calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += ms;
    this.times.set(statement, entry);
  }

  /** Every DuckDB query goes through `run` (`runAndReadAll` calls it): wrapping it alone counts each once. */
  private wrapDuck(): void {
    const method = 'run';
    const prototype = DuckDBConnection.prototype as unknown as Record<string, unknown>;
    const original = prototype[method] as (
      this: DuckDBConnection,
      sql: string,
      ...rest: unknown[]
    ) => Promise<unknown>;
    const record = this.record.bind(this);
    prototype[method] = async function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
      const started = performance.now();
      try {
        return await original.call(this, sql, ...rest);
      } finally {
        record('duckdb', sql, performance.now() - started);
      }
    };
  }

  /** Times a cursor's reads: the stage waiting for the server to produce and send rows. */
  private wrapCursor(): void {
    const prototype = Cursor.prototype as unknown as Record<string, unknown>;
    const original = prototype.read as (this: Cursor, ...args: unknown[]) => unknown;
    const record = this.record.bind(this);
    prototype.read = function (this: Cursor & { text?: string }, ...args: unknown[]) {
      const started = performance.now();
      const result = original.apply(this, args);
      const done = () => record('postgres', `cursor read: ${this.text ?? ''}`, performance.now() - started);
      if (result instanceof Promise) result.then(done, done);
      return result;
    };
  }

  /**
   * `Client.query` returns a promise for plain SQL and the submittable itself for COPY streams
   * and cursors; a COPY is timed until its stream finishes, a cursor is not timed (its reads
   * interleave with the stage's own work).
   */
  private wrapPg(): void {
    const prototype = Client.prototype as unknown as Record<string, unknown>;
    const original = prototype.query as (this: Client, ...args: unknown[]) => unknown;
    const record = this.record.bind(this);
    prototype.query = function (this: Client, ...args: unknown[]) {
      const started = performance.now();
      const result = original.apply(this, args);
      const first = args[0];
      const sql = typeof first === 'string' ? first : sqlOfSubmittable(first);
      if (sql === undefined) return result;
      let recorded = false;
      const done = () => {
        if (recorded) return;
        recorded = true;
        record('postgres', sql, performance.now() - started);
      };
      if (result instanceof Promise) result.then(done, done);
      else if (isStream(result)) {
        result.once('finish', done);
        result.once('end', done);
      }
      return result;
    };
  }
}

function sqlOfSubmittable(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { text } = value as { text?: unknown };
  // pg-copy-streams keeps its statement in `text`; a Cursor too, but cursors are skipped.
  if (typeof text !== 'string' || !/^\s*COPY/i.test(text)) return undefined;
  return text;
}

function isStream(value: unknown): value is NodeJS.EventEmitter {
  return typeof (value as { once?: unknown } | undefined)?.once === 'function';
}
