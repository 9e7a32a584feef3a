import { openDuck } from '../../../lambdas/kernel/duckdb/duckdb';
import { sourceTable } from '../../../lambdas/kernel/schema';
import {
  changesSql,
  checkSql,
  readRawSql,
  TEXT_PATTERNS,
  textShape,
} from '../../../lambdas/transform/batch/inputs';
import { rawRowJson } from '../../../lambdas/transform/batch/quarantine';

describe('batch inputs', () => {
  it('reads raw JSON with every column named and typed, never auto-detected', () => {
    const sql = readRawSql(sourceTable('sales_order'), [{ path: "/lake/it's.jsonl.gz", seq: 7 }]);
    expect(sql).toContain(
      `read_json('/lake/it''s.jsonl.gz', format = 'newline_delimited', compression = 'gzip', columns = {`,
    );
    expect(sql).toContain(`'unit_price': 'VARCHAR'`);
    expect(sql).toContain(`'units_sold': 'BIGINT'`);
    expect(sql).toContain(`'_extracted_at': 'VARCHAR'`);
    expect(sql).toContain('7::INTEGER AS _seq');
    expect(sql).not.toMatch(/auto_detect\s*=\s*true/);
  });

  it('finds the first failing check of each row on DuckDB', async () => {
    const duck = await openDuck({ memoryLimit: '256MB', threads: 1 });
    try {
      const table = sourceTable('currency');
      await duck.exec(`CREATE TEMP TABLE raw_currency AS SELECT * FROM (VALUES
        ('c', 1::BIGINT, 'GBP', '2022-11-03T14:20:49.962', '2022-11-03T14:20:49.962', '2024-11-15T15:00:00.000'),
        ('c', 2, NULL, '2022-11-03T14:20:49.962', '2022-11-03T14:20:49.962', '2024-11-15T15:00:00.000'),
        ('c', 3, 'EUR', 'soon', '2022-11-03T14:20:49.962', '2024-11-15T15:00:00.000'),
        ('x', 4, 'USD', '2022-11-03T14:20:49.962', '2022-11-03T14:20:49.962', '2024-11-15T15:00:00.000'),
        ('d', 5, NULL, NULL, NULL, '2024-11-15T15:00:00.000'),
        ('c', 6000000000, 'USD', '2022-11-03T14:20:49.962', '2022-11-03T14:20:49.962', '2024-11-15T15:00:00.000')
      ) t(_op, currency_id, currency_code, created_at, last_updated, _extracted_at)`);
      await duck.exec(checkSql(table));
      const result = await duck.all(
        'SELECT currency_id, _reason, _column FROM chk_currency ORDER BY currency_id',
      );
      expect(result.rows).toEqual([
        ['1', null, null],
        ['2', 'not_null', 'currency_code'],
        ['3', 'invalid_timestamp', 'created_at'],
        ['4', 'invalid_op', '_op'],
        ['5', null, null],
        ['6000000000', 'invalid_int', 'currency_id'],
      ]);
    } finally {
      duck.close();
    }
  });

  it('casts each parsed value once, keeping its text for the quarantine', async () => {
    const duck = await openDuck({ memoryLimit: '256MB', threads: 1 });
    try {
      const table = sourceTable('currency');
      await duck.exec(`CREATE TEMP TABLE raw_currency AS SELECT * FROM (VALUES
        ('c', 'r1', 1::BIGINT, 'GBP', '2022-11-03 14:20:49.962345', '2022-11-03T14:20:49.962', '2024-11-15T15:00:00.000', 1),
        ('c', 'r1', 2, 'EUR', '2022-11-03', '2022-11-03T14:20:49', '2024-11-15T15:00:00.000', 1)
      ) t(_op, _run_id, currency_id, currency_code, created_at, last_updated, _extracted_at, _seq)`);
      await duck.exec(checkSql(table));
      await duck.exec(changesSql(table));
      const valid = await duck.all(
        `SELECT currency_id, typeof(currency_id), strftime(created_at, '%Y-%m-%d %H:%M:%S.%g'), typeof(created_at), _observed_at::VARCHAR FROM chg_currency`,
      );
      // Row 2's created_at is a date without a time: TRY_CAST would take it, the pattern does not.
      expect(valid.rows).toEqual([
        [1, 'INTEGER', '2022-11-03 14:20:49.962', 'TIMESTAMP_MS', '2024-11-15 15:00:00'],
      ]);
      const quarantined = await duck.all(
        `SELECT _reason, _column, ${rawRowJson(table)}::VARCHAR FROM chk_currency WHERE _reason IS NOT NULL`,
      );
      expect(quarantined.rows).toEqual([
        [
          'invalid_timestamp',
          'created_at',
          JSON.stringify({
            _op: 'c',
            _run_id: 'r1',
            _extracted_at: '2024-11-15T15:00:00.000',
            currency_id: 2,
            currency_code: 'EUR',
            created_at: '2022-11-03',
            last_updated: '2022-11-03T14:20:49',
          }),
        ],
      ]);
    } finally {
      duck.close();
    }
  });

  it('matches timestamps, dates and money exactly as their regular expressions do', async () => {
    // Valid texts of every length, and each of them with every position replaced, removed
    // or doubled, and text around it: the near misses a GLOB could get wrong.
    const valid = {
      timestamp: [
        '2022-11-03T14:20:49',
        '2022-11-03 14:20:49',
        ...[1, 2, 3, 4, 5, 6].map((n) => `2022-11-03T14:20:49.${'123456'.slice(0, n)}`),
      ],
      date: ['2022-11-03'],
      money: ['0', '-1', '12345678', '-12345678.99', '1.5', '10.25'],
    };
    const odd = ['0', '9', 'a', 'T', 't', ' ', '-', ':', '.', '+', '\n', '\u0663', 'é', '*', '?', '[', ''];
    const variants = (text: string): string[] => {
      const out = [
        text,
        ` ${text}`,
        `${text} `,
        `${text}\n`,
        `${text}0`,
        `0${text}`,
        `${text}.`,
        `${text}.1234567`,
      ];
      for (let i = 0; i < text.length; i++) {
        for (const c of odd) out.push(text.slice(0, i) + c + text.slice(i + 1));
        out.push(text.slice(0, i) + text.slice(i, i + 1).repeat(2) + text.slice(i + 1));
      }
      return out;
    };
    const duck = await openDuck({ memoryLimit: '256MB', threads: 1 });
    try {
      for (const kind of ['timestamp', 'date', 'money'] as const) {
        const texts = [...new Set(valid[kind].flatMap(variants))];
        const list = texts.map((t) => `'${t.replaceAll("'", "''")}'`).join(', ');
        const result = await duck.all(
          `SELECT count(*) FILTER (WHERE regexp_matches(v, '${TEXT_PATTERNS[kind]}') IS DISTINCT FROM ${textShape(kind, 'v')}),
                  count(*) FILTER (WHERE ${textShape(kind, 'v')}), count(*) FROM unnest([${list}]) t(v)`,
        );
        const [[differ, matching, all]] = result.rows as unknown as [[bigint, bigint, bigint]];
        expect({ kind, differ: Number(differ) }).toEqual({ kind, differ: 0 });
        expect(Number(matching)).toBeGreaterThanOrEqual(valid[kind].length);
        expect(Number(all) - Number(matching)).toBeGreaterThan(100);
      }
    } finally {
      duck.close();
    }
  });
});
