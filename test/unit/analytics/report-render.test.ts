import { pivot, renderReport } from '../../../app/analytics/report/render-html';
import type { ReportData } from '../../../app/analytics/report/report-data';
import { compactNumber, escapeXml, niceTicks, shorten } from '../../../app/analytics/report/svg-charts';

const empty: ReportData = {
  generatedAt: '2024-11-15T15:00:00.000Z',
  asOf: '2024-11-15',
  salesByMonth: [],
  topDesigns: [],
  salesByCountry: [],
  outstanding: [],
  freshness: [{ table: 'fact_sales_order', rows: 0, lastLoadedAt: null, lastObservedAt: null }],
  pipeline: { ingestSeq: 0, lastIngestAt: null, transformSeq: 0, loadedSeq: 0, batchesWaiting: 0 },
};

describe('the report page', () => {
  it('renders every chart frame with a "no data yet" note before the first load', () => {
    const html = renderReport(empty);
    expect(html.match(/<svg id="/g)).toHaveLength(4);
    expect(html.match(/no data yet/g)).toHaveLength(4);
    expect(html).toContain('never loaded');
  });

  it('escapes names from the data, so a design called <script> stays text', () => {
    const html = renderReport({
      ...empty,
      topDesigns: [{ rank: 1, design: '<script>alert(1)</script>', units: 5 }],
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('1. &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('flags batches committed in the lake but not yet loaded', () => {
    const html = renderReport({
      ...empty,
      pipeline: { ...empty.pipeline, transformSeq: 3, loadedSeq: 1, batchesWaiting: 2 },
    });
    expect(html).toContain('2 batch(es) waiting to load');
  });
});

describe('chart helpers', () => {
  it('pivots rows into one series per key with 0 where a category lacks it', () => {
    const rows = [
      { m: '2024-09', c: 'GBP', v: 1 },
      { m: '2024-10', c: 'USD', v: 2 },
      { m: '2024-10', c: 'GBP', v: 3 },
    ];
    expect(
      pivot(
        rows,
        (r) => r.m,
        (r) => r.c,
        (r) => r.v,
      ),
    ).toEqual({
      categories: ['2024-09', '2024-10'],
      series: [
        { name: 'GBP', values: [1, 3] },
        { name: 'USD', values: [0, 2] },
      ],
    });
  });

  it('chooses round axis ticks that cover the largest value', () => {
    expect(niceTicks(37_400_000)).toEqual([0, 10e6, 20e6, 30e6, 40e6]);
    expect(niceTicks(9)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0)).toEqual([0]);
  });

  it('writes numbers compactly and labels shortly', () => {
    expect([
      compactNumber(4_637_472),
      compactNumber(232_625_043.17),
      compactNumber(950),
      compactNumber(1.5e9),
    ]).toEqual(['4.6M', '233M', '950', '1.5bn']);
    expect(shorten("Democratic People's Republic of Korea", 20)).toBe("Democratic People's…");
    expect(escapeXml(`a<b & "c" 'd'`)).toBe('a&lt;b &amp; &quot;c&quot; &#39;d&#39;');
  });
});
