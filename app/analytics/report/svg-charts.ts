/** One named series of values, one value per category. */
export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

/** A chart: categories along one axis, one mark per category and series. */
export interface ChartSpec {
  /** Element id of the `<svg>` (tests and anchors find the chart by it). */
  readonly id: string;
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
}

/** Colour-blind-safe palette (Okabe–Ito), one colour per series in order. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'] as const;

const FONT = 'font-family="system-ui, sans-serif" font-size="11"';

/** Escapes text for HTML/SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A number for people: 1.2k, 3.4M, 5.6bn; small numbers as they are. */
export function compactNumber(value: number): string {
  const abs = Math.abs(value);
  const scaled = (d: number, suffix: string) => `${+(value / d).toFixed(abs / d >= 100 ? 0 : 1)}${suffix}`;
  if (abs >= 1e9) return scaled(1e9, 'bn');
  if (abs >= 1e6) return scaled(1e6, 'M');
  if (abs >= 1e3) return scaled(1e3, 'k');
  return String(+value.toFixed(2));
}

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

function mark(shape: string, attrs: string, series: string, category: string, value: number): string {
  const label = `${category} · ${series}: ${value.toLocaleString('en-GB')}`;
  return `<${shape} class="mark" ${attrs} data-series="${escapeXml(series)}" data-category="${escapeXml(category)}" data-value="${value}"><title>${escapeXml(label)}</title></${shape}>`;
}

function legend(series: readonly Series[], x: number, y: number): string {
  return series
    .map((s, i) => {
      const left = x + i * 110;
      return `<rect x="${left}" y="${y - 9}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${left + 14}" y="${y}" ${FONT}>${escapeXml(s.name)}</text>`;
    })
    .join('');
}

function frame(spec: ChartSpec, width: number, height: number, body: string): string {
  return (
    `<svg id="${escapeXml(spec.id)}" class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(spec.title)}">` +
    `<title>${escapeXml(spec.title)}</title>${body}</svg>`
  );
}

const maxOf = (spec: ChartSpec): number => Math.max(0, ...spec.series.flatMap((s) => s.values));

/**
 * A line chart: categories along x (e.g. months), one line per series, a dot per value.
 * An empty chart (no categories) still renders its frame and a "no data" note.
 */
export function lineChart(spec: ChartSpec, width = 900, height = 320): string {
  const pad = { left: 60, right: 20, top: 30, bottom: 50 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const ticks = niceTicks(maxOf(spec));
  const top = ticks[ticks.length - 1] || 1;
  const x = (i: number) =>
    pad.left + (spec.categories.length <= 1 ? plotW / 2 : (i * plotW) / (spec.categories.length - 1));
  const y = (v: number) => pad.top + plotH - (v / top) * plotH;
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${pad.left - 6}" y="${y(t) + 4}" text-anchor="end" ${FONT}>${compactNumber(t)}</text>`,
    )
    .join('');
  const every = Math.max(1, Math.ceil(spec.categories.length / 12));
  const labels = spec.categories
    .map((c, i) =>
      i % every === 0
        ? `<text x="${x(i)}" y="${height - pad.bottom + 16}" text-anchor="middle" ${FONT}>${escapeXml(c)}</text>`
        : '',
    )
    .join('');
  const lines = spec.series
    .map((s, si) => {
      const colour = PALETTE[si % PALETTE.length];
      const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const dots = s.values
        .map((v, i) =>
          mark(
            'circle',
            `cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${colour}"`,
            s.name,
            spec.categories[i] ?? '',
            v,
          ),
        )
        .join('');
      return `<polyline class="line" fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>${dots}`;
    })
    .join('');
  const empty = spec.categories.length === 0 ? noData(width, height) : '';
  return frame(
    spec,
    width,
    height,
    `${grid}${labels}${lines}${empty}${legend(spec.series, pad.left, height - 12)}`,
  );
}

/**
 * A horizontal bar chart: one row per category (e.g. design, country), one bar per series
 * in each row. The height grows with the number of rows.
 */
export function barChart(spec: ChartSpec, width = 900): string {
  const pad = { left: 200, right: 70, top: 20, bottom: 40 };
  const barH = 12;
  const rowH = Math.max(1, spec.series.length) * barH + 8;
  const height = pad.top + pad.bottom + Math.max(1, spec.categories.length) * rowH;
  const plotW = width - pad.left - pad.right;
  const ticks = niceTicks(maxOf(spec));
  const top = ticks[ticks.length - 1] || 1;
  const w = (v: number) => (Math.max(0, v) / top) * plotW;
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${pad.left + w(t)}" x2="${pad.left + w(t)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#ddd"/><text x="${pad.left + w(t)}" y="${height - pad.bottom + 14}" text-anchor="middle" ${FONT}>${compactNumber(t)}</text>`,
    )
    .join('');
  const rows = spec.categories
    .map((category, ci) => {
      const rowTop = pad.top + ci * rowH + 4;
      const label = `<text x="${pad.left - 8}" y="${rowTop + (rowH - 8) / 2 + 4}" text-anchor="end" ${FONT}>${escapeXml(shorten(category, 32))}</text>`;
      const bars = spec.series
        .map((s, si) => {
          const v = s.values[ci] ?? 0;
          const yTop = rowTop + si * barH;
          const bar = mark(
            'rect',
            `x="${pad.left}" y="${yTop}" width="${w(v).toFixed(1)}" height="${barH - 2}" fill="${PALETTE[si % PALETTE.length]}"`,
            s.name,
            category,
            v,
          );
          return `${bar}<text x="${pad.left + w(v) + 4}" y="${yTop + barH - 3}" ${FONT}>${compactNumber(v)}</text>`;
        })
        .join('');
      return `${label}${bars}`;
    })
    .join('');
  const empty = spec.categories.length === 0 ? noData(width, height) : '';
  const key = spec.series.length > 1 ? legend(spec.series, pad.left, height - 8) : '';
  return frame(spec, width, height, `${grid}${rows}${empty}${key}`);
}

/** `text` cut to `max` characters with an ellipsis (the mark's tooltip keeps the whole label). */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function noData(width: number, height: number): string {
  return `<text class="no-data" x="${width / 2}" y="${height / 2}" text-anchor="middle" ${FONT}>no data yet</text>`;
}
