import { EMPTY_STATE } from '../../../lambdas/kernel/lake/documents/transform-state';
import {
  committedParts,
  keyOrdinalSql,
  MAX_PART_ROWS,
  PART_ROWS,
  partIndexSql,
  planParts,
  splitRows,
} from '../../../lambdas/transform/batch/snapshot-parts';

describe('snapshot files of a dimension', () => {
  it('reads an older state that names one snapshot file as one file covering every key', () => {
    const state = {
      ...EMPTY_STATE,
      dimensions: { dim_staff: 'curated/dim_staff/snapshot=a/part-0.parquet' },
    };

    expect(committedParts(state, 'dim_staff')).toEqual([
      { key: 'curated/dim_staff/snapshot=a/part-0.parquet' },
    ]);
    expect(committedParts(state, 'dim_design')).toEqual([]);
  });

  it('finds the file of a key from the lower bounds of the files after the first', () => {
    expect(partIndexSql('dim_transaction', [{}, { from: 100 }, { from: 250 }])).toBe(
      'CASE WHEN CAST("transaction_id" AS BIGINT) < 100 THEN 0 WHEN CAST("transaction_id" AS BIGINT) < 250 THEN 1 ELSE 2 END',
    );
    expect(partIndexSql('dim_transaction', [{}])).toBe('0');
  });

  it('splits a file only past MAX_PART_ROWS, into files of PART_ROWS to MAX_PART_ROWS members', () => {
    expect(splitRows(MAX_PART_ROWS)).toEqual([]);
    for (const rows of [MAX_PART_ROWS + 1, 3 * PART_ROWS - 1, 1_420_000]) {
      const starts = [0, ...splitRows(rows), rows];
      const sizes = starts.slice(1).map((s, i) => s - (starts[i] ?? 0));
      expect(sizes.every((n) => n >= PART_ROWS && n <= MAX_PART_ROWS)).toBe(true);
    }
  });

  it('orders integer keys as themselves and dates by their day number', () => {
    expect(keyOrdinalSql('dim_transaction')).toBe('CAST("transaction_id" AS BIGINT)');
    expect(keyOrdinalSql('dim_date', 'r')).toContain(`date_diff('day', DATE '1970-01-01', r."date_id")`);
  });

  it('copies the files no chunk replaces and keeps the first lower bound of a split file', () => {
    const committed = [
      { key: 'a', rows: 10 },
      { key: 'b', from: 100, rows: 20 },
      { key: 'c', from: 200, rows: 30 },
    ];
    const chunks = [
      { part: 1, rows: 15 },
      { part: 1, first: 150, rows: 15 },
    ];

    expect(planParts('dim_transaction', committed, chunks)).toEqual([
      { kind: 'copy', from: undefined, source: 'a', rows: 10 },
      { kind: 'write', from: 100, part: 1, lo: undefined, hi: 150, rows: 15 },
      { kind: 'write', from: 150, part: 1, lo: 150, hi: undefined, rows: 15 },
      { kind: 'copy', from: 200, source: 'c', rows: 30 },
    ]);
  });

  it('writes every chunk of a first snapshot, the first one open below', () => {
    const chunks = [
      { part: 0, rows: 5 },
      { part: 0, first: 6, rows: 5 },
    ];

    expect(planParts('dim_transaction', [], chunks).map((p) => p.from)).toEqual([undefined, 6]);
  });

  it('refuses to copy a file whose row count it does not know', () => {
    expect(() =>
      planParts(
        'dim_transaction',
        [{ key: 'old.parquet' }, { key: 'b', from: 5, rows: 1 }],
        [{ part: 1, rows: 2 }],
      ),
    ).toThrow(/old.parquet/);
  });
});
