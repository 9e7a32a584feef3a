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
 * The index of the file of `parts` a member falls in: a CASE over the files' lower bounds
 * (vectorised; a range join against a bounds table would be a nested loop).
 */
export function partIndexSql(
  dim: string,
  parts: readonly Pick<SnapshotPart, 'from'>[],
  qualifier?: string,
): string {
  const ordinal = keyOrdinalSql(dim, qualifier);
  const whens = parts.slice(1).map((p, i) => {
    if (p.from === undefined) throw new RangeError(`snapshot file ${i + 1} of ${dim} has no lower bound`);
    return `WHEN ${ordinal} < ${Math.trunc(p.from)} THEN ${i}`;
  });
  return whens.length === 0 ? '0' : `CASE ${whens.join(' ')} ELSE ${parts.length - 1} END`;
}

/** The indexes of the files of `parts` that the keys of `relation` fall in, ascending. */
export function partsOfKeysSql(dim: string, parts: readonly SnapshotPart[], relation: string): string {
  return `SELECT DISTINCT ${partIndexSql(dim, parts)} AS idx FROM ${relation} ORDER BY 1`;
}

/**
 * `target`: the rows of `source` with `_part`, the committed file each falls in (0 without
 * committed files), only those of the files `only` when given. Not sorted (a sort of a
 * million rows costs more than the rewrite): the committed files are in key order and read
 * in turn, so `_part` comes clustered and DuckDB's zone maps skip the other files' rows; a
 * file's changed rows come last.
 */
export function snapshotRowsSql(
  dim: string,
  source: string,
  parts: readonly SnapshotPart[],
  target: string,
  only?: readonly number[],
): string {
  const index = partIndexSql(dim, parts);
  const where = only === undefined ? '' : ` WHERE ${index} IN (${only.join(', ')})`;
  return `CREATE OR REPLACE TEMP TABLE ${target} AS SELECT *, ${index} AS _part FROM ${source}${where}`;
}

/** Rows per `_part` of {@link snapshotRowsSql}'s table. */
export const partRowsSql = (target: string): string =>
  `SELECT _part, count(*) FROM ${target} GROUP BY 1 ORDER BY 1`;

/**
 * Where a file of `rows` members splits: none up to {@link MAX_PART_ROWS}, else the row
 * numbers (0-based, in key order) that start each of `floor(rows / PART_ROWS)` near-equal
 * files after the first, so every file holds PART_ROWS to MAX_PART_ROWS members.
 */
export function splitRows(rows: number): number[] {
  if (rows <= MAX_PART_ROWS) return [];
  const n = Math.floor(rows / PART_ROWS);
  return Array.from({ length: n - 1 }, (_, c) => Math.ceil(((c + 1) * rows) / n));
}

/** The key ordinals of the members at row numbers `at` of file `part` in {@link snapshotRowsSql}'s table. */
export function ordinalsAtSql(dim: string, target: string, part: number, at: readonly number[]): string {
  const key = ident(warehouseTable(dim).naturalKey);
  return `SELECT o FROM (SELECT ${keyOrdinalSql(dim)} AS o, row_number() OVER (ORDER BY ${key}) - 1 AS rn FROM ${target} WHERE _part = ${part}) WHERE rn IN (${at.join(', ')}) ORDER BY o`;
}

/** One file of the new snapshot: copied from the committed one, or written from rows of `part`. */
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
      /** The ordinals of its rows: at least `lo`, below `hi` (unbounded when absent) within `part`. */
      readonly lo?: number | undefined;
      readonly hi?: number | undefined;
      readonly rows: number;
    };

/** A file a rewritten part becomes. */
export interface Chunk {
  readonly part: number;
  /** The key ordinal of its first member; absent for the part's first chunk. */
  readonly first?: number | undefined;
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
      planned.push({
        kind: 'write',
        from: i === 0 ? p.from : c.first,
        part: idx,
        lo: i === 0 ? undefined : c.first,
        hi: mine[i + 1]?.first,
        rows: c.rows,
      });
    }
  }
  return planned;
}
