import type { ColumnDef, LogicalType } from './types';

/** PostgreSQL type of a column in the `totesys` source database. */
export function sourcePgType(column: ColumnDef): string {
  if (column.type === 'enum') {
    if (!column.enumType) throw new Error(`enum column ${column.name} has no enumType`);
    return column.enumType;
  }
  return pgTypes[column.type];
}

/** PostgreSQL type of a column in the warehouse. */
export function warehousePgType(type: LogicalType): string {
  return type === 'serial' ? 'integer' : type === 'enum' || type === 'date_text' ? 'text' : pgTypes[type];
}

const pgTypes: Record<Exclude<LogicalType, 'enum'>, string> = {
  int: 'integer',
  serial: 'serial',
  text: 'text',
  money: 'numeric(10,2)',
  timestamp: 'timestamp(3)',
  date: 'date',
  date_text: 'text',
  time: 'time(3)',
  boolean: 'boolean',
};

/**
 * DuckDB type of a curated (star-schema) column, which fixes its Parquet type: INT32,
 * DECIMAL(10,2), DATE, TIMESTAMP (millis), UTF8, BOOLEAN. Time of day is a string because
 * Athena has no TIME type.
 */
export function duckdbType(type: LogicalType): string {
  return duckTypes[type];
}

const duckTypes: Record<LogicalType, string> = {
  int: 'INTEGER',
  serial: 'INTEGER',
  text: 'VARCHAR',
  enum: 'VARCHAR',
  date_text: 'VARCHAR',
  money: 'DECIMAL(10,2)',
  timestamp: 'TIMESTAMP_MS',
  date: 'DATE',
  time: 'VARCHAR',
  boolean: 'BOOLEAN',
};

/** Glue/Athena (Hive DDL) type of a curated Parquet column. */
export function glueCuratedType(type: LogicalType): string {
  return glueTypes[type];
}

const glueTypes: Record<LogicalType, string> = {
  int: 'int',
  serial: 'int',
  text: 'string',
  enum: 'string',
  date_text: 'string',
  money: 'decimal(10,2)',
  timestamp: 'timestamp',
  date: 'date',
  time: 'string',
  boolean: 'boolean',
};

/**
 * Glue/Athena type of a raw-zone JSON column. Raw values are kept exactly as the source
 * rendered them: money as a decimal string, timestamps as ISO text with milliseconds.
 */
export function glueRawType(type: LogicalType): string {
  return type === 'int' || type === 'serial' ? 'int' : type === 'boolean' ? 'boolean' : 'string';
}
