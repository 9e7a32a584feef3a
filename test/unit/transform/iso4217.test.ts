import { currencyName, ISO_4217 } from '../../../lambdas/transform/iso4217';

describe('ISO 4217 currency names', () => {
  it('names the totesys currencies and every other current code', () => {
    expect([currencyName('GBP'), currencyName('usd'), currencyName(' EUR ')]).toEqual([
      'Pound Sterling',
      'US Dollar',
      'Euro',
    ]);
    expect(ISO_4217.size).toBeGreaterThan(170);
    expect(currencyName('JPY')).toBe('Yen');
    expect(currencyName('CHF')).toBe('Swiss Franc');
  });

  it('knows no withdrawn or invented code', () => {
    expect([currencyName('HRK'), currencyName('ZZZ')]).toEqual([undefined, undefined]);
    for (const code of ISO_4217.keys()) expect(code).toMatch(/^[A-Z]{3}$/);
  });
});
