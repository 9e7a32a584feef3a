/**
 * Currency names for `dim_currency.currency_name`, from the Unicode CLDR data built into the
 * runtime (`Intl.DisplayNames`, English): every ISO 4217 code CLDR names — current, funds,
 * precious metals and withdrawn ones — with no table to keep up to date here. A code CLDR does
 * not know has no name (the dimension's column is then null).
 */
const names = new Intl.DisplayNames('en', { type: 'currency', fallback: 'none' });

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

let everyName: ReadonlyMap<string, string> | undefined;

/**
 * The name of `code` (case-insensitive, surrounding spaces ignored), or `undefined` for a
 * code CLDR does not name.
 * @example currencyName('gbp') // 'British Pound'
 */
export function currencyName(code: string): string | undefined {
  const normal = code.trim().toUpperCase();
  return /^[A-Z]{3}$/.test(normal) ? names.of(normal) : undefined;
}

/**
 * Every code CLDR names, with its name, in code order: the lookup table the transform joins.
 * Found by asking for every three-letter code once (about 0.1 s, on first use only), since
 * `Intl.supportedValuesOf('currency')` leaves out codes it can still name (funds codes).
 */
export function currencyNames(): ReadonlyMap<string, string> {
  if (everyName) return everyName;
  const found = new Map<string, string>();
  for (const a of LETTERS) {
    for (const b of LETTERS) {
      for (const c of LETTERS) {
        const name = names.of(`${a}${b}${c}`);
        if (name !== undefined) found.set(`${a}${b}${c}`, name);
      }
    }
  }
  everyName = found;
  return found;
}
