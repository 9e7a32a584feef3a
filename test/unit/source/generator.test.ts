import { GeneratorError } from '../../../app/totesys/errors';
import { SyntheticSource, syntheticPlan } from '../../../app/totesys/generator';
import { inventedStream, inventedValue } from '../../../app/totesys/generator/invented';
import { RowRandom } from '../../../app/totesys/prng';
import { type ColumnDef, sourceTable } from '../../../lambdas/kernel/schema';

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

describe('values for columns the generator does not write', () => {
  const r = () => new RowRandom().at(7, inventedStream('sales_order', 'x'), 1);
  const column = (type: ColumnDef['type'], extra: Partial<ColumnDef> = {}): ColumnDef => ({
    name: 'x',
    type,
    ...extra,
  });

  it.each([
    ['int', /^\d+$/],
    ['money', /^\d+\.\d{2}$/],
    ['text', /^[a-z0-9]{8}$/],
    ['boolean', /^[tf]$/],
    ['date', /^\d{4}-\d{2}-\d{2}$/],
    ['date_text', /^\d{4}-\d{2}-\d{2}$/],
    ['timestamp', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/],
    ['time', /^\d{2}:\d{2}:\d{2}\.\d{3}$/],
  ] as const)('writes a %s in PostgreSQL text input, the same for the same row', (type, shape) => {
    expect(inventedValue('t', column(type), r())).toMatch(shape);
    expect(inventedValue('t', column(type), r())).toBe(inventedValue('t', column(type), r()));
  });

  it('draws an enum from its labels and leaves a nullable column null now and then', () => {
    expect(['A', 'B']).toContain(inventedValue('t', column('enum', { enumValues: ['A', 'B'] }), r()));
    const random = r();
    const values = Array.from({ length: 200 }, () =>
      inventedValue('t', column('int', { nullable: true }), random),
    );
    expect(values.filter((v) => v === null).length).toBeGreaterThan(0);
    expect(values.filter((v) => v !== null).length).toBeGreaterThan(150);
  });

  it('invents no foreign key: null when nullable, otherwise an error naming the generator file', () => {
    const ref = { table: 'staff', column: 'staff_id' };
    expect(
      inventedValue('t', column('int', { nullable: true, references: ref }), new RowRandom().at(1, 1, 3)),
    ).toBeNull();
    expect(() => inventedValue('t', column('int', { references: ref }), r())).toThrow(GeneratorError);
    expect(() => inventedValue('t', column('serial'), r())).toThrow(/app\/totesys\/generator\/tables\.ts/);
  });

  it('keeps each column on a stream of its own', () => {
    expect(inventedStream('sales_order', 'a')).not.toBe(inventedStream('sales_order', 'b'));
    expect(inventedStream('sales_order', 'a')).not.toBe(inventedStream('purchase_order', 'a'));
  });
});
