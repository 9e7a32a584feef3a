import { escapeXml, money, monthLabel } from './format';

/** Colour-blind-safe palette (Okabe–Ito), one colour per series in order. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'] as const;

const FONT_SIZE = 11;
const FONT = `font-family="system-ui, sans-serif" font-size="${FONT_SIZE}"`;
/** A generous average glyph width of the font above, so a label's box is never underestimated. */
const CHAR_WIDTH = 6.6;

/** Axis ticks from 0 to at least `max`, at a round step (1, 2 or 5 × 10^n). */
export function niceTicks(max: number, count = 5): number[] {
  if (max <= 0) return [0];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let t = 0; t < max + step; t += step) ticks.push(t);
  return ticks;
}

/** A chart's data point or bar: what it shows, exactly, for tests and tooltips. */
interface MarkData {
  readonly series: string;
  readonly category: string;
  /** Exact value (a decimal string for money). */
  readonly exact: string;
  readonly tooltip: string;
}

function mark(shape: string, attrs: string, data: MarkData): string {
  return `<${shape} class="mark" ${attrs} data-series="${escapeXml(data.series)}" data-category="${escapeXml(data.category)}" data-value="${escapeXml(data.exact)}"><title>${escapeXml(data.tooltip)}</title></${shape}>`;
}

/** An amount written on a chart, tagged with its currency (the browser test checks every one). */
function amountText(x: number, y: number, value: number, currency: string, anchor = 'start'): string {
  return `<text class="amount" data-currency="${escapeXml(currency)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" ${FONT}>${escapeXml(money(value, currency))}</text>`;
}

function frame(id: string, title: string, width: number, height: number, body: string): string {
  return (
    `<svg id="${escapeXml(id)}" class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">` +
    `<title>${escapeXml(title)}</title>${body}</svg>`
  );
}

function noData(width: number, height: number): string {
  return `<text class="no-data" x="${width / 2}" y="${height / 2}" text-anchor="middle" ${FONT}>no data yet</text>`;
}

/** One month's value on a time axis. */
export interface MonthPoint {
  readonly month: string;
  readonly value: number;
  /** The exact decimal text of `value`. */
  readonly exact: string;
  readonly orders: number;
}

/** A monthly series of one currency on a true time axis. */
export interface TimeSeriesSpec {
  readonly id: string;
  readonly title: string;
  readonly currency: string;
  /** Every month of the axis, in order, including months without a point. */
  readonly months: readonly string[];
  readonly points: readonly MonthPoint[];
  /** The month still in progress, drawn hatched and labelled up to the day it is known. */
  readonly partial?: { readonly month: string; readonly label: string };
}

/** Runs of consecutive indexes where `present` is false: [first, last] pairs. */
function gapRuns(present: readonly boolean[]): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  present.forEach((p, i) => {
    if (!p && start < 0) start = i;
    if (p && start >= 0) {
      runs.push([start, i - 1]);
      start = -1;
    }
  });
  if (start >= 0) runs.push([start, present.length - 1]);
  return runs;
}

/**
 * A line over a true time axis: one slot per calendar month, so a month without sales is a
 * visible gap (shaded, "no sales") instead of two neighbours drawn side by side, and the month
 * in progress is hatched and its line dashed, so a half month does not read as a collapse.
 */
export function timeSeriesChart(spec: TimeSeriesSpec, width = 900, height = 230): string {
  const pad = { left: 78, right: 16, top: 14, bottom: 36 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const n = Math.max(1, spec.months.length);
  const slot = plotW / n;
  const byMonth = new Map(spec.points.map((p) => [p.month, p]));
  const ticks = niceTicks(Math.max(0, ...spec.points.map((p) => p.value)), 4);
  const top = ticks[ticks.length - 1] || 1;
  const x = (i: number) => pad.left + (i + 0.5) * slot;
  const y = (v: number) => pad.top + plotH - (v / top) * plotH;
  const colour = PALETTE[0];

  const grid = ticks
    .map(
      (t) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e2e2e2"/>` +
        amountText(pad.left - 6, y(t) + 4, t, spec.currency, 'end'),
    )
    .join('');
  // Labels on calendar boundaries (every 1, 2, 3, 4, 6 or 12 months, or on some Januaries),
  // at least 64 px apart, so they never collide.
  const step = [1, 2, 3, 4, 6, 12].find((s) => s * slot >= 64) ?? 12 * Math.ceil(64 / (12 * slot));
  const labelled = (i: number) => {
    const month = spec.months[i] ?? '';
    const m = Number(month.slice(5, 7)) - 1;
    return step <= 12 ? m % step === 0 : m === 0 && Number(month.slice(0, 4)) % (step / 12) === 0;
  };
  const axis = spec.months
    .map((month, i) =>
      labelled(i)
        ? `<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${pad.top + plotH}" y2="${pad.top + plotH + 4}" stroke="#888"/>` +
          `<text class="label tick-label" x="${x(i).toFixed(1)}" y="${pad.top + plotH + 16}" text-anchor="middle" ${FONT}>${escapeXml(monthLabel(month))}</text>`
        : '',
    )
    .join('');
  const present = spec.months.map((m) => byMonth.has(m));
  const gaps = gapRuns(present)
    .map(([first, last]) => {
      const left = pad.left + first * slot;
      const w = (last - first + 1) * slot;
      const months = last - first + 1;
      const label = `no sales: ${monthLabel(spec.months[first] ?? '')}${months > 1 ? ` – ${monthLabel(spec.months[last] ?? '')}` : ''}`;
      const text =
        w >= 56
          ? `<text class="label gap-label" x="${(left + w / 2).toFixed(1)}" y="${pad.top + 12}" text-anchor="middle" fill="#777" ${FONT}>no sales</text>`
          : '';
      return `<rect class="gap" data-months="${months}" x="${left.toFixed(1)}" y="${pad.top}" width="${w.toFixed(1)}" height="${plotH}" fill="#f1f1f1"><title>${escapeXml(label)}</title></rect>${text}`;
    })
    .join('');
  const partialIndex = spec.partial ? spec.months.indexOf(spec.partial.month) : -1;
  const partial =
    spec.partial && partialIndex >= 0
      ? `<rect class="partial" data-month="${escapeXml(spec.partial.month)}" x="${(pad.left + partialIndex * slot).toFixed(1)}" y="${pad.top}" width="${slot.toFixed(1)}" height="${plotH}" fill="url(#hatch-${escapeXml(spec.id)})"><title>${escapeXml(spec.partial.label)}</title></rect>` +
        `<text class="label partial-label" x="${(width - pad.right).toFixed(1)}" y="${pad.top - 3}" text-anchor="end" fill="#555" ${FONT}>${escapeXml(spec.partial.label)}</text>`
      : '';
  const defs = `<defs><pattern id="hatch-${escapeXml(spec.id)}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff6e0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#e6c77a" stroke-width="2"/></pattern></defs>`;
  // Lines join neighbouring months only; the segment into the month in progress is dashed.
  const segments: string[] = [];
  for (let i = 1; i < spec.months.length; i++) {
    const a = byMonth.get(spec.months[i - 1] ?? '');
    const b = byMonth.get(spec.months[i] ?? '');
    if (!a || !b) continue;
    const dashed = i === partialIndex ? ' stroke-dasharray="4 3" class="line partial-line"' : ' class="line"';
    segments.push(
      `<line${dashed} x1="${x(i - 1).toFixed(1)}" y1="${y(a.value).toFixed(1)}" x2="${x(i).toFixed(1)}" y2="${y(b.value).toFixed(1)}" stroke="${colour}" stroke-width="2"/>`,
    );
  }
  const dots = spec.months
    .map((month, i) => {
      const p = byMonth.get(month);
      if (!p) return '';
      const hollow =
        i === partialIndex ? `fill="#fff" stroke="${colour}" stroke-width="2"` : `fill="${colour}"`;
      return mark('circle', `cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3.5" ${hollow}`, {
        series: spec.currency,
        category: month,
        exact: p.exact,
        tooltip: `${monthLabel(month)}: ${money(p.value, spec.currency)} from ${p.orders.toLocaleString('en-GB')} orders${i === partialIndex ? ` (${spec.partial?.label})` : ''}`,
      });
    })
    .join('');
  const empty = spec.points.length === 0 ? noData(width, height) : '';
  return frame(
    spec.id,
    spec.title,
    width,
    height,
    `${defs}${gaps}${partial}${grid}${axis}${segments.join('')}${dots}${empty}`,
  );
}

/** Horizontal bars: one row per category, one bar per series in each row. */
export interface BarSpec {
  readonly id: string;
  readonly title: string;
  /** Currency of every value: each bar's amount is written in it. */
  readonly currency: string;
  readonly categories: readonly string[];
  readonly series: readonly {
    readonly name: string;
    readonly values: readonly number[];
    readonly exact: readonly string[];
  }[];
}

/**
 * Horizontal bars with the whole label of every row (the label column is as wide as the longest
 * label needs) and the amount, in its currency, at the end of each bar.
 */
export function barChart(spec: BarSpec, width = 900): string {
  const longest = Math.max(8, ...spec.categories.map((c) => c.length));
  const pad = {
    left: Math.ceil(12 + longest * CHAR_WIDTH),
    right: 84,
    top: 10,
    bottom: spec.series.length > 1 ? 44 : 28,
  };
  const barH = 13;
  const rowH = Math.max(1, spec.series.length) * barH + 9;
  const height = pad.top + pad.bottom + Math.max(1, spec.categories.length) * rowH;
  const plotW = Math.max(120, width - pad.left - pad.right);
  const max = Math.max(0, ...spec.series.flatMap((s) => s.values));
  const ticks = niceTicks(max, 4);
  const top = ticks[ticks.length - 1] || 1;
  const w = (v: number) => (Math.max(0, v) / top) * plotW;
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${(pad.left + w(t)).toFixed(1)}" x2="${(pad.left + w(t)).toFixed(1)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#e2e2e2"/>` +
        amountText(pad.left + w(t), height - pad.bottom + 14, t, spec.currency, 'middle'),
    )
    .join('');
  const rows = spec.categories
    .map((category, ci) => {
      const rowTop = pad.top + ci * rowH + 4;
      const label = `<text class="label category-label" x="${pad.left - 8}" y="${(rowTop + (rowH - 9) / 2 + 4).toFixed(1)}" text-anchor="end" ${FONT}>${escapeXml(category)}</text>`;
      const bars = spec.series
        .map((s, si) => {
          const v = s.values[ci] ?? 0;
          const yTop = rowTop + si * barH;
          const bar = mark(
            'rect',
            `x="${pad.left}" y="${yTop}" width="${Math.max(0.5, w(v)).toFixed(1)}" height="${barH - 2}" fill="${PALETTE[si % PALETTE.length]}"`,
            {
              series: s.name,
              category,
              exact: s.exact[ci] ?? String(v),
              tooltip: `${category} · ${s.name}: ${money(v, spec.currency)}`,
            },
          );
          return `${bar}${amountText(pad.left + w(v) + 4, yTop + barH - 3, v, spec.currency)}`;
        })
        .join('');
      return `${label}${bars}`;
    })
    .join('');
  const legend =
    spec.series.length > 1
      ? spec.series
          .map((s, i) => {
            const left = pad.left + i * 130;
            return `<rect x="${left}" y="${height - 18}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text class="label" x="${left + 14}" y="${height - 9}" ${FONT}>${escapeXml(s.name)}</text>`;
          })
          .join('')
      : '';
  const empty = spec.categories.length === 0 ? noData(width, height) : '';
  return frame(spec.id, spec.title, width, height, `${grid}${rows}${legend}${empty}`);
}
