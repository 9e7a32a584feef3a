import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { offlineEnv, runTotes, TOTES_BIN } from './support/totes-process';

/**
 * `totes query` output read the way scripts read it, through a pipe. A query on an empty
 * lake folder needs no database: DuckDB generates the rows.
 */
describe('machine-readable output of the shipped CLI', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-e2e-output-'));
    env = offlineEnv(join(dir, 'lake'), join(dir, 'home'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** ~6 MB of rows with text, decimals and NULLs. */
  const BIG = `SELECT i AS id, 'order ' || i || ' ' || repeat('x', i % 40) AS note,
    (i % 997)::DECIMAL(12, 2) / 100 AS amount, CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 END AS bucket
    FROM range(60000) t(i) ORDER BY i`;

  /** The same command with stdout on a file: file writes are never cut. */
  function toFile(args: readonly string[], file: string): Promise<number | null> {
    const fd = openSync(file, 'w');
    const child = spawn(process.execPath, [TOTES_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', fd, 'inherit'],
    });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        closeSync(fd);
        resolve(code);
      });
    });
  }

  it.each([
    ['--json', (text: string) => expect(JSON.parse(text)).toHaveLength(60000)],
    ['--csv', (text: string) => expect(text.trimEnd().split('\n')).toHaveLength(60001)],
  ])('writes every byte of a large %s result to a reader that is slow', async (flag, check) => {
    const expected = join(dir, `expected${flag}`);
    expect(await toFile(['query', BIG, flag], expected)).toBe(0);
    const bytes = await readFile(expected);
    expect(bytes.length).toBeGreaterThan(2_000_000);

    // The reader waits a second, then takes one chunk at a time: the process finishes its
    // work long before its output has left the pipe.
    const slow = await runTotes(['query', BIG, flag], { env, slowReader: { startMs: 1000, everyMs: 2 } });
    expect(slow.code).toBe(0);
    expect(slow.stdout.length).toBe(bytes.length);
    expect(slow.stdout.equals(bytes)).toBe(true);
    check(slow.out);
  });

  it('types JSON one way: integers as numbers, decimals as exact strings, NULL as null', async () => {
    const run = await runTotes(
      [
        'query',
        `SELECT count(*) AS n, 42::INTEGER AS i, 9007199254740993::BIGINT AS big, 3.94::DECIMAL(10, 2) AS money,
                10::DECIMAL(10, 2) AS whole_money, 1.5::DOUBLE AS ratio, NULL AS nothing, DATE '2024-11-15' AS day, true AS yes`,
        '--json',
      ],
      { env },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual([
      {
        n: 1,
        i: 42,
        big: 9007199254740992, // JSON.parse loses it; the text below keeps every digit
        money: '3.94',
        whole_money: '10.00',
        ratio: 1.5,
        nothing: null,
        day: '2024-11-15',
        yes: true,
      },
    ]);
    expect(run.out).toContain('"big":9007199254740993');
  });

  it('tells an empty string from NULL in CSV, as DuckDB and PostgreSQL read it back', async () => {
    const run = await runTotes(
      ['query', `SELECT '' AS empty, NULL AS missing, 'NULL' AS text_null, 'a,"b"' AS quoted`, '--csv'],
      { env },
    );
    expect(run.code).toBe(0);
    expect(run.out).toBe('empty,missing,text_null,quoted\n"",,NULL,"a,""b"""\n');
  });

  it('marks NULL in a table apart from the text NULL, and aligns wide characters', async () => {
    const run = await runTotes(
      ['query', `SELECT * FROM (VALUES ('東京', NULL), ('🎉 x', 'NULL'), ('ab', '')) t(city, note)`],
      { env },
    );
    expect(run.code).toBe(0);
    expect(run.out.split('\n')).toEqual([
      'city  note',
      '----  ----',
      '東京  ∅',
      '🎉 x  NULL',
      'ab',
      '(3 rows)',
      '',
    ]);
  });

  it('keeps the output of a statement list to its last statement', async () => {
    const run = await runTotes(
      [
        'query',
        `CREATE TEMP TABLE t AS SELECT 'a;b' AS s; -- a comment; with semicolons\nSELECT s, ';' AS c FROM t;`,
        '--csv',
      ],
      { env },
    );
    expect(run.code).toBe(0);
    expect(run.out).toBe('s,c\na;b,;\n');
  });

  it('ends quietly when the reader closes the pipe early', async () => {
    const child = spawn(process.execPath, [TOTES_BIN, 'query', BIG, '--csv'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(141);
    expect(stderr).toBe('');
  });
});
