import { openStatementCounter, type StatementCounter, splitLastStatement } from '../../../bin/sql-statements';

/** The split is made by DuckDB's own parser (in process, nothing bound or run). */
describe('splitLastStatement', () => {
  let counter: StatementCounter;

  beforeAll(async () => {
    counter = await openStatementCounter();
  });

  afterAll(() => counter.close());

  it('keeps one statement whole, terminator and comments included', async () => {
    expect(await splitLastStatement('SELECT 1; -- the end', counter)).toEqual({
      leading: '',
      last: 'SELECT 1; -- the end',
    });
  });

  it('cuts before the last statement, not at a semicolon inside a string, name or comment', async () => {
    const sql = `SET threads = 1; CREATE TEMP TABLE "a;b" AS SELECT 'x;y' AS s; /* c; d */ -- e;\nSELECT s, $$;$$ FROM "a;b";`;
    expect(await splitLastStatement(sql, counter)).toEqual({
      // The comment between the two statements stays with the first: either side runs the same.
      leading: `SET threads = 1; CREATE TEMP TABLE "a;b" AS SELECT 'x;y' AS s; /* c; d */ -- e`,
      last: `\nSELECT s, $$;$$ FROM "a;b";`,
    });
  });

  it('gives up on SQL that does not parse or holds nothing', async () => {
    expect(await splitLastStatement('SELEC 1; SELECT 2', counter)).toBeUndefined();
    expect(await splitLastStatement('  -- only a comment\n', counter)).toBeUndefined();
  });
});
