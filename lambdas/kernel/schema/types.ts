/**
 * Logical column types. Every physical type (PostgreSQL source, PostgreSQL warehouse,
 * DuckDB/Parquet, Glue/Athena) is derived from these in one place: {@link ./physical.ts}.
 *
 * - `int`: 32-bit integer (`integer`, Parquet INT32).
 * - `serial`: auto-numbered 32-bit integer primary key.
 * - `text`: UTF-8 string.
 * - `money`: `numeric(10,2)`, exact; Parquet DECIMAL(10,2).
 * - `timestamp`: `timestamp(3)` without time zone, millisecond precision.
 * - `date`: calendar date.
 * - `date_text`: a `YYYY-MM-DD` date stored as `text` in the source (a totesys quirk).
 * - `time`: time of day; `time` in the warehouse, `HH:MM:SS.fff` string in the lake (Athena has no TIME).
 * - `boolean`.
 * - `enum`: a PostgreSQL enum in the source; values in {@link ColumnDef.enumValues}.
 */
export type LogicalType =
  | 'int'
  | 'serial'
  | 'text'
  | 'money'
  | 'timestamp'
  | 'date'
  | 'date_text'
  | 'time'
  | 'boolean'
  | 'enum';

/** What happens to a referencing row when the referenced source row is deleted. */
export type OnDelete = 'NO ACTION' | 'SET NULL' | 'CASCADE';

/** One column of a source or warehouse table. */
export interface ColumnDef {
  readonly name: string;
  readonly type: LogicalType;
  /** @default false */
  readonly nullable?: boolean;
  /** Name of the PostgreSQL enum type and its labels, for `type: 'enum'`. */
  readonly enumType?: string;
  readonly enumValues?: readonly string[];
  /** Foreign key to another table of the same database. */
  readonly references?: { readonly table: string; readonly column: string; readonly onDelete?: OnDelete };
  /** What the column means, for analysts (Glue column comments, README). */
  readonly comment?: string;
}

/** A table of the operational `totesys` database. */
export interface SourceTableDef {
  readonly name: string;
  /** Single-column integer primary key (true of every totesys table). */
  readonly primaryKey: string;
  readonly columns: readonly ColumnDef[];
}

/** A star-schema table, identical in the curated lake zone and in the warehouse. */
export interface WarehouseTableDef {
  readonly name: string;
  readonly kind: 'dimension' | 'fact';
  /**
   * Dimensions: the natural key (primary key in the warehouse, one row per value).
   * Facts: the source row id; many rows per id (one per observed version).
   */
  readonly naturalKey: string;
  /** Facts only: the SERIAL surrogate primary key assigned by the warehouse. */
  readonly surrogateKey?: string;
  /** Facts only: the source table whose versions become fact rows. */
  readonly sourceTable?: string;
  /** Columns as stored in the lake and in the warehouse (without the surrogate key). */
  readonly columns: readonly ColumnDef[];
  /**
   * Columns only the warehouse holds, after {@link columns}: filled by the load, so not in
   * the curated Parquet, the Glue tables or the local views.
   */
  readonly loadColumns?: readonly ColumnDef[];
  readonly comment: string;
}
