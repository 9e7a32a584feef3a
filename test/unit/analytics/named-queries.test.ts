import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from 'node-sql-parser';
import {
  athenaExecutionParameters,
  bindParameters,
  findNamedQuery,
  type NamedQuery,
  NamedQueryFormatError,
  NamedQueryParameterError,
  namedQueryDefinitions,
  parseNamedQuery,
  placeholderOffsets,
  readNamedQueries,
  UnknownNamedQueryError,
} from '../../../app/analytics/named-queries';
import { currentViews } from '../../../lambdas/kernel/catalog/current-views';
import { warehouseTables } from '../../../lambdas/kernel/schema';

/** node-sql-parser 5.x has a Trino grammar (its 'athena' one is Hive-era and rejects window functions). */
const TRINO = { database: 'trino' } as const;

/**
 * Constructs the Trino grammar of node-sql-parser accepts although Athena (Trino) does not:
 * DuckDB/PostgreSQL habits that would pass the parser and then fail in Athena.
 */
const NOT_TRINO: readonly [RegExp, string][] = [
  [/::/, 'PostgreSQL cast "::" (use CAST)'],
  [/\bILIKE\b/i, 'ILIKE'],
  [/\bQUALIFY\b/i, 'QUALIFY'],
  [/\bEXCLUDE\s*\(/i, 'SELECT * EXCLUDE'],
  [/\bDISTINCT\s+ON\b/i, 'DISTINCT ON'],
  [/\bdate_add\s*\(\s*'/i, "date_add('unit', …) (DuckDB lacks it; use + INTERVAL)"],
  [/"[^"]*"/, 'double-quoted identifiers'],
];

const sqlOnly = (sql: string): string => sql.replace(/--.*$/gm, '');

describe('the named queries in athena-queries/', () => {
  let queries: NamedQuery[];
  beforeAll(async () => {
    queries = await readNamedQueries();
  });

  it('holds at least ten queries, among them every question the analyst guide promises', () => {
    expect(queries.length).toBeGreaterThanOrEqual(10);
    expect(queries.map((q) => q.name)).toEqual(
      expect.arrayContaining([
        'sales_by_month',
        'top_designs',
        'top_counterparties',
        'sales_by_delivery_location',
        'staff_performance',
        'purchase_spend_by_supplier_item',
        'payments_due_and_overdue',
        'days_order_to_payment',
        'sales_order_history',
        'current_vs_history_counts',
        'last_month_sales_by_country',
      ]),
    );
  });

  it('gives every query a question, documented parameters and the shape of its answer', () => {
    for (const q of queries) {
      expect(q.question).toMatch(/\?$/);
      expect(q.answer.length).toBeGreaterThan(40);
      for (const p of q.parameters) expect(p.description.length).toBeGreaterThan(10);
    }
    expect(queries.find((q) => q.name === 'payments_due_and_overdue')?.parameters).toEqual([
      expect.objectContaining({ position: 1, name: 'as_of', type: 'DATE' }),
    ]);
    expect(queries.find((q) => q.name === 'sales_order_history')?.parameters).toEqual([
      expect.objectContaining({ position: 1, name: 'sales_order_id', type: 'INTEGER' }),
    ]);
  });

  it('checks with a grammar that rejects what Trino rejects (the check can fail)', () => {
    expect(() => new Parser().astify('SELECT * EXCLUDE (a) FROM t', TRINO)).toThrow();
    expect(() => new Parser().astify('SELECT a FROM t QUALIFY row_number() OVER () = 1', TRINO)).toThrow();
  });

  it('parses every query as Trino SQL', () => {
    const parser = new Parser();
    const failures = queries.flatMap((q) => {
      try {
        parser.astify(q.sql, TRINO);
        return [];
      } catch (error) {
        return [`${q.name}: ${(error as Error).message.slice(0, 200)}`];
      }
    });
    expect(failures).toEqual([]);
  });

  it('uses no DuckDB or PostgreSQL construct that Athena rejects', () => {
    const found = queries.flatMap((q) =>
      NOT_TRINO.filter(([pattern]) => pattern.test(sqlOnly(q.sql))).map(([, what]) => `${q.name}: ${what}`),
    );
    expect(found).toEqual([]);
  });

  it('reads only star-schema tables, their current views (and its own CTEs)', () => {
    const known = new Set([...warehouseTables.map((t) => t.name), ...currentViews().map((v) => v.name)]);
    const strangers = queries.flatMap((q) => {
      const ctes = new Set([...q.sql.matchAll(/\b([a-z_]+) AS \(/g)].map((m) => m[1]));
      return new Parser()
        .tableList(q.sql, TRINO)
        .map((entry) => entry.split('::')[2] as string)
        .filter((table) => !known.has(table) && !ctes.has(table))
        .map((table) => `${q.name}: ${table}`);
    });
    expect(strangers).toEqual([]);
  });

  it('reads the current state from the <fact>_current views, never by picking versions itself', () => {
    const ranking = queries.filter((q) => /observed_at\s+DESC/i.test(sqlOnly(q.sql))).map((q) => q.name);
    expect(ranking).toEqual([]);
    const current = queries.filter((q) => /\bfact_[a-z_]+_current\b/.test(sqlOnly(q.sql))).map((q) => q.name);
    expect(current.length).toBeGreaterThanOrEqual(queries.length - 1);
  });

  it('shows design_id wherever an answer names a design', () => {
    for (const q of queries.filter((q) => /design_name/.test(q.answer)))
      expect(q.answer).toMatch(/design_id/);
  });

  it('lists the deployable definitions with the question and the parameters as description', () => {
    const definitions = namedQueryDefinitions();
    expect(definitions.map((d) => d.name)).toEqual(queries.map((q) => q.name));
    const due = definitions.find((d) => d.name === 'payments_due_and_overdue');
    expect(due?.description).toMatch(/^Which payments are still unpaid.*Parameters: 1\. as_of \(DATE\)\.$/);
    for (const d of definitions) expect(d.description.length).toBeLessThanOrEqual(1024);
  });
});

describe('parseNamedQuery', () => {
  const header = (parameters: string) =>
    `-- Question: How many?\n-- Parameters:${parameters}\n-- Answer: one row: n BIGINT, and more words here\n`;

  it('reads numbered parameters, with descriptions continued on the next lines', () => {
    const q = parseNamedQuery(
      'q',
      `${header('\n--   1. as_of DATE: the day,\n--      and more\n--   2. id INTEGER: an id')}SELECT ? , ?`,
    );
    expect(q.parameters).toEqual([
      { position: 1, name: 'as_of', type: 'DATE', description: 'the day, and more' },
      { position: 2, name: 'id', type: 'INTEGER', description: 'an id' },
    ]);
    expect(q.answer).toBe('one row: n BIGINT, and more words here');
  });

  it('refuses a file whose placeholders do not match its declared parameters', () => {
    expect(() => parseNamedQuery('q', `${header(' none')}SELECT ?`)).toThrow(NamedQueryFormatError);
    expect(() => parseNamedQuery('q', `${header('\n--   1. a DATE: x')}SELECT 1`)).toThrow(
      /0 "\?" placeholders but the header declares 1/,
    );
  });

  it('refuses a file without the header lines, naming the file', () => {
    expect(() => parseNamedQuery('bare', 'SELECT 1')).toThrow(/athena-queries\/bare\.sql/);
    expect(() => parseNamedQuery('q', '-- Question: x?\n-- Answer: y\nSELECT 1')).toThrow(
      NamedQueryFormatError,
    );
  });
});

describe('placeholderOffsets', () => {
  it('finds ? outside strings, quoted identifiers and comments only', () => {
    const sql = `SELECT '?', "a?" , ? -- why?\n/* ? */ FROM t WHERE x = 'it''s ?' AND y = ?`;
    expect(placeholderOffsets(sql).map((at) => sql.slice(at - 2, at + 1))).toEqual([', ?', '= ?']);
  });
});

describe('binding parameters', () => {
  const query = parseNamedQuery(
    'q',
    `-- Question: Which?\n-- Parameters:\n--   1. as_of DATE: a day\n--   2. id INTEGER: an id\n--   3. name VARCHAR: a name\n-- Answer: rows of things, as many as there are\nSELECT CAST(? AS DATE), ?, ? -- not this ?`,
  );

  it('substitutes typed literals in order, quoting text', () => {
    expect(bindParameters(query, ['2024-11-15', '42', "O'Hara"])).toBe(
      `-- Question: Which?\n-- Parameters:\n--   1. as_of DATE: a day\n--   2. id INTEGER: an id\n--   3. name VARCHAR: a name\n-- Answer: rows of things, as many as there are\nSELECT CAST(DATE '2024-11-15' AS DATE), 42, 'O''Hara' -- not this ?`,
    );
  });

  it('rejects values that are not of the parameter type, so nothing unquoted reaches SQL', () => {
    expect(() => bindParameters(query, ['2024-11-31', '1', 'x'])).toThrow(NamedQueryParameterError);
    expect(() => bindParameters(query, ["2024-11-15'; DROP TABLE x; --", '1', 'x'])).toThrow(
      /date YYYY-MM-DD/,
    );
    expect(() => bindParameters(query, ['2024-11-15', '1 OR 1=1', 'x'])).toThrow(/32-bit integer/);
    expect(() => bindParameters(query, ['2024-11-15', '99999999999', 'x'])).toThrow(/32-bit integer/);
  });

  it('says which parameters a query takes when the count is wrong', () => {
    expect(() => bindParameters(query, ['2024-11-15'])).toThrow(
      'named query q takes 3 parameter(s): as_of (DATE), id (INTEGER), name (VARCHAR); got 1',
    );
  });

  it('gives Athena the same values as execution parameters, dates as quoted text', () => {
    expect(athenaExecutionParameters(query, ['2024-11-15', '-7', 'a'])).toEqual([
      "'2024-11-15'",
      '-7',
      "'a'",
    ]);
  });
});

describe('finding named queries', () => {
  it('names the known queries when asked for an unknown one', async () => {
    await expect(findNamedQuery('sales_by_moon')).rejects.toThrow(UnknownNamedQueryError);
    await expect(findNamedQuery('sales_by_moon')).rejects.toThrow(/totes queries.*sales_by_month/);
  });

  it('reads only .sql files of the folder, in name order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'totes-queries-'));
    try {
      const body =
        '-- Question: Two?\n-- Parameters: none\n-- Answer: one row with one column n\nSELECT 2 AS n\n';
      await writeFile(join(dir, 'b_query.sql'), body);
      await writeFile(join(dir, 'a_query.sql'), body);
      await writeFile(join(dir, 'notes.md'), 'not a query');
      expect((await readNamedQueries(dir)).map((q) => q.name)).toEqual(['a_query', 'b_query']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
