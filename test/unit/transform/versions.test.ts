import { openDuck } from '../../../lambdas/kernel/duckdb/duckdb';
import { column, sourceTable } from '../../../lambdas/kernel/schema';
import {
  firstVersionsSql,
  stateColumns,
  stateType,
  versionsSql,
} from '../../../lambdas/transform/batch/versions';

describe('the memory of a source table', () => {
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
