import { SyntheticSource, syntheticPlan } from '../../../app/totesys/generator';
import { sourceTable } from '../../../lambdas/kernel/schema';

describe('SyntheticSource', () => {
  const source = new SyntheticSource(syntheticPlan(1000, 9));

  it('writes every column of every source table, each line with one field per column', () => {
    for (const table of source.tables()) {
      expect([...table.columns].sort()).toEqual(
        sourceTable(table.table)
          .columns.map((c) => c.name)
          .sort(),
      );
      for (const line of [...table.lines()].slice(0, 50)) {
        expect(line.endsWith('\n')).toBe(true);
        expect(line.slice(0, -1).split('\t')).toHaveLength(table.columns.length);
      }
    }
  });

  it('yields exactly the planned number of rows per table', () => {
    for (const table of source.tables()) expect([...table.lines()]).toHaveLength(table.rows);
  });

  it('scales designs mildly and purchase orders in the real proportion', () => {
    expect(syntheticPlan(11_187, 1)).toMatchObject({ purchaseOrders: 4649, designs: 470 });
    expect(syntheticPlan(1_000_000, 1).purchaseOrders).toBe(415_600);
    expect(syntheticPlan(1_000_000, 1).designs).toBeLessThan(2000);
    expect(syntheticPlan(1, 1)).toMatchObject({ salesOrders: 1, purchaseOrders: 0, transactions: 1 });
  });

  it('writes money with exactly two decimals and timestamps with milliseconds', () => {
    const payments = source.tables().find((t) => t.table === 'payment');
    for (const line of [...(payments?.lines() ?? [])].slice(0, 200)) {
      const fields = line.split('\t');
      expect(fields[5]).toMatch(/^\d+\.\d{2}$/);
      expect(fields[1]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    }
  });
});
