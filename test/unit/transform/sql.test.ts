import { openDuck } from '../../../lambdas/kernel/duckdb/duckdb';
import { column, sourceTable, warehouseTable, warehouseTables } from '../../../lambdas/kernel/schema';
import { DIMENSIONS } from '../../../lambdas/transform/batch/dimensions';
import { dimensionRefs, factExpr, factSelect } from '../../../lambdas/transform/batch/facts';
import { checkSql, readRawSql } from '../../../lambdas/transform/batch/inputs';
import {
  firstVersionsSql,
  stateColumns,
  stateType,
  versionsSql,
} from '../../../lambdas/transform/batch/versions';
import { currencyName, ISO_4217 } from '../../../lambdas/transform/iso4217';

describe('transform SQL generated from the schema', () => {
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

  it('keeps text dates as DATE in the memory and money as DECIMAL(10,2)', () => {
    const payment = sourceTable('payment');
    const type = (name: string) => stateType(column(payment, name));
    expect([type('payment_date'), type('payment_amount'), type('created_at'), type('paid')]).toEqual([
      'DATE',
      'DECIMAL(10,2)',
      'TIMESTAMP_MS',
      'BOOLEAN',
    ]);
  });

  it('maps every fact column to a source column or a derived value', () => {
    for (const fact of warehouseTables.filter((t) => t.kind === 'fact')) {
      for (const column of fact.columns) expect(() => factExpr(fact, column)).not.toThrow();
    }
    const sales = warehouseTable('fact_sales_order');
    expect(factSelect(sales)).toContain(`CAST("staff_id" AS INTEGER) AS "sales_staff_id"`);
    expect(factSelect(sales)).toContain(
      `CAST(strftime("created_at", '%H:%M:%S.%g') AS VARCHAR) AS "created_time"`,
    );
  });

  it('checks fact references against every dimension but dim_date', () => {
    expect(dimensionRefs(warehouseTable('fact_payment')).map((c) => c.name)).toEqual([
      'transaction_id',
      'counterparty_id',
      'currency_id',
      'payment_type_id',
    ]);
  });

  it('has a recipe for every dimension except dim_date, built from known source tables', () => {
    const dims = warehouseTables
      .filter((t) => t.kind === 'dimension' && t.name !== 'dim_date')
      .map((t) => t.name);
    expect(Object.keys(DIMENSIONS).sort()).toEqual(dims.sort());
    for (const recipe of Object.values(DIMENSIONS))
      for (const s of recipe.sources) expect(() => sourceTable(s)).not.toThrow();
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
});

describe('first-sight versions', () => {
  it('flags the rows of an empty memory exactly as the full version pass does', async () => {
    const duck = await openDuck({ memoryLimit: '256MB', threads: 1 });
    try {
      const table = sourceTable('currency');
      await duck.exec(`CREATE TEMP TABLE chg_currency AS SELECT * FROM (VALUES
        (0::BIGINT, 'c', 1, '2024-11-15 15:00:00'::TIMESTAMP_MS, 1, 'GBP', '2022-11-03 14:20:49.962'::TIMESTAMP_MS, '2022-11-03 14:20:49.962'::TIMESTAMP_MS),
        (1, 'u', 1, '2024-11-15 15:00:00', 2, 'EUR', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
        (2, 'd', 1, '2024-11-15 15:00:00', 3, NULL, NULL, NULL)
      ) t(_rid, _op, _seq, _observed_at, currency_id, currency_code, created_at, last_updated)`);
      const columns = stateColumns(table).map(([n, t]) => `NULL::${t} AS "${n}"`);
      await duck.exec(`CREATE TEMP TABLE prior_currency AS SELECT ${columns.join(', ')} LIMIT 0`);
      await duck.exec(versionsSql(table));
      await duck.exec('CREATE TEMP TABLE full_pass AS SELECT * FROM ver_currency');
      await duck.exec('DROP TABLE ver_currency');
      await duck.exec(firstVersionsSql(table));
      const differences = await duck.all(
        `SELECT count(*) FROM (SELECT * FROM full_pass EXCEPT ALL SELECT * FROM ver_currency UNION ALL (SELECT * FROM ver_currency EXCEPT ALL SELECT * FROM full_pass))`,
      );
      const unknown = await duck.all('SELECT _pk FROM ver_currency WHERE _unknown');
      expect([differences.rows, unknown.rows]).toEqual([[['0']], [[3]]]);
    } finally {
      duck.close();
    }
  });
});

describe('ISO 4217 currency names', () => {
  it('names the totesys currencies and every other current code', () => {
    expect([currencyName('GBP'), currencyName('usd'), currencyName(' EUR ')]).toEqual([
      'Pound Sterling',
      'US Dollar',
      'Euro',
    ]);
    expect(ISO_4217.size).toBeGreaterThan(170);
    expect(currencyName('JPY')).toBe('Yen');
    expect(currencyName('CHF')).toBe('Swiss Franc');
  });

  it('knows no withdrawn or invented code', () => {
    expect([currencyName('HRK'), currencyName('ZZZ')]).toEqual([undefined, undefined]);
    for (const code of ISO_4217.keys()) expect(code).toMatch(/^[A-Z]{3}$/);
  });
});
