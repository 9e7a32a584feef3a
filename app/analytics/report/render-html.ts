import { change, count, dayLabel, escapeXml, exactMoney, money, monthLabel, monthRange } from './format';
import type { AgeingBucket, Kpi, ReportData, TableFreshness } from './report-data';
import { type BarSpec, barChart, type TimeSeriesSpec, timeSeriesChart } from './svg-charts';

/** The ageing buckets, always all five, in order (names as `unpaid_payments_ageing` gives them). */
export const AGEING_BUCKETS = [
  'not yet due',
  '1-30 days overdue',
  '31-60 days overdue',
  '61-90 days overdue',
  'over 90 days overdue',
] as const;

const OWED = { SALE: 'owed to us', PURCHASE: 'owed by us' } as const;

/** The sales-by-month chart of each currency, on one shared axis: first month with sales to the as-of month. */
export function salesByMonthSpecs(data: ReportData): TimeSeriesSpec[] {
  const first = data.salesByMonth[0]?.month;
  const last = [data.salesByMonth.at(-1)?.month ?? '', data.asOf.slice(0, 7)].sort().at(-1) as string;
  const months = first ? monthRange(first, last) : [];
  const partial = data.partialMonth
    ? {
        month: data.partialMonth.month,
        label: `${monthLabel(data.partialMonth.month)} so far: to ${dayLabel(data.partialMonth.through)}`,
      }
    : undefined;
  return data.currencies.map((currency) => ({
    id: `sales-by-month-${currency}`,
    title: `Sales value by month, ${currency}`,
    currency,
    months,
    points: data.salesByMonth
      .filter((s) => s.currency === currency)
      .map((s) => ({ month: s.month, value: Number(s.value), exact: s.value, orders: s.orders })),
    ...(partial ? { partial } : {}),
  }));
}

const one = (name: string, rows: readonly { value: string }[]) => ({
  name,
  values: rows.map((r) => Number(r.value)),
  exact: rows.map((r) => r.value),
});

/** Top countries by sales value, one chart per currency, the rest summed in one row. */
export function topCountrySpecs(data: ReportData): BarSpec[] {
  return data.currencies.map((currency) => {
    const rows = data.topCountries.filter((r) => r.currency === currency);
    return {
      id: `top-countries-${currency}`,
      title: `Top delivery countries by sales value, ${currency}`,
      currency,
      categories: rows.map((r) =>
        r.country === null ? `other countries (${r.countries})` : `${r.rank}. ${r.country}`,
      ),
      series: [one('sales value', rows)],
    };
  });
}

/** Top designs by sales value, one chart per currency; the id follows each name (names repeat). */
export function topDesignSpecs(data: ReportData): BarSpec[] {
  return data.currencies.map((currency) => {
    const rows = data.topDesigns.filter((r) => r.currency === currency);
    return {
      id: `top-designs-${currency}`,
      title: `Top designs by sales value, ${currency}`,
      currency,
      categories: rows.map((r) => `${r.rank}. ${r.designName} (#${r.designId})`),
      series: [one('sales value', rows)],
    };
  });
}

/** Unpaid payments by age on the as-of day, one chart per currency, owed to us and by us. */
export function ageingSpecs(data: ReportData): BarSpec[] {
  const currencies = [...new Set([...data.currencies, ...data.ageing.map((a) => a.currency)])];
  const amount = (rows: readonly AgeingBucket[], type: string, bucket: string) =>
    rows.find((r) => r.transactionType === type && r.bucket === bucket)?.amount ?? '0.00';
  return currencies.map((currency) => {
    const rows = data.ageing.filter((a) => a.currency === currency);
    return {
      id: `payments-ageing-${currency}`,
      title: `Unpaid payments by age on ${dayLabel(data.asOf)}, ${currency}`,
      currency,
      categories: [...AGEING_BUCKETS],
      series: (['SALE', 'PURCHASE'] as const).map((type) => {
        const exact = AGEING_BUCKETS.map((b) => amount(rows, type, b));
        return { name: OWED[type], values: exact.map(Number), exact };
      }),
    };
  });
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 940px; color: #222; padding: 0 12px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin: 30px 0 6px; } h3 { font-size: 14px; margin: 14px 0 2px; color: #333; }
.meta { color: #555; font-size: 13px; } section { margin-bottom: 20px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: 10px 12px; }
.kpi .label { font-size: 12px; color: #555; } .kpi .value { font-size: 22px; font-weight: 600; margin: 4px 0; }
.kpi .change { font-size: 12px; } .up { color: #0a7a3e; } .down { color: #b00020; } .flat { color: #555; }
table { border-collapse: collapse; font-size: 13px; } th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.stale { color: #b00020; font-weight: 600; } .fresh { color: #0a7a3e; }
`;

function kpiTile(kpi: Kpi): string {
  const isMoney = kpi.currency !== undefined;
  const current = Number(kpi.value);
  const previous = Number(kpi.previousValue);
  const shown = isMoney ? money(current, kpi.currency as string) : count(current);
  const full = isMoney
    ? exactMoney(String(kpi.value), kpi.currency as string)
    : current.toLocaleString('en-GB');
  const before = isMoney ? money(previous, kpi.currency as string) : count(previous);
  const delta = change(current, previous);
  const direction = delta.ratio === null || delta.ratio === 0 ? 'flat' : delta.ratio > 0 ? 'up' : 'down';
  return `<div class="kpi" data-kpi="${escapeXml(kpi.id)}" data-value="${escapeXml(String(kpi.value))}" data-previous="${escapeXml(String(kpi.previousValue))}">
<div class="label">${escapeXml(kpi.label)} · ${escapeXml(monthLabel(kpi.period))}</div>
<div class="value${isMoney ? ' amount' : ''}"${isMoney ? ` data-currency="${escapeXml(kpi.currency as string)}"` : ''} title="${escapeXml(full)}">${escapeXml(shown)}</div>
<div class="change ${direction}">${escapeXml(delta.text)} vs ${escapeXml(monthLabel(kpi.previousPeriod))} (<span${isMoney ? ` class="amount" data-currency="${escapeXml(kpi.currency as string)}"` : ''}>${escapeXml(before)}</span>)</div></div>`;
}

function ageText(minutes: number | null): string {
  if (minutes === null) return '—';
  if (minutes < 1) return 'under a minute';
  if (minutes < 120) return `${minutes} min`;
  if (minutes < 48 * 60) return `${(minutes / 60).toFixed(1)} h`;
  return `${Math.round(minutes / 1440)} days`;
}

function freshnessRow(t: TableFreshness): string {
  const status = t.stale
    ? `<td class="stale" data-status="stale">stale: ${escapeXml(t.reason ?? '')}</td>`
    : '<td class="fresh" data-status="fresh">fresh</td>';
  return `<tr data-table="${escapeXml(t.table)}"><td>${escapeXml(t.table)}</td><td class="num">${t.rows.toLocaleString('en-GB')}</td><td>${escapeXml(t.lastLoadedAt ?? 'never')}</td><td>${escapeXml(t.lastObservedAt ?? '—')}</td><td class="num">${ageText(t.ageMinutes)}</td>${status}</tr>`;
}

function freshnessSection(data: ReportData): string {
  const p = data.pipeline;
  const w = data.freshnessWindow;
  const rows = data.freshness.map(freshnessRow).join('');
  return `<section id="freshness"><h2>Data freshness</h2>
<p class="meta">A table is fresh when the source was read at most <b>${w.minutes} minutes</b> before this report for what it holds (${escapeXml(w.source)}; the data-stale alarm uses the same window). The warehouse holds totesys as read at ${escapeXml(p.warehouseAsOf ?? 'never')}. Lake: ingest run #${p.ingestSeq} (source last read ${escapeXml(p.lastIngestAt ?? 'never')}), transform batch #${p.transformSeq}; warehouse: batch #${p.loadedSeq}${p.batchesWaiting > 0 ? `, <span class="stale">${p.batchesWaiting} batch(es) waiting to load</span>` : ', up to date with the lake'}.</p>
<table><thead><tr><th>table</th><th>rows</th><th>last changed by a load (UTC)</th><th>newest version captured (UTC)</th><th>age</th><th>status</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

const panels = <T extends { title: string; currency: string }>(
  specs: readonly T[],
  draw: (spec: T) => string,
) => specs.map((s) => `<h3>${escapeXml(s.currency)}</h3>${draw(s)}`).join('\n');

/**
 * The whole report: one self-contained HTML page (inline CSS and SVG, no script, no external
 * resource), readable offline and safe to mail or attach to a ticket. Every amount carries
 * its currency; money of different currencies is never added, so each money chart has one
 * panel per currency.
 */
export function renderReport(data: ReportData): string {
  const asOfWhy =
    data.asOfSource === 'data'
      ? 'the newest change in the data; --as-of picks another day'
      : data.asOfSource === 'option'
        ? 'as asked'
        : 'today: the warehouse has no data yet';
  const kpiPeriod = data.kpis[0];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Terrific Totes — sales, payments and data freshness</title><style>${STYLE}</style></head>
<body><h1>Terrific Totes — sales, payments and data freshness</h1>
<p class="meta">As of <b id="as-of" data-day="${escapeXml(data.asOf)}">${escapeXml(dayLabel(data.asOf))}</b> (${escapeXml(asOfWhy)}). Generated ${escapeXml(data.generatedAt)} from the warehouse: the current state of every order and payment. Amounts are in their own currency and never added across currencies.</p>
<section id="kpis"><h2>${kpiPeriod ? `${escapeXml(monthLabel(kpiPeriod.period))}, the last full month, against ${escapeXml(monthLabel(kpiPeriod.previousPeriod))}` : 'Key figures'}</h2>
<div class="tiles">${data.kpis.map(kpiTile).join('\n')}</div></section>
<section id="sales-by-month"><h2>Sales value by month</h2>
<p class="meta">One slot per calendar month: a month without sales is a shaded gap; the hatched month is still in progress.</p>
${panels(salesByMonthSpecs(data), (s) => timeSeriesChart(s))}</section>
<section id="top-countries"><h2>Top delivery countries by sales value</h2>
${panels(topCountrySpecs(data), (s) => barChart(s))}</section>
<section id="top-designs"><h2>Top designs by sales value</h2>
<p class="meta">Design names repeat: the number after a name is its design_id.</p>
${panels(topDesignSpecs(data), (s) => barChart(s))}</section>
<section id="payments-ageing"><h2>Unpaid payments by age on ${escapeXml(dayLabel(data.asOf))}</h2>
<p class="meta">Days past the payment date on the as-of day; owed to us are sales, owed by us purchases.</p>
${panels(ageingSpecs(data), (s) => barChart(s))}</section>
${freshnessSection(data)}
</body></html>
`;
}
