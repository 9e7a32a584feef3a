import { ident, type WarehouseTableDef, warehousePgType } from '../kernel/schema';

/**
 * SQL the loader runs, generated from the schema module: identifiers only through `ident()`,
 * values never inlined (they travel through COPY).
 */

/** Name of the staging table of `table`; TEMP, dropped at commit. */
export const stagingName = (table: WarehouseTableDef): string => ident(`stage_${table.name}`);

const columnList = (table: WarehouseTableDef): string => table.columns.map((c) => ident(c.name)).join(', ');

/** The curated columns, then the columns only the warehouse has (`loadColumns`): what COPY fills. */
const loadedColumnList = (table: WarehouseTableDef): string =>
  [...table.columns, ...(table.loadColumns ?? [])].map((c) => ident(c.name)).join(', ');

/**
 * The value the load writes into a warehouse-only column for the rows of transform batch
 * `seq` (DuckDB SQL): the batch itself for `batch_seq`.
 */
function loadColumnValue(column: string, seq: number): string {
  if (column === 'batch_seq') return `${Math.trunc(seq)}::INTEGER`;
  throw new RangeError(`the load does not know how to fill warehouse column ${column}`);
}

/**
 * A TEMP staging table with the curated columns and warehouse types but no constraints, so
 * COPY takes the batch as it is and the constraints of the real table judge it on insert.
 */
export function createStagingSql(table: WarehouseTableDef): string {
  const columns = table.columns.map((c) => `${ident(c.name)} ${warehousePgType(c.type)}`).join(', ');
  return `CREATE TEMP TABLE ${stagingName(table)} (${columns}) ON COMMIT DROP`;
}

/**
 * `COPY … FROM STDIN` in CSV, the format DuckDB writes (NULL unquoted-empty, '' quoted), into
 * the staging table of `table` or, with `into: 'table'`, straight into the table itself (fact
 * versions, and the rows of a dimension that is still empty).
 */
export function copySql(table: WarehouseTableDef, into: 'staging' | 'table' = 'staging'): string {
  if (into === 'staging' && table.loadColumns?.length) {
    throw new RangeError(
      `${table.name} has warehouse-only columns (${table.loadColumns.map((c) => c.name).join(', ')}); it is copied into the table, never staged`,
    );
  }
  const target = into === 'staging' ? stagingName(table) : ident(table.name);
  const columns = into === 'table' ? loadedColumnList(table) : columnList(table);
  return `COPY ${target} (${columns}) FROM STDIN (FORMAT csv)`;
}

/**
 * Upserts a dimension snapshot: new keys are inserted, existing keys updated only when a
 * value differs (so an unchanged row is not rewritten). Keys missing from the snapshot are
 * kept: old facts still refer to them.
 */
export function upsertDimensionSql(table: WarehouseTableDef): string {
  const key = ident(table.naturalKey);
  const values = table.columns.filter((c) => c.name !== table.naturalKey).map((c) => ident(c.name));
  const target = ident(table.name);
  const insert = `INSERT INTO ${target} AS t (${columnList(table)}) SELECT ${columnList(table)} FROM ${stagingName(table)}`;
  if (values.length === 0) return `${insert} ON CONFLICT (${key}) DO NOTHING`;
  const set = values.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  const old = values.map((c) => `t.${c}`).join(', ');
  const next = values.map((c) => `EXCLUDED.${c}`).join(', ');
  return `${insert} ON CONFLICT (${key}) DO UPDATE SET ${set} WHERE (${old}) IS DISTINCT FROM (${next})`;
}

/**
 * The order of a fact table's versions: source id, then observation time. Fact CSV is written
 * in this order so the SERIAL surrogate key, drawn row by row as COPY inserts, numbers the
 * versions of a source row in the order they happened (it breaks ties in the current-state
 * views).
 */
export const versionOrder = (table: WarehouseTableDef): readonly string[] => [
  table.naturalKey,
  'observed_at',
];

/** Refreshes the planner statistics of a table after a large load (row counts, value spread). */
export const analyzeSql = (table: WarehouseTableDef): string => `ANALYZE ${ident(table.name)}`;

/** A foreign key of a warehouse table, as the schema module's `references` defines it. */
export interface ForeignKey {
  /** PostgreSQL's default name, `<table>_<column>_fkey`, which the migrations keep. */
  readonly name: string;
  readonly table: string;
  readonly column: string;
  readonly refTable: string;
  readonly refColumn: string;
}

/** The foreign keys of `table` (facts → dimensions). */
export function foreignKeys(table: WarehouseTableDef): ForeignKey[] {
  return table.columns.flatMap((c) =>
    c.references
      ? [
          {
            name: `${table.name}_${c.name}_fkey`,
            table: table.name,
            column: c.name,
            refTable: c.references.table,
            refColumn: c.references.column,
          },
        ]
      : [],
  );
}

/** Drops a foreign key (inside the batch transaction; re-added before commit). */
export const dropForeignKeySql = (fk: ForeignKey): string =>
  `ALTER TABLE ${ident(fk.table)} DROP CONSTRAINT ${ident(fk.name)}`;

/** Adds a foreign key back; PostgreSQL validates it with one set-based query over the table. */
export const addForeignKeySql = (fk: ForeignKey): string =>
  `ALTER TABLE ${ident(fk.table)} ADD CONSTRAINT ${ident(fk.name)} FOREIGN KEY (${ident(fk.column)}) REFERENCES ${ident(fk.refTable)} (${ident(fk.refColumn)})`;

/**
 * DuckDB statement that reads the Parquet files of one table and writes the CSV for COPY,
 * columns in schema order, fact versions in {@link versionOrder}, followed by the values of
 * the warehouse-only columns for transform batch `seq` (the order of {@link copySql} into the
 * table; without `seq`, the curated columns only). Explicit columns: a file missing one fails here, by name. No temporary file: the
 * target may be a named pipe that COPY reads while DuckDB writes.
 */
export function parquetToCsvSql(
  table: WarehouseTableDef,
  parquetPaths: readonly string[],
  csvPath: string,
  seq?: number,
): string {
  const files = parquetPaths.map(duckString).join(', ');
  const loaded = seq === undefined ? [] : (table.loadColumns ?? []);
  const select = [
    ...table.columns.map((c) => ident(c.name)),
    ...loaded.map((c) => `${loadColumnValue(c.name, seq ?? 0)} AS ${ident(c.name)}`),
  ].join(', ');
  const order = table.kind === 'fact' ? ` ORDER BY ${versionOrder(table).map(ident).join(', ')}` : '';
  return `COPY (SELECT ${select} FROM read_parquet([${files}], hive_partitioning = false)${order}) TO ${duckString(csvPath)} (FORMAT csv, HEADER false, USE_TMP_FILE false)`;
}

/** A DuckDB string literal (file paths cannot be bound as parameters in COPY). */
const duckString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * An index of a fact table as the warehouse catalog defines it: dropped before a bulk append
 * and rebuilt after it, exactly as it was (building an index over sorted rows costs a
 * fraction of maintaining it row by row during COPY).
 */
export interface TableIndex {
  readonly name: string;
  /** `CREATE INDEX …` as PostgreSQL renders it, for an index that no constraint owns. */
  readonly definition: string;
  /** For the index of a primary key or unique constraint: the constraint's definition. */
  readonly constraint: string | null;
}

/**
 * The indexes of table `$1` that a bulk append may rebuild: all but those of a constraint
 * another table's foreign key depends on (dropping it would fail, or drop that key).
 */
export const tableIndexesSql = `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
       pg_get_constraintdef(k.oid) AS constraint
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u')
 WHERE i.indrelid = to_regclass($1)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
 ORDER BY c.relname`;

/** Drops an index, or the constraint that owns it (inside the batch transaction). */
export const dropIndexSql = (table: WarehouseTableDef, index: TableIndex): string =>
  index.constraint === null
    ? `DROP INDEX ${ident(index.name)}`
    : `ALTER TABLE ${ident(table.name)} DROP CONSTRAINT ${ident(index.name)}`;

/** Rebuilds an index dropped by {@link dropIndexSql}, under the same name and definition. */
export const createIndexSql = (table: WarehouseTableDef, index: TableIndex): string =>
  index.constraint === null
    ? index.definition
    : `ALTER TABLE ${ident(table.name)} ADD CONSTRAINT ${ident(index.name)} ${index.constraint}`;
