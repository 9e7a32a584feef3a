import type { ReportData, TableFreshness } from './report-data';
import { barChart, type ChartSpec, escapeXml, lineChart, type Series } from './svg-charts';

/** Ids of the report's charts, in page order. */
export const CHART_IDS = [
  'sales-by-month',
  'top-designs',
  'sales-by-country',
  'payments-outstanding',
] as const;

/**
 * Pivots rows into chart series: categories in first-seen order, one series per
 * distinct series key in sorted order, 0 where a category has no row for a series.
 */
export function pivot<T>(
  rows: readonly T[],
  categoryOf: (row: T) => string,
  seriesOf: (row: T) => string,
  amountOf: (row: T) => number,
): { categories: string[]; series: Series[] } {
  const categories = [...new Set(rows.map(categoryOf))];
  const names = [...new Set(rows.map(seriesOf))].sort();
  const series = names.map((name) => ({
    name,
    values: categories.map((c) =>
      rows
        .filter((r) => categoryOf(r) === c && seriesOf(r) === name)
        .reduce((sum, r) => sum + amountOf(r), 0),
    ),
  }));
  return { categories, series };
}

/** The four charts' specifications, from the report data. */
export function chartSpecs(data: ReportData): Record<(typeof CHART_IDS)[number], ChartSpec> {
  const countries = [...data.salesByCountry].sort((a, b) => a.country.localeCompare(b.country));
  return {
    'sales-by-month': {
      id: 'sales-by-month',
      title: 'Sales value by month, per currency',
      ...pivot(
        data.salesByMonth,
        (r) => r.month,
        (r) => r.currency,
        (r) => r.value,
      ),
    },
    'top-designs': {
      id: 'top-designs',
      title: 'Top 10 designs by units sold',
      categories: data.topDesigns.map((d) => `${d.rank}. ${d.design}`),
      series: [{ name: 'units sold', values: data.topDesigns.map((d) => d.units) }],
    },
    'sales-by-country': {
      id: 'sales-by-country',
      title: 'Sales value by delivery country, per currency',
      ...pivot(
        countries,
        (r) => r.country,
        (r) => r.currency,
        (r) => r.value,
      ),
    },
    'payments-outstanding': {
      id: 'payments-outstanding',
      title: `Unpaid payments as of ${data.asOf}, per currency`,
      ...pivot(
        data.outstanding,
        (r) => `${r.transactionType === 'SALE' ? 'owed to us' : 'owed by us'} · ${r.status}`,
        (r) => r.currency,
        (r) => r.amount,
      ),
    },
  };
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 960px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 32px; }
.meta { color: #555; } section { margin-bottom: 24px; }
table { border-collapse: collapse; font-size: 13px; } th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.stale { color: #b00020; font-weight: 600; }
`;

/** Hours between two ISO instants, or null. */
function ageHours(at: string | null, now: string): number | null {
  return at === null ? null : (Date.parse(now) - Date.parse(at)) / 3_600_000;
}

function freshnessRow(t: TableFreshness, now: string): string {
  const age = ageHours(t.lastLoadedAt, now);
  const ageText =
    age === null ? 'never loaded' : age < 1 ? `${Math.round(age * 60)} min` : `${age.toFixed(1)} h`;
  const stale = age === null || age > 24 ? ' class="stale"' : '';
  return `<tr data-table="${t.table}"><td>${t.table}</td><td class="num">${t.rows.toLocaleString('en-GB')}</td><td>${t.lastLoadedAt ?? '—'}</td><td${stale}>${ageText}</td><td>${t.lastObservedAt ?? '—'}</td></tr>`;
}

function freshnessSection(data: ReportData): string {
  const p = data.pipeline;
  const rows = data.freshness.map((t) => freshnessRow(t, data.generatedAt)).join('');
  return `<section id="freshness"><h2>Data freshness</h2>
<p class="meta">Lake: ingest run #${p.ingestSeq} (source read ${escapeXml(p.lastIngestAt ?? 'never')}), transform batch #${p.transformSeq}; warehouse: batch #${p.loadedSeq} loaded${p.batchesWaiting > 0 ? `, <span class="stale">${p.batchesWaiting} batch(es) waiting to load</span>` : ', up to date with the lake'}.</p>
<table><thead><tr><th>table</th><th>rows</th><th>last loaded (UTC)</th><th>age</th><th>newest change captured (UTC)</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/**
 * The whole report: one self-contained HTML page (inline CSS and SVG, no script, no external
 * resource), readable offline and safe to mail or attach to a ticket.
 */
export function renderReport(data: ReportData): string {
  const specs = chartSpecs(data);
  const section = (id: (typeof CHART_IDS)[number], chart: string) =>
    `<section><h2>${escapeXml(specs[id].title)}</h2>${chart}</section>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Terrific Totes — sales and data freshness</title><style>${STYLE}</style></head>
<body><h1>Terrific Totes — sales and data freshness</h1>
<p class="meta">Generated ${escapeXml(data.generatedAt)} from the warehouse (current state of every order and payment). Money is shown per currency, never summed across currencies.</p>
${section('sales-by-month', lineChart(specs['sales-by-month']))}
${section('top-designs', barChart(specs['top-designs']))}
${section('sales-by-country', barChart(specs['sales-by-country']))}
${section('payments-outstanding', barChart(specs['payments-outstanding']))}
${freshnessSection(data)}
</body></html>
`;
}
