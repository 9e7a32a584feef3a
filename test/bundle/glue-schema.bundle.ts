import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { openDuck, sqlString } from '../../lambdas/kernel/duckdb/duckdb';
import { type LocalS3Server, startLocalS3 } from '../integration/lake/s3-server';
import { checkCatalogAgainstFiles } from './support/glue-schema';

const BUCKET = 'glue-check';
let s3: LocalS3Server;
let dir: string;

beforeAll(async () => {
  s3 = await startLocalS3([BUCKET]);
  dir = await mkdtemp(join(tmpdir(), 'totes-glue-check-'));
  const duck = await openDuck();
  const file = join(dir, 'f.parquet');
  await duck.exec(
    `COPY (SELECT 1::INTEGER AS id, DATE '2024-01-02' AS d, 12.5::DECIMAL(10,2) AS amount, TIMESTAMP '2024-01-02 03:04:05' AS at, 'x' AS name, true AS flag, 7::BIGINT AS big) TO ${sqlString(file)} (FORMAT parquet)`,
  );
  duck.close();
  const client = s3.client();
  await client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'curated/t/dt=2024-01-02/a.parquet',
      Body: await readFile(file),
    }),
  );
  const lines = [
    { id: 1, name: 'a', _op: 'c' },
    { id: 2, name: null, _op: 'u' },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n');
  await client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'raw/t/ingest_date=2024-01-02/r.jsonl.gz',
      Body: gzipSync(lines),
    }),
  );
});

afterAll(async () => {
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const parquetTable = (columns: { Name: string; Type: string }[]) => ({
  name: 't',
  input: {
    Name: 't',
    PartitionKeys: [{ Name: 'dt', Type: 'date' }],
    StorageDescriptor: {
      Location: `s3://${BUCKET}/curated/t/`,
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      Columns: columns,
    },
  },
});
const columns = [
  { Name: 'id', Type: 'int' },
  { Name: 'd', Type: 'date' },
  { Name: 'amount', Type: 'decimal(10,2)' },
  { Name: 'at', Type: 'timestamp' },
  { Name: 'name', Type: 'string' },
  { Name: 'flag', Type: 'boolean' },
  { Name: 'big', Type: 'bigint' },
];

describe('the Glue ↔ Parquet schema check', () => {
  it('accepts a table whose columns are the files’ columns, in order, with Athena’s types', async () => {
    const [check] = await checkCatalogAgainstFiles([parquetTable(columns)], s3.client(), join(dir, 'ok'));
    expect(check).toMatchObject({ files: 1, problems: [] });
  });

  it('names a column whose type differs, one that is missing and one in another order', async () => {
    const wrong = columns.map((c) => (c.Name === 'amount' ? { ...c, Type: 'decimal(12,2)' } : c));
    const [typed] = await checkCatalogAgainstFiles([parquetTable(wrong)], s3.client(), join(dir, 'typed'));
    expect(typed?.problems.join()).toContain(
      'Glue has amount decimal(12,2); files have amount decimal(10,2)',
    );
    const [missing] = await checkCatalogAgainstFiles(
      [parquetTable([...columns, { Name: 'extra', Type: 'int' }])],
      s3.client(),
      join(dir, 'missing'),
    );
    expect(missing?.problems.join()).toContain('Glue has extra int');
    const [order] = await checkCatalogAgainstFiles(
      [parquetTable([...columns].reverse())],
      s3.client(),
      join(dir, 'order'),
    );
    expect(order?.problems.join()).toContain('another order');
  });

  it('says when a table points at no data at all', async () => {
    const empty = {
      ...parquetTable(columns),
      input: {
        ...parquetTable(columns).input,
        StorageDescriptor: {
          ...parquetTable(columns).input.StorageDescriptor,
          Location: `s3://${BUCKET}/curated/none/`,
        },
      },
    };
    const [check] = await checkCatalogAgainstFiles([empty], s3.client(), join(dir, 'empty'));
    expect(check?.problems).toEqual([
      `no parquet files under s3://${BUCKET}/curated/none/ (Athena would read nothing)`,
    ]);
  });

  it('checks JSON lines tables by field names and value kinds', async () => {
    const raw = (cols: { Name: string; Type: string }[]) => ({
      name: 'raw_t',
      input: {
        Name: 'raw_t',
        StorageDescriptor: {
          Location: `s3://${BUCKET}/raw/t/`,
          InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          Columns: cols,
        },
      },
    });
    const ok = [
      { Name: 'id', Type: 'int' },
      { Name: 'name', Type: 'string' },
      { Name: '_op', Type: 'string' },
    ];
    expect((await checkCatalogAgainstFiles([raw(ok)], s3.client(), dir))[0]?.problems).toEqual([]);
    const bad = await checkCatalogAgainstFiles(
      [
        raw([
          { Name: 'id', Type: 'boolean' },
          { Name: 'gone', Type: 'string' },
        ]),
      ],
      s3.client(),
      dir,
    );
    expect(bad[0]?.problems).toEqual([
      'records have fields the table lacks: name, _op',
      'the table has columns no record holds: gone',
      'values that do not fit their column type: id (boolean) holds 1; id (boolean) holds 2',
    ]);
  });
});
