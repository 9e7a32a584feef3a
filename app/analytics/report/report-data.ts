import type { Client } from 'pg';
import {
  committedIngestSeq,
  committedTransformSeq,
  readIngestManifest,
} from '../../../lambdas/kernel/lake/documents/manifests';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import { ident, warehouseTables } from '../../../lambdas/kernel/schema';
import { WarehouseNotReadyError } from './errors';

/** Sales value of one month in one currency. */
export interface MonthSales {
  readonly month: string;
  readonly currency: string;
  readonly orders: number;
  readonly value: number;
}

/** Units sold of one design. */
export interface DesignSales {
  readonly rank: number;
  readonly design: string;
  readonly units: number;
}

/** Sales value delivered to one country in one currency. */
export interface CountrySales {
  readonly country: string;
  readonly currency: string;
  readonly value: number;
}

/** Unpaid payments of one kind, status and currency. */
export interface OutstandingPayments {
  readonly transactionType: string;
  readonly status: 'due' | 'overdue';
  readonly currency: string;
  readonly payments: number;
  readonly amount: number;
}

/** How fresh one warehouse table is. */
export interface TableFreshness {
  readonly table: string;
  readonly rows: number;
  /** When the last batch that changed the table was loaded (ISO), or null if never. */
  readonly lastLoadedAt: string | null;
  /** Facts only: the newest `observed_at` (when the pipeline captured the change). */
  readonly lastObservedAt: string | null;
}

/** Where each stage of the pipeline stands. */
export interface PipelineState {
  readonly ingestSeq: number;
  /** When the last committed ingest run read the source (ISO), or null before the first. */
  readonly lastIngestAt: string | null;
  readonly transformSeq: number;
  readonly loadedSeq: number;
  /** Committed transform batches not yet in the warehouse. */
  readonly batchesWaiting: number;
}

/** Everything the report shows, read once, rendered without further queries. */
export interface ReportData {
  readonly generatedAt: string;
  /** The day payments are judged due or overdue against (YYYY-MM-DD). */
  readonly asOf: string;
  readonly salesByMonth: readonly MonthSales[];
  readonly topDesigns: readonly DesignSales[];
  readonly salesByCountry: readonly CountrySales[];
  readonly outstanding: readonly OutstandingPayments[];
  readonly freshness: readonly TableFreshness[];
  readonly pipeline: PipelineState;
}

/** What collecting the report needs: the warehouse, the lake (for its state), a clock. */
export interface ReportDeps {
  readonly warehouse: Client;
  readonly lake: LakeStore;
  readonly clock?: () => Date;
  /** @default the clock's date (UTC) */
  readonly asOf?: string;
}

/**
 * Reads what the report shows from the warehouse views of warehouse-sql/004 (the same
 * answers QuickSight and the named Athena queries give) and the lake's committed state.
 *
 * @throws {WarehouseNotReadyError} when the warehouse has not been migrated yet.
 */
export async function collectReportData(deps: ReportDeps): Promise<ReportData> {
  const now = (deps.clock ?? (() => new Date()))();
  const asOf = deps.asOf ?? now.toISOString().slice(0, 10);
  await requireViews(deps.warehouse);
  // One client runs one query at a time: read in sequence.
  const salesByMonth = await readSalesByMonth(deps.warehouse);
  const topDesigns = await readTopDesigns(deps.warehouse);
  const salesByCountry = await readSalesByCountry(deps.warehouse);
  const outstanding = await readOutstanding(deps.warehouse, asOf);
  const freshness = await readFreshness(deps.warehouse);
  const pipeline = await readPipelineState(deps.warehouse, deps.lake);
  return {
    generatedAt: now.toISOString(),
    asOf,
    salesByMonth,
    topDesigns,
    salesByCountry,
    outstanding,
    freshness,
    pipeline,
  };
}

async function requireViews(warehouse: Client): Promise<void> {
  const { rows } = await warehouse.query<{ ready: boolean }>(
    `SELECT to_regclass('v_sales_by_month') IS NOT NULL AND to_regclass('etl.load_log') IS NOT NULL AS ready`,
  );
  if (!rows[0]?.ready) {
    throw new WarehouseNotReadyError(
      'the warehouse has no report views yet: run "totes load" (or "totes run") first to migrate and load it',
    );
  }
}

async function readSalesByMonth(warehouse: Client): Promise<MonthSales[]> {
  const { rows } = await warehouse.query<{ month: string; currency: string; orders: string; value: string }>(
    `SELECT to_char(month, 'YYYY-MM') AS month, currency_code AS currency, orders, sales_value AS value
       FROM v_sales_by_month ORDER BY month, currency_code`,
  );
  return rows.map((r) => ({
    month: r.month,
    currency: r.currency,
    orders: Number(r.orders),
    value: Number(r.value),
  }));
}

async function readTopDesigns(warehouse: Client): Promise<DesignSales[]> {
  const { rows } = await warehouse.query<{ rank: string; design: string; units: string }>(
    `SELECT sales_rank AS rank, design_name AS design, units_sold AS units
       FROM v_design_sales WHERE sales_rank <= 10 ORDER BY sales_rank`,
  );
  return rows.map((r) => ({ rank: Number(r.rank), design: r.design, units: Number(r.units) }));
}

async function readSalesByCountry(warehouse: Client): Promise<CountrySales[]> {
  const { rows } = await warehouse.query<{ country: string; currency: string; value: string }>(
    `SELECT delivery_country AS country, currency_code AS currency, sum(sales_value) AS value
       FROM v_sales_by_delivery_location GROUP BY delivery_country, currency_code
      ORDER BY delivery_country, currency_code`,
  );
  return rows.map((r) => ({ country: r.country, currency: r.currency, value: Number(r.value) }));
}

async function readOutstanding(warehouse: Client, asOf: string): Promise<OutstandingPayments[]> {
  const { rows } = await warehouse.query<{
    transaction_type: string;
    status: 'due' | 'overdue';
    currency_code: string;
    payments: string;
    amount: string;
  }>(
    `SELECT transaction_type, status, currency_code, payments, amount
       FROM payments_due_and_overdue($1::date) ORDER BY transaction_type DESC, status DESC, currency_code`,
    [asOf],
  );
  return rows.map((r) => ({
    transactionType: r.transaction_type,
    status: r.status,
    currency: r.currency_code,
    payments: Number(r.payments),
    amount: Number(r.amount),
  }));
}

async function readFreshness(warehouse: Client): Promise<TableFreshness[]> {
  const { rows: loads } = await warehouse.query<{ table_name: string; last_loaded_at: string }>(
    `SELECT t.key AS table_name, to_char(max(l.loaded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_loaded_at
       FROM etl.load_log l CROSS JOIN LATERAL jsonb_each_text(l.row_counts) t
      WHERE t.value::bigint > 0 GROUP BY t.key`,
  );
  const loaded = new Map(loads.map((r) => [r.table_name, r.last_loaded_at]));
  const freshness: TableFreshness[] = [];
  for (const table of warehouseTables) {
    const observed =
      table.kind === 'fact' ? `to_char(max(observed_at), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')` : 'NULL';
    const { rows } = await warehouse.query<{ n: string; observed: string | null }>(
      `SELECT count(*) AS n, ${observed} AS observed FROM ${ident(table.name)}`,
    );
    freshness.push({
      table: table.name,
      rows: Number(rows[0]?.n ?? 0),
      lastLoadedAt: loaded.get(table.name) ?? null,
      lastObservedAt: rows[0]?.observed ?? null,
    });
  }
  return freshness;
}

async function readPipelineState(warehouse: Client, lake: LakeStore): Promise<PipelineState> {
  const ingestSeq = await committedIngestSeq(lake);
  const transformSeq = await committedTransformSeq(lake);
  const loadedRows = await warehouse.query<{ seq: number | null }>(
    'SELECT max(batch_seq) AS seq FROM etl.load_log',
  );
  const loadedSeq = loadedRows.rows[0]?.seq ?? 0;
  const lastIngestAt = ingestSeq > 0 ? (await readIngestManifest(lake, ingestSeq)).extractedAt : null;
  return {
    ingestSeq,
    lastIngestAt,
    transformSeq,
    loadedSeq,
    batchesWaiting: Math.max(0, transformSeq - loadedSeq),
  };
}
