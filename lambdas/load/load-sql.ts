import { ident, type WarehouseTableDef, warehousePgType } from '../shared/schema';

/**
 * SQL the loader runs, generated from the schema module: identifiers only through `ident()`,
 * values never inlined (they travel through COPY).
 */

/** Name of the staging table of `table`; TEMP, dropped at commit. */
export const stagingName = (table: WarehouseTableDef): string => ident(`stage_${table.name}`);

const columnList = (table: WarehouseTableDef): string => table.columns.map((c) => ident(c.name)).join(', ');

/**
 * A TEMP staging table with the curated columns and warehouse types but no constraints, so
 * COPY takes the batch as it is and the constraints of the real table judge it on insert.
 */
export function createStagingSql(table: WarehouseTableDef): string {
  const columns = table.columns.map((c) => `${ident(c.name)} ${warehousePgType(c.type)}`).join(', ');
  return `CREATE TEMP TABLE ${stagingName(table)} (${columns}) ON COMMIT DROP`;
}

/** `COPY … FROM STDIN` in CSV, the format DuckDB writes (NULL unquoted-empty, '' quoted). */
export function copySql(table: WarehouseTableDef): string {
  return `COPY ${stagingName(table)} (${columnList(table)}) FROM STDIN (FORMAT csv)`;
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
 * Appends a batch's fact versions. The SERIAL surrogate key numbers them in version order
 * (source id, then observation time), which breaks ties in the current-state views.
 */
export function appendFactSql(table: WarehouseTableDef): string {
  const order = [table.naturalKey, 'observed_at'].map(ident).join(', ');
  return `INSERT INTO ${ident(table.name)} (${columnList(table)}) SELECT ${columnList(table)} FROM ${stagingName(table)} ORDER BY ${order}`;
}

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
 * columns in schema order. Explicit columns: a file missing one fails here, by name.
 */
export function parquetToCsvSql(
  table: WarehouseTableDef,
  parquetPaths: readonly string[],
  csvPath: string,
): string {
  const files = parquetPaths.map(duckString).join(', ');
  const select = table.columns.map((c) => ident(c.name)).join(', ');
  return `COPY (SELECT ${select} FROM read_parquet([${files}], hive_partitioning = false)) TO ${duckString(csvPath)} (FORMAT csv, HEADER false)`;
}

/** A DuckDB string literal (file paths cannot be bound as parameters in COPY). */
const duckString = (value: string): string => `'${value.replaceAll("'", "''")}'`;
