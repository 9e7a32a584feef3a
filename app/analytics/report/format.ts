/** Escapes text for HTML/SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const formats = new Map<string, Intl.NumberFormat>();

function numberFormat(key: string, make: () => Intl.NumberFormat): Intl.NumberFormat {
  let format = formats.get(key);
  if (!format) {
    format = make();
    formats.set(key, format);
  }
  return format;
}

/** Whether `Intl` can format amounts in `currency` (any well-formed three-letter code). */
function isCurrencyCode(currency: string): boolean {
  return /^[A-Z]{3}$/.test(currency);
}

/**
 * An amount for a chart label or a tile: compact, always with its currency — `£23.9m`,
 * `US$1.2k`, `€950.00`. A code `Intl` does not accept is written before the number.
 */
export function money(value: number, currency: string): string {
  if (!isCurrencyCode(currency)) return `${currency} ${compactNumber(value)}`;
  if (value === 0) {
    return numberFormat(
      `zero:${currency}`,
      () => new Intl.NumberFormat('en-GB', { style: 'currency', currency, maximumFractionDigits: 0 }),
    ).format(0);
  }
  const compact = Math.abs(value) >= 10_000;
  return numberFormat(`money:${currency}:${compact}`, () =>
    compact
      ? new Intl.NumberFormat('en-GB', {
          style: 'currency',
          currency,
          notation: 'compact',
          maximumFractionDigits: 1,
        })
      : new Intl.NumberFormat('en-GB', { style: 'currency', currency }),
  ).format(value);
}

/**
 * An exact amount (a decimal string from the warehouse) in full, for tables and tooltips:
 * `£23,912,345.50`. `Intl` formats the decimal text itself, so no digit is lost to floating point.
 */
export function exactMoney(value: string, currency: string): string {
  if (!isCurrencyCode(currency)) return `${currency} ${value}`;
  return numberFormat(
    `exact:${currency}`,
    () => new Intl.NumberFormat('en-GB', { style: 'currency', currency }),
  ).format(value as unknown as number);
}

/** A count for people: `1,234`, or compact above a million (`4.6m`). */
export function count(value: number): string {
  return Math.abs(value) >= 1e6 ? compactNumber(value) : value.toLocaleString('en-GB');
}

/** A number without a unit, compact: `1.2k`, `3.4m`, `5.6bn`. */
export function compactNumber(value: number): string {
  return numberFormat(
    'compact',
    () => new Intl.NumberFormat('en-GB', { notation: 'compact', maximumFractionDigits: 1 }),
  ).format(value);
}

/** A relative change for people: `+12.3%`, `−4.0%`, `no change`; `new` when there was nothing before. */
export function change(current: number, previous: number): { text: string; ratio: number | null } {
  if (previous === 0) return { text: current === 0 ? 'no change' : 'new', ratio: null };
  const ratio = (current - previous) / Math.abs(previous);
  if (Math.abs(ratio) < 0.0005) return { text: 'no change', ratio: 0 };
  const percent = Math.abs(ratio * 100).toFixed(1);
  return { text: `${ratio > 0 ? '+' : '−'}${percent}%`, ratio };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2024-10` → `Oct 2024`. */
export function monthLabel(month: string): string {
  const [year, m] = month.split('-');
  return `${MONTHS[Number(m) - 1] ?? m} ${year}`;
}

/** `2024-11-15` → `15 Nov 2024`. */
export function dayLabel(day: string): string {
  const [year, m, d] = day.split('-');
  return `${Number(d)} ${MONTHS[Number(m) - 1] ?? m} ${year}`;
}

/** Every month from `first` to `last` inclusive (`YYYY-MM`), gaps included. */
export function monthRange(first: string, last: string): string[] {
  const months: string[] = [];
  let [year, month] = first.split('-').map(Number) as [number, number];
  const [lastYear, lastMonth] = last.split('-').map(Number) as [number, number];
  while (year < lastYear || (year === lastYear && month <= lastMonth)) {
    months.push(`${year}-${String(month).padStart(2, '0')}`);
    month++;
    if (month > 12) {
      month = 1;
      year++;
    }
  }
  return months;
}

/** The month before `month` (`YYYY-MM`). */
export function previousMonth(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, '0')}`;
}

/** Whether `day` (`YYYY-MM-DD`) is the last day of its month. */
export function isMonthEnd(day: string): boolean {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.getUTCDate() === 1;
}
