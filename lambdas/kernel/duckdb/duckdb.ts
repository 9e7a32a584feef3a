import { DuckDBInstance } from '@duckdb/node-api';

/** A DuckDB connection with the few operations the pipeline needs. */
export interface DuckSession {
  /** Runs statements that return nothing the caller reads (DDL, COPY). */
  exec(sql: string): Promise<void>;
  /** Runs a query and returns its column names and rows as JSON-safe values. */
  all(sql: string): Promise<QueryResult>;
  /** Runs a query expected to return one row; its first column as a number. */
  scalarNumber(sql: string): Promise<number>;
  close(): void;
}

/** Column names and rows of a query, values as JSON (decimals and big integers as strings). */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** Resource limits for an in-process DuckDB. */
export interface DuckOptions {
  /** @default '1GB' */
  readonly memoryLimit?: string;
  /** @default 2 */
  readonly threads?: number;
  /** Folder DuckDB may spill to when a join or sort exceeds the memory limit. */
  readonly tempDirectory?: string;
  /**
   * A database file instead of `:memory:`: large intermediate tables can then be evicted
   * from the buffer pool under the memory limit rather than pile up in RAM.
   */
  readonly databasePath?: string;
}

/**
 * Opens a DuckDB (in memory unless `databasePath` is given) with a memory limit (a Lambda has little RAM; DuckDB spills to
 * `tempDirectory` instead of failing) and a bounded thread count.
 */
export async function openDuck(options: DuckOptions = {}): Promise<DuckSession> {
  const settings: Record<string, string> = {
    memory_limit: options.memoryLimit ?? '1GB',
    threads: String(options.threads ?? 2),
  };
  if (options.tempDirectory) settings.temp_directory = options.tempDirectory;
  const instance = await DuckDBInstance.create(options.databasePath ?? ':memory:', settings);
  const connection = await instance.connect();
  return {
    exec: async (sql) => {
      await connection.run(sql);
    },
    all: async (sql) => {
      const reader = await connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowsJson() };
    },
    scalarNumber: async (sql) => {
      const reader = await connection.runAndReadAll(sql);
      return Number(reader.getRowsJson()[0]?.[0] ?? 0);
    },
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * A SQL string literal. Only for values DuckDB cannot take as parameters (file paths in
 * `read_parquet`/`COPY … TO`, literals built from schema constants).
 */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
