/** Values as PostgreSQL's COPY text format (and its text input) spells them. */

export { COPY_NULL } from '../copy-text';

/** `YYYY-MM-DD HH:MM:SS.fff` of a UTC instant: a `timestamp(3)`. */
export function timestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** `YYYY-MM-DD` of a UTC instant: totesys's text dates. */
export function dateText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Exact `numeric(10,2)` text of a whole number of cents. */
export function money(cents: number): string {
  const rest = cents % 100;
  return `${Math.floor(cents / 100)}.${rest < 10 ? '0' : ''}${rest}`;
}
