import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  localAnalystPassword,
  readPassFile,
  withCredentials,
  writePassFile,
} from '../../../app/analytics/warehouse/analyst-login';
import { statementEnd } from '../../../app/analytics/warehouse/sql-shell';

describe('statementEnd', () => {
  it('ends a statement at its semicolon', () => {
    expect(statementEnd('SELECT 1; SELECT 2;')).toBe(9);
    expect(statementEnd('SELECT 1')).toBe(-1);
  });

  it('ignores semicolons in strings, quoted names, dollar quotes and comments', () => {
    expect(statementEnd("SELECT 'a;b', 'it''s;' AS x")).toBe(-1);
    expect(statementEnd('SELECT 1 AS ";"')).toBe(-1);
    expect(statementEnd('SELECT $$;$$, $t$;$t$')).toBe(-1);
    expect(statementEnd('SELECT 1 -- not here;\n')).toBe(-1);
    expect(statementEnd('SELECT /* ; */ 1;')).toBe(17);
  });

  it('waits for a string, a comment or a dollar quote to close', () => {
    expect(statementEnd("SELECT 'open;")).toBe(-1);
    expect(statementEnd('SELECT /* open;')).toBe(-1);
    expect(statementEnd('SELECT $$ open;')).toBe(-1);
  });
});

describe('the local password file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totes-pgpass-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is libpq's format, escaped, and readable by its owner only", async () => {
    const path = join(dir, 'pgpass');
    await writePassFile(path, [
      { host: '127.0.0.1', port: '*', database: '*', user: 'analyst', password: 'a:b\\c' },
    ]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readPassFile(path)).toEqual([
      { host: '127.0.0.1', port: '*', database: '*', user: 'analyst', password: 'a:b\\c' },
    ]);
  });

  it('keeps the analyst password from one run to the next', async () => {
    const path = join(dir, 'pgpass');
    const first = await localAnalystPassword(path);
    expect(first).toMatch(/^[A-Za-z0-9_-]{24}$/);
    await writePassFile(path, [
      { host: 'localhost', port: '*', database: '*', user: 'analyst', password: first },
    ]);
    expect(await localAnalystPassword(path)).toBe(first);
  });

  it('puts another login into a URL', () => {
    expect(withCredentials('postgres://postgres:secret@127.0.0.1:5432/warehouse', 'analyst')).toBe(
      'postgres://analyst@127.0.0.1:5432/warehouse',
    );
    expect(withCredentials('postgres://u@h:1/db', 'a', 'p@ss')).toBe('postgres://a:p%40ss@h:1/db');
  });
});
