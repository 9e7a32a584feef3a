import {
  change,
  exactMoney,
  isMonthEnd,
  money,
  monthRange,
  previousMonth,
} from '../../../app/analytics/report/format';
import { renderReport, salesByMonthSpecs } from '../../../app/analytics/report/render-html';
import { addMoney, type ReportData } from '../../../app/analytics/report/report-data';
import { barChart, niceTicks, timeSeriesChart } from '../../../app/analytics/report/svg-charts';

const empty: ReportData = {
  generatedAt: '2024-11-15T15:00:00.000Z',
  asOf: '2024-11-15',
  asOfSource: 'clock',
  currencies: [],
  salesByMonth: [],
  partialMonth: { month: '2024-11', through: '2024-11-15' },
  kpis: [],
  topCountries: [],
  topDesigns: [],
  ageing: [],
  freshnessWindow: { minutes: 30, source: 'default' },
  freshness: [
    {
      table: 'fact_sales_order',
      rows: 0,
      lastLoadedAt: null,
      lastObservedAt: null,
      currentAsOf: null,
      ageMinutes: null,
      stale: true,
      reason: 'never loaded',
    },
  ],
  pipeline: {
    ingestSeq: 0,
    lastIngestAt: null,
    transformSeq: 0,
    loadedSeq: 0,
    batchesWaiting: 0,
    warehouseAsOf: null,
  },
};

const sales = (month: string, value: string, currency = 'GBP') => ({
  month,
  currency,
  orders: 3,
  units: 30,
  value,
});

describe('the report page', () => {
  it('renders before the first load, saying what is missing', () => {
    const html = renderReport(empty);
    expect(html).toContain('stale: never loaded');
    expect(html).toContain('today: the warehouse has no data yet');
  });

  it('escapes names from the data, so a design called <script> stays text', () => {
    const html = renderReport({
      ...empty,
      currencies: ['GBP'],
      topDesigns: [
        {
          currency: 'GBP',
          rank: 1,
          designId: 7,
          designName: '<script>alert(1)</script>',
          orders: 1,
          units: 5,
          value: '10.00',
        },
      ],
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('1. &lt;script&gt;alert(1)&lt;/script&gt; (#7)');
  });

  it('flags batches committed in the lake but not yet loaded', () => {
    const html = renderReport({
      ...empty,
      pipeline: { ...empty.pipeline, transformSeq: 3, loadedSeq: 1, batchesWaiting: 2 },
    });
    expect(html).toContain('2 batch(es) waiting to load');
  });

  it('puts every month from the first sale to the as-of month on the axis, gaps included', () => {
    const [spec] = salesByMonthSpecs({
      ...empty,
      currencies: ['GBP'],
      salesByMonth: [sales('2022-11', '5.00'), sales('2024-10', '7.00')],
    });
    expect(spec?.months).toHaveLength(25);
    expect(spec?.months.at(-1)).toBe('2024-11');
    expect(spec?.partial).toEqual({ month: '2024-11', label: 'Nov 2024 so far: to 15 Nov 2024' });
  });
});

describe('charts', () => {
  const months = monthRange('2022-11', '2023-04');
  const point = (month: string, value: number) => ({ month, value, exact: value.toFixed(2), orders: 1 });

  it('draws a run of months without a point as one gap, and no line across it', () => {
    const svg = timeSeriesChart({
      id: 't',
      title: 't',
      currency: 'GBP',
      months,
      points: [point('2022-11', 5), point('2023-03', 6), point('2023-04', 7)],
    });
    expect(svg.match(/<rect class="gap" data-months="(\d+)"/g)).toEqual([
      '<rect class="gap" data-months="3"',
    ]);
    expect(svg.match(/<line class="line"/g)).toHaveLength(1);
    expect(svg.match(/class="mark"/g)).toHaveLength(3);
  });

  it('hatches the month in progress and dashes the line into it', () => {
    const svg = timeSeriesChart({
      id: 't',
      title: 't',
      currency: 'EUR',
      months,
      points: months.map((m, i) => point(m, i + 1)),
      partial: { month: '2023-04', label: 'Apr 2023 so far' },
    });
    expect(svg).toContain('<rect class="partial" data-month="2023-04"');
    expect(svg.match(/partial-line/g)).toHaveLength(1);
    expect(svg).toContain('>€2.00<');
    expect(svg).toContain('>€0<');
  });

  it('leaves room for the longest label instead of cutting it', () => {
    const name = "Democratic People's Republic of Korea";
    const svg = barChart({
      id: 'b',
      title: 'b',
      currency: 'USD',
      categories: [`1. ${name}`],
      series: [{ name: 'v', values: [12_345_678], exact: ['12345678.00'] }],
    });
    expect(svg).toContain(`>1. ${name.replace("'", '&#39;')}</text>`);
    const x = Number(/<rect class="mark" x="(\d+)"/.exec(svg)?.[1]);
    expect(x).toBeGreaterThan(`1. ${name}`.length * 6);
    expect(svg).toContain('data-value="12345678.00"');
    expect(svg).toContain('>US$12.3m<');
  });

  it('chooses round axis ticks that cover the largest value', () => {
    expect(niceTicks(37_400_000)).toEqual([0, 10e6, 20e6, 30e6, 40e6]);
    expect(niceTicks(9)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0)).toEqual([0]);
  });
});

describe('formatting', () => {
  it('writes amounts with their currency, compact on charts and exact in full', () => {
    expect([money(23_912_345.5, 'GBP'), money(950, 'USD'), money(0, 'EUR')]).toEqual([
      '£23.9m',
      'US$950.00',
      '€0',
    ]);
    expect(money(1200, 'ZZZ')).toMatch(/^ZZZ\s1,200\.00$/);
    expect(money(1200, 'bad code')).toBe('bad code 1.2k');
    expect(exactMoney('123456789012345.67', 'GBP')).toBe('£123,456,789,012,345.67');
  });

  it('adds money exactly, in hundredths', () => {
    expect(addMoney(['0.10', '0.20', '-0.05', '90071992547409.93'])).toBe('90071992547410.18');
    expect(addMoney([])).toBe('0.00');
  });

  it('says how a figure changed from the period before', () => {
    expect(change(110, 100)).toEqual({ text: '+10.0%', ratio: 0.1 });
    expect(change(50, 100).text).toBe('−50.0%');
    expect(change(5, 0)).toEqual({ text: 'new', ratio: null });
    expect(change(100, 100).text).toBe('no change');
  });

  it('counts months across years and knows month ends', () => {
    expect(monthRange('2023-11', '2024-02')).toEqual(['2023-11', '2023-12', '2024-01', '2024-02']);
    expect(previousMonth('2024-01')).toBe('2023-12');
    expect([isMonthEnd('2024-02-29'), isMonthEnd('2024-11-15'), isMonthEnd('2024-12-31')]).toEqual([
      true,
      false,
      true,
    ]);
  });
});
