import {
  AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionOutput,
  GetQueryResultsCommand,
  type GetQueryResultsOutput,
  InvalidRequestException,
  type QueryExecutionState,
  type QueryExecutionStatus,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaRunner, type AthenaRunnerOptions } from '../../../app/analytics/athena/athena-runner';
import {
  AthenaQueryCancelledError,
  AthenaQueryFailedError,
  AthenaQueryTimeoutError,
  AthenaRequestError,
} from '../../../app/analytics/athena/errors';

const athena = mockClient(AthenaClient);

beforeEach(() => {
  athena.reset();
});

/** A runner on a fake clock: each sleep advances it, so backoff and timeout are checked without waiting. */
function runner(options: Partial<AthenaRunnerOptions> = {}) {
  const clock = { now: 0, sleeps: [] as number[] };
  const instance = new AthenaRunner(new AthenaClient({ region: 'eu-west-2' }), {
    workGroup: 'totes',
    database: 'totes_lake',
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      clock.now += ms;
    },
    now: () => clock.now,
    ...options,
  });
  return { instance, clock };
}

const state = (
  State: QueryExecutionState,
  extra: Omit<QueryExecutionStatus, 'State'> = {},
): GetQueryExecutionOutput => ({
  QueryExecution: { QueryExecutionId: 'q-1', StatementType: 'DML', Status: { State, ...extra } },
});

const page = (
  rows: (string | undefined)[][],
  nextToken?: string,
  withMetadata = true,
): GetQueryResultsOutput => ({
  ResultSet: {
    Rows: rows.map((values) => ({ Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })) })),
    ResultSetMetadata: withMetadata
      ? {
          ColumnInfo: [
            { Name: 'month', Type: 'varchar' },
            { Name: 'total', Type: 'decimal' },
          ],
        }
      : undefined,
  },
  NextToken: nextToken,
});

describe('AthenaRunner', () => {
  it('starts the query in the workgroup and database with its parameters', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([['month', 'total']]));
    const { instance } = runner({ outputLocation: 's3://results/' });

    await instance.run('SELECT * FROM fact_sales_order WHERE dt = ?', { parameters: ["DATE '2024-11-15'"] });

    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryString: 'SELECT * FROM fact_sales_order WHERE dt = ?',
      WorkGroup: 'totes',
      QueryExecutionContext: { Database: 'totes_lake', Catalog: 'AwsDataCatalog' },
      ExecutionParameters: ["DATE '2024-11-15'"],
      ResultConfiguration: { OutputLocation: 's3://results/' },
    });
  });

  it('polls with doubling pauses capped at the maximum until the query succeeds', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(state('QUEUED'))
      .resolvesOnce(state('RUNNING'))
      .resolvesOnce(state('RUNNING'))
      .resolvesOnce(state('RUNNING'))
      .resolvesOnce(state('RUNNING'))
      .resolves(state('SUCCEEDED', {}));
    athena.on(GetQueryResultsCommand).resolves(page([['month', 'total']]));
    const { instance, clock } = runner({ pollInitialMs: 100, pollMaxMs: 500 });

    await instance.run('SELECT 1');

    expect(clock.sleeps).toEqual([100, 200, 400, 500, 500]);
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(6);
  });

  it('reads every page, skips the header row, and keeps NULL apart from text', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        ...state('SUCCEEDED').QueryExecution,
        Statistics: { DataScannedInBytes: 4096 },
      },
    });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves(
        page(
          [
            ['month', 'total'],
            ['2024-01', '1234567.89'],
          ],
          't2',
        ),
      )
      .on(GetQueryResultsCommand, { NextToken: 't2' })
      .resolves(page([['2024-02', undefined]], 't3', false))
      .on(GetQueryResultsCommand, { NextToken: 't3' })
      .resolves(page([['2024-03', '']], undefined, false));

    const result = await runner().instance.run<{ month: string; total: string | null }>('SELECT …');

    expect(result.columns).toEqual([
      { name: 'month', type: 'varchar' },
      { name: 'total', type: 'decimal' },
    ]);
    expect(result.rows).toEqual([
      { month: '2024-01', total: '1234567.89' },
      { month: '2024-02', total: null },
      { month: '2024-03', total: '' },
    ]);
    expect(result.dataScannedBytes).toBe(4096);
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input.MaxResults)).toEqual([
      1000, 1000, 1000,
    ]);
  });

  it('keeps the first row of a statement that is not a SELECT (no header row)', async () => {
    athena.on(GetQueryResultsCommand).resolves(page([['a', 'b']]));

    const { rows } = await runner().instance.results('q-1', 'UTILITY');

    expect(rows).toEqual([{ month: 'a', total: 'b' }]);
  });

  it("throws AthenaQueryFailedError with Athena's state-change reason when the query fails", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(
      state('FAILED', {
        StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
        AthenaError: { ErrorCategory: 2, ErrorType: 1006 },
      }),
    );

    const error = await runner()
      .instance.run('SELECT nope FROM dim_staff')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AthenaQueryFailedError);
    expect((error as AthenaQueryFailedError).message).toBe(
      "Athena query q-1 failed: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
    );
    expect((error as AthenaQueryFailedError).context).toMatchObject({
      queryExecutionId: 'q-1',
      workGroup: 'totes',
      errorCategory: 2,
      errorType: 1006,
    });
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('throws AthenaQueryCancelledError with the reason when the query is cancelled', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolves(state('CANCELLED', { StateChangeReason: 'Bytes scanned limit was exceeded' }));

    await expect(runner().instance.run('SELECT * FROM fact_sales_order')).rejects.toThrow(
      new AthenaQueryCancelledError(
        "Athena query q-1 was cancelled: Bytes scanned limit was exceeded (a workgroup's bytes-scanned cutoff cancels large scans: filter on dt)",
      ),
    );
  });

  it('stops the query and throws AthenaQueryTimeoutError when it runs past the timeout', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(state('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});
    const { instance, clock } = runner({ timeoutMs: 2_000, pollInitialMs: 250, pollMaxMs: 1_000 });

    await expect(instance.run('SELECT 1')).rejects.toThrow(AthenaQueryTimeoutError);

    expect(clock.now).toBeLessThanOrEqual(2_000);
    expect(clock.sleeps).toEqual([250, 500, 1000]);
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryExecutionId: 'q-1',
    });
  });

  it('still reports the timeout when stopping the query fails', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(state('QUEUED'));
    athena.on(StopQueryExecutionCommand).rejects(new Error('throttled'));
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };

    await expect(runner({ timeoutMs: 100, log }).instance.run('SELECT 1')).rejects.toThrow(/still QUEUED/);
    expect(warnings).toEqual(['could not stop a timed-out Athena query']);
  });

  it('wraps a rejected API call in AthenaRequestError naming the operation and workgroup', async () => {
    athena
      .on(StartQueryExecutionCommand)
      .rejects(new InvalidRequestException({ message: 'WorkGroup totes is not found', $metadata: {} }));

    const error = await runner()
      .instance.run('SELECT 1')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AthenaRequestError);
    expect((error as AthenaRequestError).message).toMatch(
      /^Athena StartQueryExecution failed in workgroup totes: InvalidRequestException: WorkGroup totes is not found/,
    );
    expect((error as AthenaRequestError).cause).toBeInstanceOf(InvalidRequestException);
  });
});
