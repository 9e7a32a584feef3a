import type { Client } from 'pg';
import { ident, type WarehouseTableDef, warehousePgType } from '../kernel/schema';
import {
  ANALYZE_MIN_ROWS,
  analyzeSql,
  columnList,
  copyParquet,
  guarded,
  logTable,
  stagingName,
  type TableBatch,
} from './table-batch';

/**
 * Upserts a dimension's rows through a staging table; rows written = rows inserted or
 * changed. A dimension that is still empty (the initial load) takes its rows straight from
 * COPY: there is nothing to conflict with, and the staging copy and the upsert's conflict
 * checks would cost twice the COPY (1.4 M `dim_transaction` rows at scale).
 */
export async function applyDimension(batch: TableBatch): Promise<number> {
  const { deps, table } = batch;
  const started = Date.now();
  if (await guarded(batch, () => isEmpty(deps.warehouse, table))) {
    const copied = await copyParquet(batch, 'table');
    if (copied >= ANALYZE_MIN_ROWS) await guarded(batch, () => deps.warehouse.query(analyzeSql(table)));
    logTable(batch, { mode: 'copy into empty table', rows: copied, copyMs: Date.now() - started });
    return copied;
  }
  await guarded(batch, () => deps.warehouse.query(createStagingSql(table)));
  await copyParquet(batch, 'staging');
  const staged = Date.now();
  const written = await guarded(
    batch,
    async () => (await deps.warehouse.query(upsertDimensionSql(table))).rowCount ?? 0,
  );
  logTable(batch, { mode: 'upsert', rows: written, copyMs: staged - started, applyMs: Date.now() - staged });
  return written;
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

/** True when `table` has no row (in this transaction's view). */
async function isEmpty(warehouse: Client, table: WarehouseTableDef): Promise<boolean> {
  const { rows } = await warehouse.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM ${ident(table.name)}) AS empty`,
  );
  return rows[0]?.empty ?? false;
}
