import { DuckDBInstance } from '@duckdb/node-api';

/** Counts the statements of SQL text with DuckDB's own parser (nothing is bound or run). */
export interface StatementCounter {
  /** The number of statements, or `undefined` when the text does not parse (or holds none). */
  count(sql: string): Promise<number | undefined>;
  close(): void;
}

/** A {@link StatementCounter} on a private in-memory DuckDB. */
export async function openStatementCounter(): Promise<StatementCounter> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  return {
    count: async (sql) => {
      if (sql.trim() === '') return undefined;
      try {
        return (await connection.extractStatements(sql)).count;
      } catch {
        return undefined;
      }
    },
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** SQL cut before its last statement: what runs first, and the last statement alone. */
export interface SplitSql {
  /** Every statement before the last, as written, without the `;` after it (`''` for one statement). */
  readonly leading: string;
  /** The last statement as written, with its `;` and trailing comments if any. */
  readonly last: string;
}

/**
 * Splits `sql` before its last statement. The cut is made at the last `;` where DuckDB's
 * parser agrees a statement ends — the text before it parses as all the other statements and
 * the text after it as exactly one — so semicolons inside strings, quoted names or comments
 * are not taken for ends. `undefined` when the SQL does not parse (run it as it is to get
 * DuckDB's error) or no cut is found.
 *
 * @example
 * await splitLastStatement("SET threads = 1; SELECT ';' AS s;", counter)
 * // { leading: 'SET threads = 1', last: " SELECT ';' AS s;" }
 */
export async function splitLastStatement(
  sql: string,
  counter: StatementCounter,
): Promise<SplitSql | undefined> {
  const total = await counter.count(sql);
  if (total === undefined || total === 0) return undefined;
  if (total === 1) return { leading: '', last: sql };
  // Scanning from the end, the first `;` that passes is the last statement's start: any `;`
  // after it lies inside the last statement, so the text before it still holds every statement.
  for (let at = sql.lastIndexOf(';'); at >= 0; at = sql.lastIndexOf(';', at - 1)) {
    const last = sql.slice(at + 1);
    if ((await counter.count(last)) !== 1) continue;
    const leading = sql.slice(0, at);
    if ((await counter.count(leading)) === total - 1) return { leading, last };
  }
  return undefined;
}
