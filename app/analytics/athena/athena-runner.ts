import { setTimeout as delay } from 'node:timers/promises';
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { Log } from '../../../lambdas/kernel/logger';
import {
  AthenaQueryCancelledError,
  AthenaQueryFailedError,
  AthenaQueryTimeoutError,
  AthenaRequestError,
} from './errors';

/** Where and how queries run. Everything but the workgroup and database has a default. */
export interface AthenaRunnerOptions {
  readonly workGroup: string;
  /** The Glue database unqualified table names resolve in. */
  readonly database: string;
  /** @default 'AwsDataCatalog' */
  readonly catalog?: string;
  /** Results location; omit it when the workgroup enforces its own. @default the workgroup's */
  readonly outputLocation?: string;
  /** Longest wait for a query to finish before it is stopped. @default 300000 (5 minutes) */
  readonly timeoutMs?: number;
  /** First pause between status polls; it doubles after each poll. @default 250 */
  readonly pollInitialMs?: number;
  /** Longest pause between status polls. @default 5000 */
  readonly pollMaxMs?: number;
  /** Rows per GetQueryResults page (Athena allows at most 1000). @default 1000 */
  readonly pageSize?: number;
  /** @default a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** @default no logging */
  readonly log?: Log;
}

/** A result column as Athena describes it (`type` is Athena's: `varchar`, `bigint`, `decimal`, `date`…). */
export interface AthenaColumn {
  readonly name: string;
  readonly type: string;
}

/** A result row: column name → the value as Athena renders it, `null` for SQL NULL. */
export type AthenaRow = Readonly<Record<string, string | null>>;

/** What a finished query returned. */
export interface AthenaResult<Row extends AthenaRow = AthenaRow> {
  readonly queryExecutionId: string;
  readonly columns: readonly AthenaColumn[];
  /** Values are strings exactly as Athena returns them (decimals keep every digit); parse as needed. */
  readonly rows: readonly Row[];
  readonly dataScannedBytes: number | undefined;
}

/** Per-query options. */
export interface AthenaRunOptions {
  /**
   * Values for the `?` placeholders, in order, as SQL literals: `'2024-11-15'` (quoted) for a
   * string or date, `42` for a number. Athena substitutes them; the SQL text never embeds input.
   */
  readonly parameters?: readonly string[];
  /** Makes a retried start idempotent (Athena returns the same execution for the same token). */
  readonly clientRequestToken?: string;
}

type State = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

const noLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs SQL on Athena: starts the query in the workgroup, polls its state with capped
 * exponential backoff, and reads every page of the results.
 *
 * @example
 * const athena = new AthenaRunner(new AthenaClient({}), { workGroup: 'totes', database: 'totes_lake' });
 * const { rows } = await athena.run('SELECT count(*) AS n FROM fact_sales_order WHERE dt = ?', {
 *   parameters: ["DATE '2024-11-15'"],
 * });
 */
export class AthenaRunner {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly log: Log;

  constructor(
    private readonly client: AthenaClient,
    private readonly options: AthenaRunnerOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.now = options.now ?? Date.now;
    this.log = options.log ?? noLog;
  }

  /** Starts a query, waits for it and returns all its rows; throws a named error when it does not succeed. */
  async run<Row extends AthenaRow = AthenaRow>(
    sql: string,
    options: AthenaRunOptions = {},
  ): Promise<AthenaResult<Row>> {
    const id = await this.start(sql, options);
    const execution = await this.waitFor(id);
    const { columns, rows } = await this.results<Row>(id, execution.StatementType);
    const dataScannedBytes = execution.Statistics?.DataScannedInBytes;
    this.log.info('athena query succeeded', { queryExecutionId: id, rows: rows.length, dataScannedBytes });
    return { queryExecutionId: id, columns, rows, dataScannedBytes };
  }

  /** Starts a query and returns its execution id. */
  async start(sql: string, options: AthenaRunOptions = {}): Promise<string> {
    const { workGroup, database, catalog, outputLocation } = this.options;
    const response = await this.request('StartQueryExecution', undefined, () =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: workGroup,
          QueryExecutionContext: { Database: database, Catalog: catalog ?? 'AwsDataCatalog' },
          ExecutionParameters: options.parameters?.length ? [...options.parameters] : undefined,
          ResultConfiguration: outputLocation ? { OutputLocation: outputLocation } : undefined,
          ClientRequestToken: options.clientRequestToken,
        }),
      ),
    );
    const id = response.QueryExecutionId;
    if (!id)
      throw new AthenaRequestError('Athena started a query but returned no execution id', this.context());
    this.log.debug('athena query started', { queryExecutionId: id, workGroup });
    return id;
  }

  /**
   * Polls until the query is SUCCEEDED and returns its execution. FAILED and CANCELLED throw
   * with Athena's reason; past the timeout the query is stopped and a timeout error thrown.
   */
  async waitFor(queryExecutionId: string): Promise<QueryExecution> {
    const timeoutMs = this.options.timeoutMs ?? 300_000;
    const deadline = this.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const execution = await this.execution(queryExecutionId);
      const state = execution.Status?.State as State | undefined;
      if (state === 'SUCCEEDED') return execution;
      if (state === 'FAILED' || state === 'CANCELLED')
        throw this.endedError(queryExecutionId, state, execution);
      const pause = this.backoff(attempt);
      if (this.now() + pause > deadline) {
        await this.stop(queryExecutionId);
        throw new AthenaQueryTimeoutError(
          `Athena query ${queryExecutionId} was still ${state ?? 'pending'} after ${timeoutMs} ms and was stopped; ` +
            'narrow it (partition filter on dt) or raise the timeout',
          this.context(queryExecutionId),
        );
      }
      await this.sleep(pause);
    }
  }

  /** Every result row of a finished query, across all pages. */
  async results<Row extends AthenaRow = AthenaRow>(
    queryExecutionId: string,
    statementType?: string,
  ): Promise<{ columns: AthenaColumn[]; rows: Row[] }> {
    let columns: AthenaColumn[] | undefined;
    const rows: Row[] = [];
    let nextToken: string | undefined;
    let firstPage = true;
    do {
      const token = nextToken;
      const page = await this.request('GetQueryResults', queryExecutionId, () =>
        this.client.send(
          new GetQueryResultsCommand({
            QueryExecutionId: queryExecutionId,
            NextToken: token,
            MaxResults: this.options.pageSize ?? 1000,
          }),
        ),
      );
      const known = columns ?? columnsOf(page.ResultSet?.ResultSetMetadata?.ColumnInfo);
      columns = known;
      const data = page.ResultSet?.Rows ?? [];
      // The first row of a SELECT's (DML) first page repeats the column names.
      const skip = firstPage && statementType === 'DML' ? 1 : 0;
      for (const row of data.slice(skip)) rows.push(toRecord<Row>(known, row.Data ?? []));
      nextToken = page.NextToken;
      firstPage = false;
    } while (nextToken);
    return { columns: columns ?? [], rows };
  }

  private backoff(attempt: number): number {
    const initial = this.options.pollInitialMs ?? 250;
    const max = this.options.pollMaxMs ?? 5000;
    return Math.min(initial * 2 ** Math.min(attempt, 30), max);
  }

  private async execution(queryExecutionId: string): Promise<QueryExecution> {
    const response = await this.request('GetQueryExecution', queryExecutionId, () =>
      this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryExecutionId })),
    );
    return response.QueryExecution ?? {};
  }

  private endedError(id: string, state: 'FAILED' | 'CANCELLED', execution: QueryExecution): Error {
    const status = execution.Status;
    const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given';
    const context = {
      ...this.context(id).context,
      state,
      reason,
      errorCategory: status?.AthenaError?.ErrorCategory,
      errorType: status?.AthenaError?.ErrorType,
    };
    if (state === 'CANCELLED') {
      return new AthenaQueryCancelledError(
        `Athena query ${id} was cancelled: ${reason} (a workgroup's bytes-scanned cutoff cancels large scans: filter on dt)`,
        { context },
      );
    }
    return new AthenaQueryFailedError(`Athena query ${id} failed: ${reason}`, { context });
  }

  /** Best effort: a query that cannot be stopped still times out for the caller. */
  private async stop(queryExecutionId: string): Promise<void> {
    try {
      await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryExecutionId }));
    } catch (error) {
      this.log.warn('could not stop a timed-out Athena query', {
        queryExecutionId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private async request<T>(operation: string, queryExecutionId: string | undefined, call: () => Promise<T>) {
    try {
      return await call();
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new AthenaRequestError(
        `Athena ${operation} failed in workgroup ${this.options.workGroup}: ${message}; check the workgroup exists and the role may use it`,
        { cause: error, context: { ...this.context(queryExecutionId).context, operation } },
      );
    }
  }

  private context(queryExecutionId?: string) {
    return {
      context: { queryExecutionId, workGroup: this.options.workGroup, database: this.options.database },
    };
  }
}

function columnsOf(info: readonly { Name?: string; Type?: string }[] | undefined): AthenaColumn[] {
  return (info ?? []).map((c, i) => ({ name: c.Name ?? `_col${i}`, type: c.Type ?? 'unknown' }));
}

function toRecord<Row extends AthenaRow>(
  columns: readonly AthenaColumn[],
  data: readonly { VarCharValue?: string | undefined }[],
): Row {
  const record: Record<string, string | null> = {};
  columns.forEach((column, i) => {
    record[column.name] = data[i]?.VarCharValue ?? null;
  });
  // The caller names the row's shape; the columns come from the query it wrote.
  return record as Row;
}
