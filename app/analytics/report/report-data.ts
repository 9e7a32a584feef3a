import type { Client } from 'pg';
import { readIngestState } from '../../../lambdas/kernel/lake/documents/ingest-state';
import {
  committedTransformSeq,
  readIngestManifest,
  readTransformManifest,
} from '../../../lambdas/kernel/lake/documents/manifests';
import { readTransformState } from '../../../lambdas/kernel/lake/documents/transform-state';
import type { LakeStore } from '../../../lambdas/kernel/lake/lake-store';
import { ident, warehouseTables } from '../../../lambdas/kernel/schema';
import { lineage } from '../../../lambdas/kernel/schema/lineage';
import { type FreshnessWindow, freshnessWindow } from '../freshness-window';
import { WarehouseNotReadyError } from './errors';
import { isMonthEnd, previousMonth } from './format';

/** Money is exact decimal text, as the warehouse holds it (`"23912345.50"`); counts are numbers. */
export type Money = string;

/** Sales of one month in one currency. */
export interface MonthSales {
  /** `YYYY-MM`. */
  readonly month: string;
  readonly currency: string;
  readonly orders: number;
  readonly units: number;
  readonly value: Money;
}

/** A key figure of one period next to the period before. */
export interface Kpi {
  readonly id: string;
  readonly label: string;
  /** Set for money; counts have none. */
  readonly currency?: string;
  /** `YYYY-MM` of the figure, and of the one it is compared with. */
  readonly period: string;
  readonly previousPeriod: string;
  /** A count, or exact money text. */
  readonly value: number | Money;
  readonly previousValue: number | Money;
}

/** A country's sales in one currency, ranked; `country: null` sums the countries below the top. */
export interface CountrySales {
  readonly currency: string;
  readonly rank: number;
  readonly country: string | null;
  /** Countries in this row: 1, or how many the "other countries" row sums. */
  readonly countries: number;
  readonly orders: number;
  readonly value: Money;
}

/** A design's sales in one currency, ranked by value (names repeat: the id tells designs apart). */
export interface DesignSales {
  readonly currency: string;
  readonly rank: number;
  readonly designId: number;
  readonly designName: string;
  readonly orders: number;
  readonly units: number;
  readonly value: Money;
}

/** Unpaid payments of one kind, ageing bucket and currency, as of the report's day. */
export interface AgeingBucket {
  readonly transactionType: string;
  /** 0 = not yet due, 1 = 1–30 days overdue … 4 = over 90 days. */
  readonly bucketOrder: number;
  readonly bucket: string;
  readonly currency: string;
  readonly payments: number;
  readonly amount: Money;
}

/** How fresh one warehouse table is. */
export interface TableFreshness {
  readonly table: string;
  readonly rows: number;
  /** When a loaded batch last wrote rows to the table (ISO), or null if never. */
  readonly lastLoadedAt: string | null;
  /** Facts only: the newest `observed_at` (when the pipeline captured the change). */
  readonly lastObservedAt: string | null;
  /** When the source was read for what the table holds (ISO), or null before the first load. */
  readonly currentAsOf: string | null;
  /** Minutes from `currentAsOf` to the report's time. */
  readonly ageMinutes: number | null;
  readonly stale: boolean;
  /** Why it is stale, for people. */
  readonly reason?: string;
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
  /** When the source was read for the newest data the warehouse holds (ISO), or null. */
  readonly warehouseAsOf: string | null;
}

/** Everything the report shows, read once, rendered without further queries. */
export interface ReportData {
  readonly generatedAt: string;
  /** The day the report is about (YYYY-MM-DD): payments are aged against it. */
  readonly asOf: string;
  /** Why that day: given, or the newest change in the data. */
  readonly asOfSource: 'option' | 'data' | 'clock';
  /** Currencies with sales, most orders first. */
  readonly currencies: readonly string[];
  readonly salesByMonth: readonly MonthSales[];
  /** The as-of day's month when the data does not cover it to its end. */
  readonly partialMonth: { readonly month: string; readonly through: string } | null;
  readonly kpis: readonly Kpi[];
  readonly topCountries: readonly CountrySales[];
  readonly topDesigns: readonly DesignSales[];
  readonly ageing: readonly AgeingBucket[];
  readonly freshnessWindow: FreshnessWindow;
  readonly freshness: readonly TableFreshness[];
  readonly pipeline: PipelineState;
}

/** What collecting the report needs: the warehouse, the lake (for its state), a clock. */
export interface ReportDeps {
  readonly warehouse: Client;
  readonly lake: LakeStore;
  readonly clock?: () => Date;
  /** @default the newest day any fact was updated (the day the data runs to) */
  readonly asOf?: string;
  /** @default the configured window (cdk.json `freshnessMinutes`) */
  readonly freshnessMinutes?: number;
  /** How many countries and designs each currency shows. @default 10 */
  readonly top?: number;
}

/**
 * Reads what the report shows from the warehouse views (the same answers QuickSight and the
 * named Athena queries give) and the lake's committed state.
 *
 * @throws {WarehouseNotReadyError} when the warehouse has not been migrated yet.
 */
export async function collectReportData(deps: ReportDeps): Promise<ReportData> {
  const now = (deps.clock ?? (() => new Date()))();
  const top = deps.top ?? 10;
  const db = deps.warehouse;
  await requireViews(db);
  // One client runs one query at a time: read in sequence.
  const dataDay = await newestDataDay(db);
  const asOf = deps.asOf ?? dataDay ?? now.toISOString().slice(0, 10);
  const asOfSource = deps.asOf ? 'option' : dataDay ? 'data' : 'clock';
  const salesByMonth = await readSalesByMonth(db);
  const currencies = currencyOrder(salesByMonth);
  const topCountries = await readTopCountries(db, top);
  const topDesigns = await readTopDesigns(db, top);
  const ageing = await readAgeing(db, asOf);
  const pipeline = await readPipelineState(db, deps.lake);
  const window = freshnessWindow(deps.freshnessMinutes);
  const freshness = await readFreshness(db, deps.lake, pipeline, window, now);
  const asOfMonth = asOf.slice(0, 7);
  return {
    generatedAt: now.toISOString(),
    asOf,
    asOfSource,
    currencies,
    salesByMonth,
    partialMonth: isMonthEnd(asOf) ? null : { month: asOfMonth, through: asOf },
    kpis: kpis(salesByMonth, currencies, previousMonth(asOfMonth)),
    topCountries,
    topDesigns,
    ageing,
    freshnessWindow: window,
    freshness,
    pipeline,
  };
}

async function requireViews(warehouse: Client): Promise<void> {
  const { rows } = await warehouse.query<{ ready: boolean }>(
    `SELECT to_regclass('v_design_sales') IS NOT NULL
        AND to_regprocedure('unpaid_payments_ageing(date)') IS NOT NULL
        AND to_regclass('etl.load_log') IS NOT NULL AS ready`,
  );
  if (!rows[0]?.ready) {
    throw new WarehouseNotReadyError(
      'the warehouse has no report views yet: run "totes load" (or "totes run") first to migrate and load it',
    );
  }
}

/** The newest day any fact version was updated in the source: the day the data runs to. */
async function newestDataDay(warehouse: Client): Promise<string | null> {
  const { rows } = await warehouse.query<{ day: string | null }>(
    `SELECT to_char(max(day), 'YYYY-MM-DD') AS day FROM (
       SELECT max(last_updated_date) AS day FROM fact_sales_order
       UNION ALL SELECT max(last_updated_date) FROM fact_purchase_order
       UNION ALL SELECT max(last_updated_date) FROM fact_payment) d`,
  );
  return rows[0]?.day ?? null;
}

async function readSalesByMonth(warehouse: Client): Promise<MonthSales[]> {
  const { rows } = await warehouse.query<{
    month: string;
    currency: string;
    orders: string;
    units: string;
    value: string;
  }>(
    `SELECT to_char(month, 'YYYY-MM') AS month, currency_code AS currency, orders, units_sold AS units,
            sales_value::text AS value
       FROM v_sales_by_month ORDER BY month, currency_code`,
  );
  return rows.map((r) => ({
    month: r.month,
    currency: r.currency,
    orders: Number(r.orders),
    units: Number(r.units),
    value: r.value,
  }));
}

/** Currencies by number of orders, most first (then by code). */
function currencyOrder(sales: readonly MonthSales[]): string[] {
  const orders = new Map<string, number>();
  for (const s of sales) orders.set(s.currency, (orders.get(s.currency) ?? 0) + s.orders);
  return [...orders.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
}

/** Adds exact decimal texts (money) without floating point: in hundredths, as bigints. */
export function addMoney(values: readonly Money[]): Money {
  const cents = values.reduce((sum, v) => {
    const [whole = '0', fraction = ''] = v.replace('-', '').split('.');
    const abs = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2));
    return sum + (v.startsWith('-') ? -abs : abs);
  }, 0n);
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** The last full month before the as-of day's, against the month before it. */
function kpis(sales: readonly MonthSales[], currencies: readonly string[], period: string): Kpi[] {
  const previous = previousMonth(period);
  const of = (month: string) => sales.filter((s) => s.month === month);
  const total = (month: string, pick: (s: MonthSales) => number) =>
    of(month).reduce((n, s) => n + pick(s), 0);
  const value = (month: string, currency: string) =>
    addMoney(
      of(month)
        .filter((s) => s.currency === currency)
        .map((s) => s.value),
    );
  return [
    {
      id: 'orders',
      label: 'Orders',
      period,
      previousPeriod: previous,
      value: total(period, (s) => s.orders),
      previousValue: total(previous, (s) => s.orders),
    },
    {
      id: 'units',
      label: 'Units sold',
      period,
      previousPeriod: previous,
      value: total(period, (s) => s.units),
      previousValue: total(previous, (s) => s.units),
    },
    ...currencies.map((currency) => ({
      id: `sales-${currency}`,
      label: `Sales value, ${currency}`,
      currency,
      period,
      previousPeriod: previous,
      value: value(period, currency),
      previousValue: value(previous, currency),
    })),
  ];
}

async function readTopCountries(warehouse: Client, top: number): Promise<CountrySales[]> {
  const { rows } = await warehouse.query<{
    currency: string;
    rank: number;
    country: string | null;
    countries: string;
    orders: string;
    value: string;
  }>(
    `WITH by_country AS (
       SELECT currency_code, delivery_country, sum(orders) AS orders, sum(sales_value) AS value
         FROM v_sales_by_delivery_location GROUP BY currency_code, delivery_country
     ),
     ranked AS (
       SELECT *, row_number() OVER (PARTITION BY currency_code ORDER BY value DESC, delivery_country) AS rank
         FROM by_country
     )
     SELECT currency_code AS currency, least(rank, $1 + 1)::int AS rank,
            CASE WHEN rank <= $1 THEN delivery_country END AS country,
            count(*) AS countries, sum(orders)::bigint AS orders, sum(value)::text AS value
       FROM ranked
      GROUP BY currency_code, least(rank, $1 + 1), CASE WHEN rank <= $1 THEN delivery_country END
      ORDER BY currency_code, rank`,
    [top],
  );
  return rows.map((r) => ({
    currency: r.currency,
    rank: r.rank,
    country: r.country,
    countries: Number(r.countries),
    orders: Number(r.orders),
    value: r.value,
  }));
}

async function readTopDesigns(warehouse: Client, top: number): Promise<DesignSales[]> {
  const { rows } = await warehouse.query<{
    currency: string;
    rank: string;
    design_id: number;
    design_name: string;
    orders: string;
    units: string;
    value: string;
  }>(
    `SELECT currency_code AS currency, sales_rank AS rank, design_id, design_name, orders,
            units_sold AS units, sales_value::text AS value
       FROM v_design_sales WHERE sales_rank <= $1 ORDER BY currency_code, sales_rank`,
    [top],
  );
  return rows.map((r) => ({
    currency: r.currency,
    rank: Number(r.rank),
    designId: r.design_id,
    designName: r.design_name,
    orders: Number(r.orders),
    units: Number(r.units),
    value: r.value,
  }));
}

async function readAgeing(warehouse: Client, asOf: string): Promise<AgeingBucket[]> {
  const { rows } = await warehouse.query<{
    transaction_type: string;
    bucket_order: number;
    ageing_bucket: string;
    currency_code: string;
    payments: string;
    amount: string;
  }>(
    `SELECT transaction_type, bucket_order, ageing_bucket, currency_code, payments, amount::text AS amount
       FROM unpaid_payments_ageing($1::date) ORDER BY transaction_type DESC, bucket_order, currency_code`,
    [asOf],
  );
  return rows.map((r) => ({
    transactionType: r.transaction_type,
    bucketOrder: r.bucket_order,
    bucket: r.ageing_bucket,
    currency: r.currency_code,
    payments: Number(r.payments),
    amount: r.amount,
  }));
}

async function readPipelineState(warehouse: Client, lake: LakeStore): Promise<PipelineState> {
  const { state: ingest } = await readIngestState(lake);
  const { state: transform } = await readTransformState(lake);
  const transformSeq = await committedTransformSeq(lake);
  const loadedRows = await warehouse.query<{ seq: number | null }>(
    'SELECT max(batch_seq) AS seq FROM etl.load_log',
  );
  const loadedSeq = loadedRows.rows[0]?.seq ?? 0;
  const caughtUp = loadedSeq === transformSeq && transform.ingestSeq === ingest.seq;
  // Caught up: the warehouse holds what the last read of the source saw (even a read that found
  // no change). Behind: what the newest ingest run of the last loaded batch saw.
  const warehouseAsOf =
    loadedSeq === 0
      ? null
      : caughtUp
        ? (ingest.lastReadAt ?? null)
        : (await readIngestManifest(lake, (await readTransformManifest(lake, loadedSeq)).ingestSeqs.to))
            .extractedAt;
  return {
    ingestSeq: ingest.seq,
    lastIngestAt: ingest.lastReadAt ?? null,
    transformSeq,
    loadedSeq,
    batchesWaiting: Math.max(0, transformSeq - loadedSeq),
    warehouseAsOf,
  };
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`;

/**
 * Per table: rows, the last load that changed it and how old its data is against the window.
 * A table is stale when the warehouse's data is older than the window, or when one of its
 * source tables was not read by the last ingest run (it keeps its own, older capture point).
 */
async function readFreshness(
  warehouse: Client,
  lake: LakeStore,
  pipeline: PipelineState,
  window: FreshnessWindow,
  now: Date,
): Promise<TableFreshness[]> {
  const { rows: loads } = await warehouse.query<{ table_name: string; last_loaded_at: string }>(
    `SELECT t.key AS table_name, to_char(max(l.loaded_at) AT TIME ZONE 'UTC', ${ISO}) AS last_loaded_at
       FROM etl.load_log l CROSS JOIN LATERAL jsonb_each_text(l.row_counts) t
      WHERE t.value::bigint > 0 GROUP BY t.key`,
  );
  const loaded = new Map(loads.map((r) => [r.table_name, r.last_loaded_at]));
  const { state: ingest } = await readIngestState(lake);
  const behind = new Set(
    Object.entries(ingest.tables)
      .filter(
        ([, t]) => t.horizon !== undefined && ingest.horizon !== undefined && t.horizon !== ingest.horizon,
      )
      .map(([name]) => name),
  );
  const asOf = pipeline.warehouseAsOf;
  const age = asOf === null ? null : Math.max(0, (now.getTime() - Date.parse(asOf)) / 60_000);
  const freshness: TableFreshness[] = [];
  for (const table of warehouseTables) {
    const observed = table.kind === 'fact' ? `to_char(max(observed_at), ${ISO})` : 'NULL';
    const { rows } = await warehouse.query<{ n: string; observed: string | null }>(
      `SELECT count(*) AS n, ${observed} AS observed FROM ${ident(table.name)}`,
    );
    const skipped = lineage(table.name).sources.filter((s) => behind.has(s));
    const reason =
      age === null
        ? 'never loaded'
        : skipped.length > 0
          ? `source table ${skipped.join(', ')} was not read by the last ingest run`
          : age > window.minutes
            ? `data is ${Math.round(age)} min old, beyond the ${window.minutes}-minute window`
            : undefined;
    freshness.push({
      table: table.name,
      rows: Number(rows[0]?.n ?? 0),
      lastLoadedAt: loaded.get(table.name) ?? null,
      lastObservedAt: rows[0]?.observed ?? null,
      currentAsOf: asOf,
      ageMinutes: age === null ? null : Math.round(age),
      stale: reason !== undefined,
      ...(reason ? { reason } : {}),
    });
  }
  return freshness;
}
