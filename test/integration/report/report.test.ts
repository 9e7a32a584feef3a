import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { type ReportResult, writeReport } from '../../../app/analytics/report/report';
import { collectReportData } from '../../../app/analytics/report/report-data';
import { runPipeline } from '../../../app/pipeline/run-pipeline';
import { createSourceSchema } from '../../../app/totesys/seed';
import { seedSynthetic } from '../../../app/totesys/synthetic';
import { LocalCatalog } from '../../../lambdas/kernel/catalog/local-catalog';
import { LocalLakeStore } from '../../../lambdas/kernel/lake/local-lake-store';
import { silentLog } from '../../../lambdas/kernel/logger';
import { createTestDatabase } from '../../support/pg';
import { dumpDom, screenshot } from './chromium';

/** Where the screenshot (and the page beside it) is kept for CI to publish (`REPORT_SCREENSHOT` overrides). */
const SCREENSHOT =
  process.env.REPORT_SCREENSHOT ?? join(__dirname, '..', '..', '..', 'artifacts', 'report.png');

/**
 * Appended to a copy of the report (the report itself has no script): after layout, records what
 * the browser drew — every chart's marks with a size, its labels' boxes, its amounts' text, its
 * gaps and partial month — and the tiles and freshness rows.
 */
const LAYOUT_PROBE = `<script>
window.addEventListener('load', () => {
  const box = (e) => { const b = e.getBBox(); return { x: b.x, y: b.y, width: b.width, height: b.height }; };
  const charts = [...document.querySelectorAll('svg.chart')].map((svg) => ({
    id: svg.id,
    width: svg.getBoundingClientRect().width,
    height: svg.getBoundingClientRect().height,
    marks: [...svg.querySelectorAll('.mark')].map((m) => ({
      category: m.dataset.category, series: m.dataset.series, value: m.dataset.value, ...box(m),
    })),
    labels: [...svg.querySelectorAll('text.label')].map((t) => ({ text: t.textContent, ...box(t) })),
    amounts: [...svg.querySelectorAll('.amount')].map((t) => ({ text: t.textContent, currency: t.dataset.currency })),
    gaps: [...svg.querySelectorAll('rect.gap')].map((g) => ({ months: Number(g.dataset.months), ...box(g) })),
    partial: [...svg.querySelectorAll('rect.partial')].map((p) => ({ month: p.dataset.month, ...box(p) })),
    partialLabel: svg.querySelector('.partial-label')?.textContent ?? null,
  }));
  const kpis = [...document.querySelectorAll('.kpi')].map((k) => ({
    id: k.dataset.kpi, value: k.dataset.value, previous: k.dataset.previous,
    shown: k.querySelector('.value').textContent, change: k.querySelector('.change').textContent,
    amounts: [...k.querySelectorAll('.amount')].map((t) => ({ text: t.textContent, currency: t.dataset.currency })),
    width: k.getBoundingClientRect().width,
  }));
  const freshness = [...document.querySelectorAll('#freshness tr[data-table]')].map((r) => ({
    table: r.dataset.table, status: r.querySelector('[data-status]').dataset.status,
  }));
  document.body.setAttribute('data-layout', JSON.stringify({ charts, kpis, freshness }));
});
</script>`;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Layout {
  charts: {
    id: string;
    width: number;
    height: number;
    marks: ({ category: string; series: string; value: string } & Box)[];
    labels: ({ text: string } & Box)[];
    amounts: { text: string; currency: string }[];
    gaps: ({ months: number } & Box)[];
    partial: ({ month: string } & Box)[];
    partialLabel: string | null;
  }[];
  kpis: {
    id: string;
    value: string;
    previous: string;
    shown: string;
    change: string;
    amounts: { text: string; currency: string }[];
    width: number;
  }[];
  freshness: { table: string; status: string }[];
}

const SYMBOL: Readonly<Record<string, string>> = { GBP: '£', USD: 'US$', EUR: '€' };
const cents = (value: string | undefined) => Math.round(Number(value) * 100);

// A generated totesys of 3,000 orders (Nov 2022 – 15 Nov 2024) with no sales in Mar–May 2023,
// run through the whole pipeline once: what the report reads is a real warehouse.
describe('totes report in headless Chromium', () => {
  let sourceDb: { url: string; drop: () => Promise<void> };
  let warehouseDb: { url: string; drop: () => Promise<void> };
  let source: Client;
  let warehouse: Client;
  let root: string;
  let lake: LocalLakeStore;
  let report: ReportResult;
  let html: string;
  let layout: Layout;
  const chart = (id: string) => {
    const found = layout.charts.find((c) => c.id === id);
    if (!found) throw new Error(`no chart ${id}; drawn: ${layout.charts.map((c) => c.id).join(', ')}`);
    return found;
  };
  const one = async <T>(sql: string, params: unknown[] = [], db: Client = warehouse): Promise<T> =>
    (await db.query(sql, params)).rows[0] as T;
  const dayLabel = (day: string) => `${Number(day.slice(8))} Nov 2024`;

  beforeAll(async () => {
    sourceDb = await createTestDatabase('rsrc');
    warehouseDb = await createTestDatabase('rwh');
    source = new Client({ connectionString: sourceDb.url });
    warehouse = new Client({ connectionString: warehouseDb.url });
    await source.connect();
    await warehouse.connect();
    await createSourceSchema(source);
    await seedSynthetic(source, { scale: 3000, seed: 1 });
    await source.query(
      `DELETE FROM sales_order WHERE created_at >= '2023-03-01' AND created_at < '2023-06-01'`,
    );
    root = await mkdtemp(join(tmpdir(), 'totes-report-'));
    lake = new LocalLakeStore(join(root, 'lake'));
    await runPipeline({
      source,
      warehouse,
      lake,
      catalog: new LocalCatalog(lake),
      log: silentLog,
      workDir: join(root, 'work'),
    });
    const out = join(root, 'report.html');
    report = await writeReport({ warehouse, lake }, out);
    html = await readFile(out, 'utf8');
    const probed = join(root, 'probed.html');
    await writeFile(probed, html.replace('</body>', `${LAYOUT_PROBE}</body>`));
    const dom = await dumpDom(probed);
    layout = JSON.parse((/data-layout="([^"]*)"/.exec(dom)?.[1] ?? '{}').replaceAll('&quot;', '"')) as Layout;
  }, 300_000);

  afterAll(async () => {
    await Promise.all([source?.end(), warehouse?.end()]);
    await Promise.all([sourceDb?.drop(), warehouseDb?.drop()]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('is one self-contained page: no script, stylesheet, image or font fetched from anywhere', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i);
    expect(new Set(html.match(/https?:\/\/[^"\s]+/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('is about the day the data runs to, and says so', async () => {
    const { day } = await one<{ day: string }>(
      `SELECT to_char(max(last_updated)::date, 'YYYY-MM-DD') AS day FROM (
         SELECT last_updated FROM sales_order UNION ALL SELECT last_updated FROM purchase_order
         UNION ALL SELECT last_updated FROM payment) s`,
      [],
      source,
    );
    expect(report.data).toMatchObject({ asOf: day, asOfSource: 'data' });
    expect(day.startsWith('2024-11-')).toBe(true);
    expect(html).toContain(`<b id="as-of" data-day="${day}">`);
  });

  it('writes every amount on the page with its currency', () => {
    const amounts = [...layout.charts.flatMap((c) => c.amounts), ...layout.kpis.flatMap((k) => k.amounts)];
    expect(amounts.length).toBeGreaterThan(100);
    const without = amounts.filter((a) => !a.text.startsWith(SYMBOL[a.currency] ?? `${a.currency} `));
    expect(without).toEqual([]);
    for (const currency of ['GBP', 'USD', 'EUR'])
      expect(amounts.some((a) => a.currency === currency)).toBe(true);
  });

  it('draws sales by month on a true time axis: the three months without sales are a gap', async () => {
    for (const currency of report.data.currencies) {
      const c = chart(`sales-by-month-${currency}`);
      // Nov 2022 – Nov 2024 is 25 months; 3 have no sales.
      expect(c.marks).toHaveLength(22);
      expect(c.marks.every((m) => m.width > 0 && m.height > 0)).toBe(true);
      expect(c.gaps).toEqual([expect.objectContaining({ months: 3 })]);
      const gap = c.gaps[0] as Box;
      const before = c.marks.find((m) => m.category === '2023-02') as Box;
      const after = c.marks.find((m) => m.category === '2023-06') as Box;
      // The gap takes the room of three months between its neighbours, as on a calendar.
      expect(gap.width).toBeGreaterThan(2.5 * ((after.x - before.x) / 4));
      expect(gap.x).toBeGreaterThan(before.x);
      expect(gap.x + gap.width).toBeLessThan(after.x + after.width);
    }
    const { value } = await one<{ value: string }>(
      `SELECT sum(s.sale_value)::text AS value FROM fact_sales_order_current s JOIN dim_currency c USING (currency_id)
        WHERE c.currency_code = 'GBP' AND s.created_date >= '2024-10-01' AND s.created_date < '2024-11-01'`,
    );
    expect(chart('sales-by-month-GBP').marks.find((m) => m.category === '2024-10')?.value).toBe(value);
  });

  it('marks November 2024 as a month in progress, to the as-of day', () => {
    expect(report.data.asOf.slice(0, 7)).toBe('2024-11');
    const c = chart('sales-by-month-GBP');
    expect(c.partial).toEqual([expect.objectContaining({ month: '2024-11' })]);
    expect((c.partial[0] as Box).width).toBeGreaterThan(0);
    expect(c.partialLabel).toBe(`Nov 2024 so far: to ${dayLabel(report.data.asOf)}`);
  });

  it('shows key figures of the last full month with the change from the month before', async () => {
    expect(layout.kpis.map((k) => k.id)).toEqual([
      'orders',
      'units',
      ...report.data.currencies.map((c) => `sales-${c}`),
    ]);
    const month = async (from: string, to: string) =>
      one<{ orders: number; value: string }>(
        `SELECT count(*)::int AS orders, sum(sale_value) FILTER (WHERE currency_id = (SELECT currency_id FROM dim_currency WHERE currency_code = 'GBP'))::text AS value
           FROM fact_sales_order_current WHERE created_date >= $1 AND created_date < $2`,
        [from, to],
      );
    const october = await month('2024-10-01', '2024-11-01');
    const september = await month('2024-09-01', '2024-10-01');
    const orders = layout.kpis.find((k) => k.id === 'orders');
    expect(orders).toMatchObject({ value: String(october.orders), previous: String(september.orders) });
    const gbp = layout.kpis.find((k) => k.id === 'sales-GBP');
    expect(gbp).toMatchObject({ value: october.value, previous: september.value });
    const percent = ((Number(october.value) - Number(september.value)) / Number(september.value)) * 100;
    expect(gbp?.change).toContain(`${percent > 0 ? '+' : '−'}${Math.abs(percent).toFixed(1)}% vs Sep 2024`);
    expect(layout.kpis.every((k) => k.width > 100)).toBe(true);
  });

  it('ranks the top countries by value per currency, the rest in one row, every name whole', async () => {
    const c = chart('top-countries-GBP');
    const values = c.marks.filter((m) => !m.category.startsWith('other')).map((m) => Number(m.value));
    const { countries } = await one<{ countries: number }>(
      `SELECT count(DISTINCT l.country)::int AS countries FROM fact_sales_order_current s
         JOIN dim_location l ON l.location_id = s.agreed_delivery_location_id JOIN dim_currency c USING (currency_id)
        WHERE c.currency_code = 'GBP'`,
    );
    expect(values).toHaveLength(Math.min(10, countries));
    expect(values).toEqual([...values].sort((a, b) => b - a));
    const best = await one<{ country: string; value: string }>(
      `SELECT l.country, sum(s.sale_value)::text AS value FROM fact_sales_order_current s
         JOIN dim_location l ON l.location_id = s.agreed_delivery_location_id JOIN dim_currency c USING (currency_id)
        WHERE c.currency_code = 'GBP' GROUP BY l.country ORDER BY sum(s.sale_value) DESC, l.country LIMIT 1`,
    );
    expect(c.marks[0]).toMatchObject({ category: `1. ${best.country}`, value: best.value });
    const total = await one<{ value: string }>(
      `SELECT sum(sale_value)::text AS value FROM fact_sales_order_current WHERE currency_id = (SELECT currency_id FROM dim_currency WHERE currency_code = 'GBP')`,
    );
    expect(c.marks.reduce((sum, m) => sum + cents(m.value), 0)).toBe(cents(total.value));
  });

  it('ranks the top designs by value with their ids, as the warehouse does', async () => {
    for (const currency of report.data.currencies) {
      const c = chart(`top-designs-${currency}`);
      const best = await one<{ design_id: number; design_name: string; value: string }>(
        `SELECT s.design_id, d.design_name, sum(s.sale_value)::text AS value FROM fact_sales_order_current s
           JOIN dim_design d USING (design_id) JOIN dim_currency c USING (currency_id)
          WHERE c.currency_code = $1 GROUP BY s.design_id, d.design_name
          ORDER BY sum(s.sale_value) DESC, s.design_id LIMIT 1`,
        [currency],
      );
      expect(c.marks).toHaveLength(10);
      expect(c.marks[0]).toMatchObject({
        category: `1. ${best.design_name} (#${best.design_id})`,
        value: best.value,
      });
    }
  });

  it('keeps every label inside its chart, never cut short', () => {
    for (const c of layout.charts) {
      for (const label of c.labels) {
        expect({
          chart: c.id,
          label: label.text,
          inside: label.x >= 0 && label.x + label.width <= c.width + 0.5,
        }).toEqual({
          chart: c.id,
          label: label.text,
          inside: true,
        });
        expect(label.text).not.toContain('…');
      }
    }
  });

  it('ages unpaid payments in buckets relative to the as-of day, per currency', async () => {
    const c = chart('payments-ageing-GBP');
    expect(c.marks).toHaveLength(10);
    const buckets = await warehouse.query<{ type: string; bucket: string; amount: string }>(
      `SELECT p.transaction_type AS type,
              CASE WHEN $1::date - p.payment_date <= 0 THEN 'not yet due'
                   WHEN $1::date - p.payment_date <= 30 THEN '1-30 days overdue'
                   WHEN $1::date - p.payment_date <= 60 THEN '31-60 days overdue'
                   WHEN $1::date - p.payment_date <= 90 THEN '61-90 days overdue'
                   ELSE 'over 90 days overdue' END AS bucket,
              sum(p.payment_amount)::text AS amount
         FROM v_payments_current p WHERE NOT p.paid AND p.currency_code = 'GBP' GROUP BY 1, 2`,
      [report.data.asOf],
    );
    expect(buckets.rows.length).toBeGreaterThan(2);
    for (const b of buckets.rows) {
      const series = b.type === 'SALE' ? 'owed to us' : 'owed by us';
      expect(c.marks.find((m) => m.category === b.bucket && m.series === series)?.value).toBe(b.amount);
    }
  });

  it('judges every table fresh against the configured 30-minute window right after a load', () => {
    expect(report.data.freshnessWindow).toEqual({ minutes: 30, source: 'cdk.json freshnessMinutes' });
    expect(layout.freshness).toHaveLength(11);
    expect(layout.freshness.every((f) => f.status === 'fresh')).toBe(true);
  });

  it('calls the data stale once it is older than the window', async () => {
    const later = new Date(Date.parse(report.data.generatedAt) + 45 * 60_000);
    const data = await collectReportData({ warehouse, lake, clock: () => later });
    expect(data.freshness.every((f) => f.stale)).toBe(true);
    expect(data.freshness[0]?.reason).toMatch(/^data is 4[56] min old, beyond the 30-minute window$/);
    const relaxed = await collectReportData({ warehouse, lake, clock: () => later, freshnessMinutes: 60 });
    expect(relaxed.freshness.some((f) => f.stale)).toBe(false);
  });

  it('renders a screenshot CI keeps as an artifact', async () => {
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await screenshot(join(root, 'report.html'), SCREENSHOT, 1000, 4200);
    await writeFile(join(dirname(SCREENSHOT), 'report.html'), html);
    const image = await readFile(SCREENSHOT);
    expect(image.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(image.readUInt32BE(16)).toBe(1000);
    expect(image.length).toBeGreaterThan(50_000);
  });
});
