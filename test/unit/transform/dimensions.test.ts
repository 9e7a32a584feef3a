import { type DuckSession, openDuck } from '../../../lambdas/kernel/duckdb/duckdb';
import { lineage, sourceTable, warehouseTables } from '../../../lambdas/kernel/schema';
import {
  dimDateSql,
  dimensionSql,
  iso4217TableSql,
  sourcedDimensions,
} from '../../../lambdas/transform/batch/dimensions';
import { factDatesTableSql } from '../../../lambdas/transform/batch/facts';
import { emptyTableSql } from '../../../lambdas/transform/batch/relations';
import { stateColumns } from '../../../lambdas/transform/batch/versions';

/** `cur_<t>` of source table `t` with the given rows (typed as the memory types them). */
async function memory(duck: DuckSession, table: string, rows: readonly Record<string, unknown>[]) {
  const columns = stateColumns(sourceTable(table));
  await duck.exec(emptyTableSql(`cur_${table}`, columns));
  for (const row of rows) {
    const values = columns.map(([name, type]) => {
      const v = row[name];
      return v === undefined || v === null
        ? `NULL::${type}`
        : `${JSON.stringify(String(v)).replaceAll('"', "'")}::${type}`;
    });
    await duck.exec(`INSERT INTO cur_${table} VALUES (${values.join(', ')})`);
  }
}

const audit = { created_at: '2024-11-15 14:00:00', last_updated: '2024-11-15 14:00:00', _deleted: false };

describe('dimensions built from the lineage', () => {
  let duck: DuckSession;
  beforeEach(async () => {
    duck = await openDuck({ memoryLimit: '256MB', threads: 1 });
    await duck.exec(iso4217TableSql());
  });
  afterEach(() => duck.close());

  it('builds every dimension but dim_date from source tables', () => {
    expect(sourcedDimensions.map((d) => d.table)).toEqual(
      warehouseTables.filter((t) => t.kind === 'dimension' && t.name !== 'dim_date').map((t) => t.name),
    );
  });

  it('joins staff to its department and leaves out staff whose department is unknown', async () => {
    await memory(duck, 'department', [
      { department_id: 1, department_name: 'Sales', location: 'Leeds', ...audit },
    ]);
    await memory(duck, 'staff', [
      {
        staff_id: 1,
        first_name: 'Ada',
        last_name: 'Byron',
        department_id: 1,
        email_address: 'a@t.com',
        ...audit,
      },
      {
        staff_id: 2,
        first_name: 'Bo',
        last_name: 'Orphan',
        department_id: 9,
        email_address: 'b@t.com',
        ...audit,
      },
    ]);
    await duck.exec(dimensionSql('dim_staff'));
    const result = await duck.all('SELECT * FROM new_dim_staff');
    expect(result.columns).toEqual(lineage('dim_staff').columns.map((c) => c.name));
    expect(result.rows).toEqual([[1, 'Ada', 'Byron', 'Sales', 'Leeds', 'a@t.com']]);
  });

  it('names currencies from CLDR (Intl.DisplayNames) and keeps an unknown code with a null name', async () => {
    await memory(duck, 'currency', [
      { currency_id: 1, currency_code: 'GBP', ...audit },
      { currency_id: 2, currency_code: ' usd', ...audit },
      { currency_id: 3, currency_code: 'ZZZ', ...audit },
    ]);
    await duck.exec(dimensionSql('dim_currency'));
    const result = await duck.all('SELECT * FROM new_dim_currency');
    expect(result.rows).toEqual([
      [1, 'GBP', 'British Pound'],
      [2, ' usd', 'US Dollar'],
      [3, 'ZZZ', null],
    ]);
  });

  it("takes a counterparty's legal address from the address it names", async () => {
    await memory(duck, 'address', [
      {
        address_id: 5,
        address_line_1: '1 Road',
        city: 'York',
        postal_code: 'Y1',
        country: 'UK',
        phone: '0123',
        ...audit,
      },
    ]);
    await memory(duck, 'counterparty', [
      { counterparty_id: 3, counterparty_legal_name: 'Acme', legal_address_id: 5, ...audit },
    ]);
    await duck.exec(dimensionSql('dim_counterparty'));
    const result = await duck.all('SELECT * FROM new_dim_counterparty');
    expect(result.rows).toEqual([[3, 'Acme', '1 Road', null, null, 'York', 'Y1', 'UK', '0123']]);
  });

  it('gives every referenced date its calendar attributes, ISO day of week from Monday', async () => {
    await duck.exec(factDatesTableSql());
    await duck.exec(`INSERT INTO fact_dates VALUES ('2024-11-17'::DATE), (NULL)`);
    await duck.exec(emptyTableSql('prev_dim_date', [['date_id', 'DATE']]));
    await duck.exec(`INSERT INTO prev_dim_date VALUES ('2024-11-18'::DATE)`);
    await duck.exec(dimDateSql());
    const result = await duck.all(
      `SELECT strftime(date_id, '%Y-%m-%d'), * EXCLUDE (date_id) FROM new_dim_date`,
    );
    expect(result.rows).toEqual([
      ['2024-11-17', 2024, 11, 17, 7, 'Sunday', 'November', 4],
      ['2024-11-18', 2024, 11, 18, 1, 'Monday', 'November', 4],
    ]);
  });
});
