import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { register as registerQueries } from '../../../bin/commands/queries';
import { register as registerQuery } from '../../../bin/commands/query';
import { UsageError } from '../../../bin/errors';

/**
 * `totes query` / `totes queries` on an S3 lake go to Athena (no Athena runs here: the SDK
 * is mocked at its boundary). Nothing else is reached: the databases are never opened by a
 * query, and the S3 store makes no call until the lake is read.
 */
const athena = mockClient(AthenaClient);
const saved = { ...process.env };
let output: string;

beforeEach(() => {
  athena.reset();
  process.env = {
    ...saved,
    LAKE_URL: 's3://totes-curated/lake',
    TOTESYS_URL: 'postgres://u:p@127.0.0.1:1/totesys',
    WAREHOUSE_URL: 'postgres://u:p@127.0.0.1:1/warehouse',
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  delete process.env.ATHENA_WORKGROUP;
  delete process.env.GLUE_DATABASE;
  output = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...saved };
});

async function totes(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerQuery(program);
  registerQueries(program);
  await program.parseAsync(['node', 'totes', ...args]);
  return output;
}

/** Athena answers: the query succeeds, and one page holds the header row and `rows`. */
function answer(columns: { Name: string; Type: string }[], rows: (string | undefined)[][]): void {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena.on(GetQueryExecutionCommand).resolves({
    QueryExecution: { QueryExecutionId: 'q-1', StatementType: 'DML', Status: { State: 'SUCCEEDED' } },
  });
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: columns },
      Rows: [
        { Data: columns.map((c) => ({ VarCharValue: c.Name })) },
        ...rows.map((r) => ({ Data: r.map((v) => (v === undefined ? {} : { VarCharValue: v })) })),
      ],
    },
  });
}

const columns = [
  { Name: 'country', Type: 'varchar' },
  { Name: 'orders', Type: 'bigint' },
  { Name: 'sales', Type: 'decimal' },
  { Name: 'note', Type: 'varchar' },
];

it('runs the SQL on Athena in the workgroup and Glue database from the environment', async () => {
  process.env.ATHENA_WORKGROUP = 'totes-analysts';
  process.env.GLUE_DATABASE = 'totesys_lake_prod';
  answer(columns, [['Turkey', '12', '1024.50', undefined]]);

  const text = await totes(
    'query',
    'SELECT country, count(*) AS orders FROM fact_sales_order_current;',
    '--json',
  );

  const start = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
  expect(start).toMatchObject({
    QueryString: 'SELECT country, count(*) AS orders FROM fact_sales_order_current',
    WorkGroup: 'totes-analysts',
    QueryExecutionContext: { Database: 'totesys_lake_prod', Catalog: 'AwsDataCatalog' },
  });
  // One --json typing on every engine: integers numbers, decimals exact strings.
  expect(JSON.parse(text)).toEqual([{ country: 'Turkey', orders: 12, sales: '1024.50', note: null }]);
});

it('takes --workgroup and --database over the environment', async () => {
  process.env.ATHENA_WORKGROUP = 'from-env';
  answer(columns, []);
  await totes('query', 'SELECT 1', '--workgroup', 'from-flag', '--database', 'db_flag');
  expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toMatchObject({
    WorkGroup: 'from-flag',
    QueryExecutionContext: { Database: 'db_flag' },
  });
  expect(output).toContain('(0 rows)');
});

it('prints Athena rows as CSV and tables that tell NULL from empty text', async () => {
  process.env.ATHENA_WORKGROUP = 'wg';
  process.env.GLUE_DATABASE = 'db';
  answer(columns, [['', '1', '2.00', undefined]]);
  expect(await totes('query', 'SELECT 1', '--csv')).toBe('country,orders,sales,note\n"",1,2.00,\n');
  output = '';
  expect((await totes('query', 'SELECT 1')).split('\n')[2]).toBe('         1       2.00   ∅');
});

it('sends a named query with its values as Athena execution parameters', async () => {
  process.env.ATHENA_WORKGROUP = 'wg';
  process.env.GLUE_DATABASE = 'db';
  answer(columns, []);
  await totes('queries', 'last_month_sales_by_country', '2024-11-15', '--json');
  const start = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
  expect(start?.ExecutionParameters).toEqual(["'2024-11-15'"]);
  expect(start?.QueryString).toContain('?');
  expect(output).toBe('[]\n');
});

it('says which settings are missing instead of calling Athena', async () => {
  process.env.GLUE_DATABASE = 'db';
  await expect(totes('query', 'SELECT 1')).rejects.toThrow(UsageError);
  await expect(totes('query', 'SELECT 1')).rejects.toThrow(
    /S3 lake runs on Athena; give the Athena workgroup \(--workgroup <name> or ATHENA_WORKGROUP\)/,
  );
  expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
});
