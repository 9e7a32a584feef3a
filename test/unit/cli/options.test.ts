import { InvalidArgumentError } from 'commander';
import { renderCompaction } from '../../../bin/commands/compact';
import { positiveInteger, seconds, wholeNumber } from '../../../bin/options';

describe('numeric option values', () => {
  it.each([
    [wholeNumber, '0', 0],
    [wholeNumber, '1000000', 1_000_000],
    [positiveInteger, '3', 3],
    [seconds, '2.5', 2.5],
    [seconds, '0', 0],
  ])('accepts %p %s', (parse, text, value) => {
    expect(parse(text)).toBe(value);
  });

  it.each([
    [wholeNumber, 'abc'],
    [wholeNumber, '-1'],
    [wholeNumber, '1e3'],
    [positiveInteger, '0'],
    [seconds, 'soon'],
    [seconds, '-5'],
  ])('refuses %p %s as a usage error', (parse, text) => {
    expect(() => parse(text)).toThrow(InvalidArgumentError);
  });
});

describe('totes compact output', () => {
  it('says when there was nothing to compact, naming the threshold', () => {
    expect(renderCompaction({ seq: 2, compactions: [] }, 32)).toBe(
      'nothing to compact: no fact partition holds more than 32 small files of loaded batches (last compaction #2)',
    );
  });

  it('lists each compacted partition with the files it replaced and its rows', () => {
    const text = renderCompaction(
      {
        seq: 3,
        compactions: [
          { table: 'fact_sales_order', dt: '2024-11-15', key: 'k', rows: 1200, replaced: ['a', 'b', 'c'] },
        ],
      },
      2,
    );
    expect(text.split('\n')).toEqual([
      'compaction #3: 1 partition(s), 3 files replaced by 1',
      'table             dt          files replaced   rows',
      '----------------  ----------  --------------  -----',
      'fact_sales_order  2024-11-15               3  1,200',
    ]);
  });
});
