import { currencyName, currencyNames } from '../../../lambdas/transform/iso4217';

describe('currency names (Intl.DisplayNames, CLDR)', () => {
  it('names the totesys currencies, whatever their case and spacing', () => {
    expect([currencyName('GBP'), currencyName('usd'), currencyName(' EUR ')]).toEqual([
      'British Pound',
      'US Dollar',
      'Euro',
    ]);
    expect(currencyName('JPY')).toBe('Japanese Yen');
    expect(currencyName('CHF')).toBe('Swiss Franc');
  });

  it('knows no invented or malformed code', () => {
    expect([currencyName('ZZZ'), currencyName('GB'), currencyName('GBPX'), currencyName('')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('lists every code it names, funds codes included, for the lookup table', () => {
    const all = currencyNames();
    expect(all.size).toBeGreaterThan(170);
    expect(all.get('GBP')).toBe('British Pound');
    expect(all.has('BOV')).toBe(true);
    expect(all.has('ZZZ')).toBe(false);
    for (const [code, name] of all) expect(currencyName(code)).toBe(name);
  });
});
