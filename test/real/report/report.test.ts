import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReportResult, writeReport } from '../../../app/analytics/report/report';
import { dumpDom } from '../../integration/report/chromium';
import { type SeededPipeline, seededPipeline } from '../../support/seeded-pipeline';
import { seedRealSnapshot } from '../support/real-data';

/** Counts the chart marks the browser drew with a size, after layout. */
const MARK_PROBE = `<script>
window.addEventListener('load', () => {
  const drawn = [...document.querySelectorAll('svg.chart .mark')].filter((m) => {
    const b = m.getBBox(); return b.width > 0 && b.height > 0;
  }).length;
  document.body.setAttribute('data-drawn', String(drawn));
});
</script>`;

// The dashboard over the real Nov 2024 snapshot (the layout itself is tested on generated data
// in test/integration/report/report.test.ts): what the real data adds is its own dates and sums.
describe('totes report on the real totesys data', () => {
  let pipeline: SeededPipeline;
  let report: ReportResult;
  let html: string;
  const out = join(tmpdir(), `totes-real-report-${process.pid}.html`);
  const probed = join(tmpdir(), `totes-real-report-${process.pid}-probed.html`);

  beforeAll(async () => {
    pipeline = await seededPipeline(seedRealSnapshot);
    report = await writeReport({ warehouse: pipeline.warehouse, lake: pipeline.lake }, out);
    html = await readFile(out, 'utf8');
  });

  afterAll(async () => {
    await Promise.all([out, probed].map((f) => rm(f, { force: true })));
    await pipeline?.cleanup();
  });

  it('is about 15 November 2024, the day the real data runs to', () => {
    expect(report.data).toMatchObject({ asOf: '2024-11-15', asOfSource: 'data' });
    expect(report.data.currencies).toEqual(expect.arrayContaining(['GBP', 'USD', 'EUR']));
  });

  it('sums every month of sales, per currency, to the cent as the warehouse does', async () => {
    const { rows } = await pipeline.warehouse.query<{ currency_code: string; value: string }>(
      `SELECT c.currency_code, sum(f.units_sold * f.unit_price) AS value
         FROM (SELECT DISTINCT ON (sales_order_id) * FROM fact_sales_order
               ORDER BY sales_order_id, observed_at DESC, sales_record_id DESC) f
         JOIN dim_currency c USING (currency_id)
        WHERE NOT f.is_deleted GROUP BY c.currency_code ORDER BY 1`,
    );
    const plotted = new Map<string, number>();
    for (const m of report.data.salesByMonth)
      plotted.set(m.currency, (plotted.get(m.currency) ?? 0) + Math.round(Number(m.value) * 100));
    expect([...plotted].sort()).toEqual(
      rows.map((r) => [r.currency_code, Math.round(Number(r.value) * 100)]),
    );
  });

  it('is one self-contained page whose every chart mark the browser draws with a size', async () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i);
    await writeFile(probed, html.replace('</body>', `${MARK_PROBE}</body>`));
    const dom = await dumpDom(probed);
    const marks = (html.match(/class="[^"]*\bmark\b/g) ?? []).length;
    expect(marks).toBeGreaterThan(0);
    expect(Number(/data-drawn="(\d+)"/.exec(dom)?.[1])).toBe(marks);
  });
});
