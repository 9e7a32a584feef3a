import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_IDS } from '../../../app/analytics/report/render-html';
import { type ReportResult, writeReport } from '../../../app/analytics/report/report';
import { type RealPipeline, runRealPipeline } from '../../support/real-pipeline';
import { dumpDom, screenshot } from './chromium';

/**
 * Appended to a copy of the report (the report itself has no script): after layout, records
 * for each chart how many marks it has and how many the browser actually drew with a size.
 */
const LAYOUT_PROBE = `<script>
window.addEventListener('load', () => {
  const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
    const marks = [...svg.querySelectorAll('.mark')];
    const drawn = marks.filter((m) => { const b = m.getBBox(); return b.width > 0 && b.height > 0; });
    const box = svg.getBoundingClientRect();
    return { id: svg.id, marks: marks.length, drawn: drawn.length, width: box.width, height: box.height };
  });
  document.body.setAttribute('data-layout', JSON.stringify(charts));
});
</script>`;

interface ChartLayout {
  id: string;
  marks: number;
  drawn: number;
  width: number;
  height: number;
}

/** `data-value` of the chart mark for a category and series, from the rendered DOM. */
function markValue(dom: string, chart: string, category: string, series: string): number | undefined {
  const svg = new RegExp(`<svg id="${chart}"[\\s\\S]*?</svg>`).exec(dom)?.[0] ?? '';
  const attr = (s: string) => s.replaceAll('&', '&amp;').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(
    `data-series="${attr(series)}" data-category="${attr(category)}" data-value="([^"]+)"`,
  ).exec(svg);
  return match ? Number(match[1]) : undefined;
}

// One pipeline run over a snapshot: every fact row is the only version of its source row, so
// the direct checks below can sum fact tables without picking the latest version first.
describe('totes report on the real totesys data', () => {
  let pipeline: RealPipeline;
  let report: ReportResult;
  let html: string;
  let dom: string;
  let layout: ChartLayout[];
  const out = join(tmpdir(), `totes-report-${process.pid}.html`);
  const probed = join(tmpdir(), `totes-report-${process.pid}-probed.html`);
  const png = join(tmpdir(), `totes-report-${process.pid}.png`);

  beforeAll(async () => {
    pipeline = await runRealPipeline();
    report = await writeReport(
      { warehouse: pipeline.warehouse, lake: pipeline.lake, asOf: '2024-11-15' },
      out,
    );
    html = await readFile(out, 'utf8');
    await writeFile(probed, html.replace('</body>', `${LAYOUT_PROBE}</body>`));
    dom = await dumpDom(probed);
    layout = JSON.parse(
      (/data-layout="([^"]*)"/.exec(dom)?.[1] ?? '[]').replaceAll('&quot;', '"'),
    ) as ChartLayout[];
  });

  afterAll(async () => {
    if (process.env.KEEP_REPORT) return;
    await Promise.all([out, probed, png].map((f) => rm(f, { force: true })));
    await pipeline?.cleanup();
  });

  it('is one self-contained page: no script, stylesheet, image or font fetched from anywhere', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"\s]+/g) ?? []).toEqual(
      Array(CHART_IDS.length).fill('http://www.w3.org/2000/svg'),
    );
  });

  it('draws all four charts in headless Chromium, every mark with a size', () => {
    expect(layout.map((c) => c.id)).toEqual([...CHART_IDS]);
    for (const chart of layout) {
      expect(chart.width).toBeGreaterThan(500);
      expect(chart.height).toBeGreaterThan(100);
      expect(chart.marks).toBeGreaterThan(0);
    }
    const byId = new Map(layout.map((c) => [c.id, c]));
    const months = new Set(report.data.salesByMonth.map((m) => m.month)).size;
    expect(byId.get('sales-by-month')).toMatchObject({ marks: months * 3, drawn: months * 3 });
    expect(byId.get('top-designs')).toMatchObject({ marks: 10, drawn: 10 });
    expect(byId.get('payments-outstanding')?.drawn).toBe(12);
  });

  it('renders a screenshot of the page', async () => {
    await screenshot(out, png);
    const image = await readFile(png);
    expect(image.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(image.readUInt32BE(16)).toBe(1000);
    expect(image.length).toBeGreaterThan(20_000);
  });

  it("plots October 2024's GBP sales as a direct warehouse query sums them", async () => {
    const { rows } = await pipeline.warehouse.query<{ value: string }>(
      `SELECT sum(f.units_sold * f.unit_price) AS value
         FROM (SELECT DISTINCT ON (sales_order_id) * FROM fact_sales_order
               ORDER BY sales_order_id, observed_at DESC, sales_record_id DESC) f
         JOIN dim_currency c USING (currency_id)
        WHERE NOT f.is_deleted AND c.currency_code = 'GBP'
          AND f.created_date >= '2024-10-01' AND f.created_date < '2024-11-01'`,
    );
    expect(markValue(dom, 'sales-by-month', '2024-10', 'GBP')).toBe(Number(rows[0]?.value));
  });

  it('plots the best-selling design with its units from the warehouse', async () => {
    const { rows } = await pipeline.warehouse.query<{ design_name: string; units: string }>(
      `SELECT d.design_name, sum(f.units_sold) AS units FROM fact_sales_order f JOIN dim_design d USING (design_id)
        WHERE NOT f.is_deleted GROUP BY f.design_id, d.design_name ORDER BY units DESC, f.design_id LIMIT 1`,
    );
    expect(markValue(dom, 'top-designs', `1. ${rows[0]?.design_name}`, 'units sold')).toBe(
      Number(rows[0]?.units),
    );
  });

  it('plots overdue payments owed to us per currency as the warehouse sums them', async () => {
    const { rows } = await pipeline.warehouse.query<{ currency_code: string; amount: string }>(
      `SELECT c.currency_code, sum(p.payment_amount) AS amount
         FROM fact_payment p JOIN dim_transaction t USING (transaction_id) JOIN dim_currency c USING (currency_id)
        WHERE NOT p.paid AND NOT p.is_deleted AND t.transaction_type = 'SALE' AND p.payment_date < '2024-11-15'
        GROUP BY c.currency_code`,
    );
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(markValue(dom, 'payments-outstanding', 'owed to us · overdue', r.currency_code)).toBe(
        Number(r.amount),
      );
    }
  });

  it('sums revenue by country to the warehouse total per currency', async () => {
    const { rows } = await pipeline.warehouse.query<{ currency_code: string; value: string }>(
      `SELECT c.currency_code, sum(f.units_sold * f.unit_price) AS value FROM fact_sales_order f
         JOIN dim_currency c USING (currency_id) WHERE NOT f.is_deleted GROUP BY c.currency_code`,
    );
    const svg = /<svg id="sales-by-country"[\s\S]*?<\/svg>/.exec(dom)?.[0] ?? '';
    for (const r of rows) {
      const plotted = [
        ...svg.matchAll(
          new RegExp(`data-series="${r.currency_code}" data-category="[^"]*" data-value="([^"]+)"`, 'g'),
        ),
      ];
      const plottedCents = plotted.reduce((sum, m) => sum + Math.round(Number(m[1]) * 100), 0);
      expect(plotted.length).toBeGreaterThan(10);
      expect(plottedCents).toBe(Math.round(Number(r.value) * 100));
    }
  });

  it('shows the freshness of every warehouse table and where the pipeline stands', async () => {
    const { rows } = await pipeline.warehouse.query<{ n: string }>(
      'SELECT count(*) AS n FROM fact_sales_order',
    );
    const row = /<tr data-table="fact_sales_order">(.*?)<\/tr>/.exec(dom)?.[1] ?? '';
    expect(row).toContain(Number(rows[0]?.n).toLocaleString('en-GB'));
    expect(row).not.toContain('never loaded');
    expect(dom.match(/<tr data-table=/g)).toHaveLength(11);
    expect(report.data.pipeline).toMatchObject({
      ingestSeq: 1,
      transformSeq: 1,
      loadedSeq: 1,
      batchesWaiting: 0,
    });
    expect(dom).toContain('up to date with the lake');
  });
});
