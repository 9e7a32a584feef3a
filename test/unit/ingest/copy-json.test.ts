import { CopyJsonLines, type RawField } from '../../../lambdas/ingest/copy-json';
import { IngestError } from '../../../lambdas/ingest/errors';
import type { ChangeOp } from '../../../lambdas/kernel/schema';

const fields: RawField[] = [
  { name: 'id', kind: 'number' },
  { name: 'name', kind: 'string' },
  { name: 'paid', kind: 'boolean' },
  { name: 'last_updated', kind: 'timestamp' },
];

function transcode(
  input: string | Buffer,
  options: { chunk?: number; fields?: RawField[]; known?: Set<number> } = {},
) {
  const rows: [number, ChangeOp][] = [];
  const t = new CopyJsonLines(options.fields ?? fields, {
    prefix: (op) => `{"_op":"${op}",`,
    opOf: (pk) => (options.known?.has(pk) ? 'u' : 'c'),
    onRow: (pk, op) => rows.push([pk, op]),
    highWaterField: 3,
    bufferBytes: 64,
  });
  const bytes = Buffer.from(input);
  const out: Buffer[] = [];
  const step = options.chunk ?? bytes.length;
  for (let i = 0; i < bytes.length; i += step) out.push(...t.write(bytes.subarray(i, i + step)));
  out.push(...t.end());
  return { text: Buffer.concat(out).toString('utf8'), rows, highWater: t.highWater, t };
}

describe('CopyJsonLines', () => {
  it('renders each COPY row as one JSON object with the prefix members first', () => {
    const { text, rows } = transcode('1\tAda\tt\t2024-01-02 03:04:05.678\n2\t\\N\tf\t2024-01-02 03:04:05\n');
    expect(text).toBe(
      '{"_op":"c","id":1,"name":"Ada","paid":true,"last_updated":"2024-01-02T03:04:05.678"}\n' +
        '{"_op":"c","id":2,"name":null,"paid":false,"last_updated":"2024-01-02T03:04:05.000"}\n',
    );
    expect(rows).toEqual([
      [1, 'c'],
      [2, 'c'],
    ]);
  });

  it('asks for the operation of each row by its primary key', () => {
    const { text, rows } = transcode('7\ta\tt\t2024-01-01 00:00:00\n8\tb\tt\t2024-01-01 00:00:00\n', {
      known: new Set([8]),
    });
    expect(text.split('\n')[1]).toMatch(/^\{"_op":"u","id":8,/);
    expect(rows).toEqual([
      [7, 'c'],
      [8, 'u'],
    ]);
  });

  it('undoes COPY escapes and applies JSON escapes as row_to_json does', () => {
    const copyText = 'tab\\there "q" back\\\\slash nl\\n cr\\r bs\\b ff\\f vt\\v \x01 \x7f é ☃';
    const { text } = transcode(`1\t${copyText}\tt\t2024-01-01 00:00:00\n`);
    const row = JSON.parse(text);
    expect(row.name).toBe('tab\there "q" back\\slash nl\n cr\r bs\b ff\f vt\v \x01 \x7f é ☃');
    expect(text).toContain(
      '"tab\\there \\"q\\" back\\\\slash nl\\n cr\\r bs\\b ff\\f vt\\u000b \\u0001 \x7f é ☃"',
    );
  });

  it('renders timestamps as to_char with milliseconds does: truncated, padded, era dropped, infinity null', () => {
    const values = [
      '2024-05-05 01:02:03.456789',
      '2024-05-05 01:02:03.1',
      '0044-03-15 10:00:00.5 BC',
      '10000-01-01 00:00:00',
      'infinity',
      '-infinity',
    ];
    const input = values.map((v, i) => `${i + 1}\tx\tf\t${v}\n`).join('');
    const rendered = transcode(input)
      .text.trim()
      .split('\n')
      .map((line) => JSON.parse(line).last_updated);
    expect(rendered).toEqual([
      '2024-05-05T01:02:03.456',
      '2024-05-05T01:02:03.100',
      '0044-03-15T10:00:00.500',
      '10000-01-01T00:00:00.000',
      null,
      null,
    ]);
  });

  it('tracks the largest rendered value of the high-water column, ignoring infinite ones', () => {
    const input = [
      '1\tx\tf\t2024-01-01 00:00:00.5',
      '2\tx\tf\tinfinity',
      '3\tx\tf\t2024-03-01 00:00:00',
      '4\tx\tf\t2024-02-01 00:00:00',
    ].join('\n');
    expect(transcode(`${input}\n`).highWater).toBe('2024-03-01T00:00:00.000');
    expect(transcode('').highWater).toBeUndefined();
  });

  it('gives the same output however the input is split into chunks', () => {
    const input = Array.from(
      { length: 40 },
      (_, i) => `${i + 1}\tname ${'é'.repeat(i)}\\t\tt\t2024-01-01 00:00:0${i % 10}.12\n`,
    ).join('');
    const whole = transcode(input).text;
    for (const chunk of [1, 2, 3, 7, 50]) expect(transcode(input, { chunk }).text).toBe(whole);
    expect(whole.trim().split('\n')).toHaveLength(40);
  });

  it('appends the members of an object field, and nothing for an empty object', () => {
    const withObject: RawField[] = [...fields, { name: '', kind: 'object' }];
    const { text } = transcode(
      '1\ta\tt\t2024-01-01 00:00:00\t{"nick": "q\\\\"x\\\\n"}\n2\tb\tt\t2024-01-01 00:00:00\t{}\n',
      { fields: withObject },
    );
    const [first, second] = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(first).toEqual({
      _op: 'c',
      id: 1,
      name: 'a',
      paid: true,
      last_updated: '2024-01-01T00:00:00.000',
      nick: 'q"x\n',
    });
    expect(Object.keys(second)).toEqual(['_op', 'id', 'name', 'paid', 'last_updated']);
  });

  it('refuses input that ends inside a row or rows of the wrong shape', () => {
    expect(() => transcode('1\ta\tt\t2024-01-01 00:00:00')).toThrow(IngestError);
    expect(() => transcode('1\ta\tt\n')).toThrow(/expected columns/);
    expect(() => transcode('1\ta\tt\t2024-01-01 00:00:00\textra\n')).toThrow(/expected columns/);
    expect(() => transcode('x\ta\tt\t2024-01-01 00:00:00\n')).toThrow(/primary key/);
  });
});
