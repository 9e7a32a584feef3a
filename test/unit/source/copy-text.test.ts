import { CopyRowFormatter, copyEscape, moneyText, normaliseTimestamp } from '../../../app/totesys/copy-text';
import { SnapshotFormatError } from '../../../app/totesys/errors';
import { JsonNumber } from '../../../app/totesys/flat-json';
import { sourceTable } from '../../../lambdas/kernel/schema';

describe('normaliseTimestamp', () => {
  it.each([
    ['2022-11-03T14:20:52.186000', '2022-11-03 14:20:52.186'],
    ['2022-11-03 14:20:52.186000', '2022-11-03 14:20:52.186'],
    ['2022-11-03T14:20:52', '2022-11-03 14:20:52.000'],
    ['2022-11-03T14:20:52.5', '2022-11-03 14:20:52.500'],
    ['2022-11-03T14:20:59.999999', '2022-11-03 14:20:59.999'],
    ['2022-11-03T14:20:52.186Z', '2022-11-03 14:20:52.186'],
  ])('reads %s as %s', (input, expected) => {
    expect(normaliseTimestamp(input)).toBe(expected);
  });

  it('rejects text that is not a timestamp or has a non-UTC offset', () => {
    expect(normaliseTimestamp('2022-11-03')).toBeUndefined();
    expect(normaliseTimestamp('2022-11-03T14:20:52+02:00')).toBeUndefined();
  });
});

describe('moneyText', () => {
  it('passes the decimal text through untouched, from a JSON number or a string', () => {
    expect(moneyText(new JsonNumber('552548.62'))).toBe('552548.62');
    expect(moneyText('3.94')).toBe('3.94');
    expect(moneyText('abc')).toBeUndefined();
    expect(moneyText(true)).toBeUndefined();
  });
});

describe('CopyRowFormatter', () => {
  const currency = sourceTable('currency');
  const address = sourceTable('address');

  it('renders a row in column order with COPY escapes and NULL markers', () => {
    const f = new CopyRowFormatter(address, 'address.json');
    const line = f.line(
      {
        address_id: new JsonNumber('1'),
        address_line_1: 'a\tb\\c\nd',
        address_line_2: null,
        city: 'X',
        postal_code: '1',
        country: 'Y',
        phone: '2',
        created_at: '2022-11-03T14:20:49.962000',
        last_updated: '2022-11-03 14:20:49',
      },
      1,
    );
    expect(line).toBe(
      '1\ta\\tb\\\\c\\nd\t\\N\t\\N\tX\t1\tY\t2\t2022-11-03 14:20:49.962\t2022-11-03 14:20:49.000\n',
    );
  });

  it('names the record and column of a null in a NOT NULL column', () => {
    const f = new CopyRowFormatter(currency, 'currency.json');
    const row = { currency_id: new JsonNumber('1'), currency_code: null, created_at: 'x', last_updated: 'y' };
    expect(() => f.line(row, 7)).toThrow(SnapshotFormatError);
    expect(() => f.line(row, 7)).toThrow(/record 7: column currency_code/);
  });

  it('rejects a value of the wrong kind for its column', () => {
    const f = new CopyRowFormatter(currency, 'currency.json');
    const row = {
      currency_id: new JsonNumber('1.5'),
      currency_code: 'GBP',
      created_at: '2022-11-03T14:20:49',
      last_updated: '2022-11-03T14:20:49',
    };
    expect(() => f.line(row, 1)).toThrow(/currency_id has 1.5/);
  });

  it('escapes only what COPY text needs', () => {
    expect(copyEscape('plain text, "quotes" and \u00e9')).toBe('plain text, "quotes" and \u00e9');
    expect(copyEscape('\r')).toBe('\\r');
  });
});
