import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Client } from 'pg';
import { CsvCopyError, type CsvRender, startCsv } from '../../../lambdas/load/csv-copy';

import { createTestDatabase } from '../../support/pg';

/** Renders and copies in one go, as the loader does for one table. */
const copyCsv = async (job: CsvRender & { readonly warehouse: Client; readonly copy: string }) =>
  (await startCsv(job)).copyInto(job.warehouse, job.copy);

describe('copyCsv', () => {
  let db: { url: string; drop: () => Promise<void> };
  let warehouse: Client;
  let instance: DuckDBInstance;
  let duckdb: DuckDBConnection;
  let dir: string;

  /** DuckDB writing `rows` numbered rows, `0` in place of number `zeroAt` (refused by the CHECK below). */
  const render =
    (rows: number, zeroAt = -1) =>
    (path: string) =>
      `COPY (SELECT CASE WHEN range = ${zeroAt} THEN 0 ELSE range END AS n, 'row ' || range AS label FROM range(1, ${rows + 1})) TO '${path}' (FORMAT csv, HEADER false, USE_TMP_FILE false)`;
  const copy = 'COPY t (n, label) FROM STDIN (FORMAT csv)';
  const count = async () =>
    (await warehouse.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]?.n;

  beforeAll(async () => {
    db = await createTestDatabase('csvcopy');
    warehouse = new Client({ connectionString: db.url });
    await warehouse.connect();
    instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    duckdb = await instance.connect();
  });

  afterAll(async () => {
    duckdb.closeSync();
    instance.closeSync();
    await warehouse.end();
    await db.drop();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-csv-copy-'));
    await warehouse.query('DROP TABLE IF EXISTS t');
    await warehouse.query('CREATE TABLE t (n integer NOT NULL CHECK (n > 0), label text NOT NULL)');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe.each([
    ['through a named pipe', true],
    ['through a file', false],
  ])('%s', (_how, pipe) => {
    const job = (rows: number, zeroAt?: number) => ({
      duckdb,
      warehouse,
      render: render(rows, zeroAt),
      copy,
      path: join(dir, 'rows.csv'),
      pipe,
    });

    it('delivers every row DuckDB writes and counts them', async () => {
      await expect(copyCsv(job(200_000))).resolves.toBe(200_000);
      expect(await count()).toBe(200_000);
      const { rows } = await warehouse.query('SELECT n, label FROM t WHERE n IN (1, 200000) ORDER BY n');
      expect(rows).toEqual([
        { n: 1, label: 'row 1' },
        { n: 200000, label: 'row 200000' },
      ]);
    });

    it('reports a DuckDB failure as a render failure, without waiting for ever', async () => {
      const error = await copyCsv({
        ...job(1),
        render: (path) => `COPY (SELECT * FROM read_parquet('${join(dir, 'missing.parquet')}')) TO '${path}'`,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CsvCopyError);
      expect((error as CsvCopyError).failure.side).toBe('render');
      expect((error as CsvCopyError).message).toMatch(/missing\.parquet/);
      expect(await count()).toBe(0);
    });

    it('reports a COPY refused before DuckDB opened its output, without waiting for ever', async () => {
      // The sort keeps DuckDB from opening the pipe until long after COPY has failed.
      const slow = (path: string) =>
        `COPY (SELECT range AS n, 'x' AS label FROM range(2000000) ORDER BY range DESC) TO '${path}' (FORMAT csv, HEADER false, USE_TMP_FILE false)`;
      const error = await copyCsv({
        ...job(1),
        render: slow,
        copy: 'COPY no_such_table FROM STDIN (FORMAT csv)',
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CsvCopyError);
      expect((error as CsvCopyError).failure.side).toBe('copy');
      expect((error as CsvCopyError).message).toMatch(/no_such_table/);
    }, 20_000);

    it('reports a row COPY refuses early in a long stream as a copy failure, and DuckDB is free again', async () => {
      const error = await copyCsv(job(300_000, 10)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CsvCopyError);
      expect((error as CsvCopyError).failure.side).toBe('copy');
      expect((error as CsvCopyError).failure.error).toMatchObject({ code: '23514' });
      const reader = await duckdb.runAndReadAll('SELECT 42 AS answer');
      expect(reader.getRowObjects()).toEqual([{ answer: 42 }]);
    });
  });

  it.each([true, false])(
    'abandons a CSV nobody copies without leaving DuckDB blocked (pipe: %s)',
    async (pipe) => {
      const pending = await startCsv({ duckdb, render: render(500_000), path: join(dir, 'rows.csv'), pipe });
      await pending.abandon();
      const reader = await duckdb.runAndReadAll('SELECT 42 AS answer');
      expect(reader.getRowObjects()).toEqual([{ answer: 42 }]);
      await expect(
        copyCsv({ duckdb, warehouse, render: render(5), copy, path: join(dir, 'again.csv'), pipe }),
      ).resolves.toBe(5);
    },
  );

  it('renders through a file when there is no named pipe to be had', async () => {
    await expect(
      copyCsv({ duckdb, warehouse, render: render(3), copy, path: join(dir, 'rows.csv'), pipe: false }),
    ).resolves.toBe(3);
    expect(existsSync(join(dir, 'rows.csv'))).toBe(true);
  });
});
