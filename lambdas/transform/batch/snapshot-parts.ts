/**
 * A dimension snapshot is a folder of files, each holding the members of one range of the
 * natural key (`DimensionPart` in lambdas/kernel/lake/documents/transform-state.ts). A batch
 * rewrites only the files its changed keys fall in and copies the others into the new
 * folder, so what it writes follows the change, not the dimension: 10 new transactions
 * rewrite one file of `dim_transaction`, not 1.4M rows. Serial keys put new members in the
 * last range, which splits once it holds {@link MAX_PART_ROWS}.
 */

import type { TransformState } from '../../kernel/lake/documents/transform-state';
import { column, ident, warehouseTable } from '../../kernel/schema';

/**
 * Members per snapshot file (≈ 0.7 MB of `dim_transaction` Parquet). Smaller files make a
 * batch rewrite less but copy more: every file it does not rewrite is one COPY request per
 * batch (priced as a PUT), so at 1.4M members this is 11 files, 10 copies and at most
 * {@link MAX_PART_ROWS} rows rewritten per range the batch touches.
 */
export const PART_ROWS = 131_072;

/** A file that grows beyond this is split into files of about {@link PART_ROWS} members. */
export const MAX_PART_ROWS = 2 * PART_ROWS;

/** A file of the committed snapshot as the batch knows it (`rows` unknown for older states' one file). */
export interface SnapshotPart {
  readonly key: string;
  readonly from?: number | undefined;
  readonly rows?: number | undefined;
}

/** The files of the committed snapshot of `dim`, in key order; none before its first snapshot. */
export function committedParts(state: TransformState, dim: string): readonly SnapshotPart[] {
  const parts = state.dimensionParts?.[dim];
  if (parts) return parts;
  const key = state.dimensions[dim];
  // States written before snapshots had several files name the one file: it covers every key.
  return key === undefined || key.endsWith('/') ? [] : [{ key }];
}

/**
 * The ordinal of a member's natural key, as a BIGINT: the integer itself, or a date's day
 * number (days since 1970-01-01). Ranges of ordinals split a snapshot into files.
 */
export function keyOrdinalSql(dim: string, qualifier?: string): string {
  const table = warehouseTable(dim);
  const key = column(table, table.naturalKey);
  const ref = qualifier === undefined ? ident(key.name) : `${qualifier}.${ident(key.name)}`;
  if (key.type === 'int') return `CAST(${ref} AS BIGINT)`;
  if (key.type === 'date') return `CAST(date_diff('day', DATE '1970-01-01', ${ref}) AS BIGINT)`;
  throw new RangeError(
    `dimension ${dim} has a ${key.type} natural key; snapshot files need an int or date key`,
  );
}

/**
 * The key ranges of `parts` as a relation `alias(idx, lo, hi)`: file `idx` holds the ordinals
 * in [lo, hi), a NULL bound being open.
 */
export function partBoundsSql(parts: readonly Pick<SnapshotPart, 'from'>[], alias = 'b'): string {
  const bound = (n: number | undefined) => (n === undefined ? 'NULL::BIGINT' : `${Math.trunc(n)}::BIGINT`);
  const rows = parts.map((p, i) => `(${i}, ${bound(p.from)}, ${bound(parts[i + 1]?.from)})`);
  return `(VALUES ${rows.join(', ')}) ${alias}(idx, lo, hi)`;
}

/** True for an ordinal inside the range of bounds row `alias`. */
export const inPartSql = (ordinal: string, alias = 'b'): string =>
  `(${alias}.lo IS NULL OR ${ordinal} >= ${alias}.lo) AND (${alias}.hi IS NULL OR ${ordinal} < ${alias}.hi)`;

/** The indexes of the files of `parts` that the keys of `relation` fall in, ascending. */
export function partsOfKeysSql(dim: string, parts: readonly SnapshotPart[], relation: string): string {
  return `SELECT DISTINCT b.idx FROM ${relation} r JOIN ${partBoundsSql(parts)} ON ${inPartSql(keyOrdinalSql(dim, 'r'))} ORDER BY 1`;
}

/**
 * `target`: the rows of `source` (which has a `_part` column) with `_chunk`, the file of
 * its part each row goes to: 0 for a part of at most {@link MAX_PART_ROWS} rows, else one of
 * `floor(rows / PART_ROWS)` equal runs in key order (each of PART_ROWS to MAX_PART_ROWS rows). Sorted, so each file is read in key
 * order and DuckDB's zone maps skip the others' rows.
 */
export function chunkedSql(dim: string, source: string, target: string): string {
  const key = ident(warehouseTable(dim).naturalKey);
  return `CREATE OR REPLACE TEMP TABLE ${target} AS
SELECT * EXCLUDE (_rn, _n), CASE WHEN _n > ${MAX_PART_ROWS} THEN _rn * (_n // ${PART_ROWS}) // _n ELSE 0 END AS _chunk
FROM (SELECT *, row_number() OVER (PARTITION BY _part ORDER BY ${key}) - 1 AS _rn, count(*) OVER (PARTITION BY _part) AS _n FROM ${source})
ORDER BY _part, ${key}`;
}

/** The files `chunkedSql`'s table makes: part, chunk, its first ordinal, its rows. */
export function chunksSql(dim: string, chunked: string): string {
  return `SELECT _part, _chunk, min(${keyOrdinalSql(dim)}) AS lo, count(*) AS n FROM ${chunked} GROUP BY ALL ORDER BY ALL`;
}

/** One file of the new snapshot: copied from the committed one, or written from `chunk`. */
export type PlannedPart =
  | {
      readonly kind: 'copy';
      readonly from?: number | undefined;
      readonly source: string;
      readonly rows: number;
    }
  | {
      readonly kind: 'write';
      readonly from?: number | undefined;
      readonly part: number;
      readonly chunk: number;
      readonly rows: number;
    };

/** A chunk of a rewritten part, as {@link chunksSql} answers it. */
export interface Chunk {
  readonly part: number;
  readonly chunk: number;
  /** Its lowest key ordinal. */
  readonly lo: number;
  readonly rows: number;
}

/**
 * The files of the new snapshot in key order: each committed part the batch rewrote gives
 * way to its chunks (the first keeps the part's lower bound, so the ranges still cover every
 * key), every other part is copied. Without committed parts, `chunks` are all of part 0.
 */
export function planParts(
  dim: string,
  committed: readonly SnapshotPart[],
  chunks: readonly Chunk[],
): PlannedPart[] {
  const parts: readonly SnapshotPart[] = committed.length > 0 ? committed : [{ key: '' }];
  const planned: PlannedPart[] = [];
  for (const [idx, p] of parts.entries()) {
    const mine = chunks.filter((c) => c.part === idx);
    if (mine.length === 0) {
      if (committed.length === 0) continue;
      if (p.rows === undefined) {
        throw new RangeError(`snapshot file ${p.key} of ${dim} has no row count and cannot be copied`);
      }
      planned.push({ kind: 'copy', from: p.from, source: p.key, rows: p.rows });
      continue;
    }
    for (const [i, c] of mine.entries()) {
      planned.push({ kind: 'write', from: i === 0 ? p.from : c.lo, part: idx, chunk: c.chunk, rows: c.rows });
    }
  }
  return planned;
}
