import { KeySet } from '../../../lambdas/ingest/key-set';

describe('KeySet', () => {
  const set = (keys: number[]) => KeySet.fromSorted(Int32Array.from(keys));

  it('round-trips through its encoding', () => {
    const keys = set([-5, 1, 2, 900, 2_000_000_000]);

    expect(KeySet.decode(keys.encode()).equals(keys)).toBe(true);
  });

  it('merges added keys in order', () => {
    expect([...set([2, 5, 9]).withAdded([7, 1, 10]).keys]).toEqual([1, 2, 5, 7, 9, 10]);
  });

  it('tells the keys missing from another set', () => {
    expect(set([1, 2, 3, 4]).minus(set([2, 4, 5]))).toEqual([1, 3]);
  });

  it('sums keys exactly beyond 2^53', () => {
    const n = 5_000_000;
    const first = 2 ** 31 - n;
    const keys = KeySet.fromSorted(Int32Array.from({ length: n }, (_, i) => first + i));
    const expected = (BigInt(n) * (2n * BigInt(first) + BigInt(n - 1))) / 2n;

    expect(expected > 2n ** 53n).toBe(true);
    expect(keys.fingerprint()).toEqual({ count: String(n), sum: String(expected) });
  });

  it('refuses keys out of order', () => {
    expect(() => set([3, 2])).toThrow(/ascending/);
  });
});
