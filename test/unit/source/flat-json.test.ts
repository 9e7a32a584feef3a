import { SnapshotFormatError } from '../../../app/totesys/errors';
import { FlatJsonReader, JsonNumber } from '../../../app/totesys/flat-json';

function readAll(text: string, chunkSize = text.length): unknown[] {
  const reader = new FlatJsonReader('test.json');
  const out: unknown[] = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(...reader.push(text.slice(i, i + chunkSize)));
  reader.end();
  return out;
}

describe('FlatJsonReader', () => {
  it('reads JSON Lines and JSON arrays alike', () => {
    const lines = '{"a": 1, "b": "x"}\n{"a": 2, "b": null}\n';
    const array = '[{"a": 1, "b": "x"}, \n{"a": 2, "b": null}]';
    expect(readAll(array)).toEqual(readAll(lines));
    expect(readAll(lines)).toEqual([
      { a: new JsonNumber('1'), b: 'x' },
      { a: new JsonNumber('2'), b: null },
    ]);
  });

  it('keeps numbers as their exact source text', () => {
    const [row] = readAll('{"amount": 552548.62, "tiny": 1e-05, "neg": -0.10}') as [
      Record<string, JsonNumber>,
    ];
    expect(row.amount?.text).toBe('552548.62');
    expect(row.tiny?.text).toBe('1e-05');
    expect(row.neg?.text).toBe('-0.10');
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const text =
      '[{"s": "a \\"quoted\\" \\u00e9 word", "n": 123.45, "t": true, "f": false, "z": null}, {"n": 7}]';
    const whole = readAll(text);
    for (const size of [1, 2, 3, 5, 7, 11]) expect(readAll(text, size)).toEqual(whole);
    expect(whole[0]).toMatchObject({ s: 'a "quoted" é word', t: true, f: false, z: null });
  });

  it('rejects nested values, garbage and a truncated file with the record number', () => {
    expect(() => readAll('{"a": {"b": 1}}')).toThrow(SnapshotFormatError);
    expect(() => readAll('{"a": 1}\n{"a": wat}')).toThrow(/record 2/);
    expect(() => readAll('{"a": 1}\n{"a": 2')).toThrow(/ends in the middle/);
  });
});
