import { openDuck } from '../../../lambdas/kernel/duckdb/duckdb';
import { warehouseTable, warehouseTables } from '../../../lambdas/kernel/schema';
import {
  dimensionRefs,
  factExpr,
  factPartitionExpr,
  factSelect,
} from '../../../lambdas/transform/batch/facts';

describe('fact rows from the lineage', () => {
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
});

describe('fact partitions', () => {
  it('puts a version in the partition of the first day of its created year', async () => {
    const duck = await openDuck({ memoryLimit: '256MB', threads: 1 });
    try {
      const expr = factPartitionExpr(warehouseTable('fact_payment'));
      const result = await duck.all(
        `SELECT strftime(${expr}, '%Y-%m-%d') FROM (VALUES ('2024-11-15 14:40:10.188'::TIMESTAMP_MS), ('2022-11-01 00:00:00'::TIMESTAMP_MS)) t(created_at)`,
      );
      expect(result.rows).toEqual([['2024-01-01'], ['2022-01-01']]);
    } finally {
      duck.close();
    }
  });
});
