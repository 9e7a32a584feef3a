import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * A set of primary keys as a sorted `Int32Array`: 4 bytes a key, binary-search lookups and
 * linear merges. totesys keys are serial integers, so a million keys take 4 MB in memory and,
 * delta-encoded and gzipped, a few kilobytes in the lake.
 */
export class KeySet {
  private constructor(readonly keys: Int32Array) {}

  static empty(): KeySet {
    return new KeySet(new Int32Array(0));
  }

  /** From keys already in ascending order without duplicates (as `ORDER BY pk` returns them). */
  static fromSorted(keys: Int32Array): KeySet {
    for (let i = 1; i < keys.length; i++) {
      if ((keys[i] as number) <= (keys[i - 1] as number))
        throw new RangeError('keys are not strictly ascending');
    }
    return new KeySet(keys);
  }

  get size(): number {
    return this.keys.length;
  }

  has(key: number): boolean {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.keys[mid] as number;
      if (value === key) return true;
      if (value < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** This set with `added` keys (in any order, none already present) merged in. */
  withAdded(added: readonly number[]): KeySet {
    if (added.length === 0) return this;
    const extra = Int32Array.from(added).sort();
    const merged = new Int32Array(this.keys.length + extra.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < this.keys.length || j < extra.length) {
      const a = this.keys[i];
      const b = extra[j];
      if (b === undefined || (a !== undefined && a < b)) merged[k++] = this.keys[i++] as number;
      else merged[k++] = extra[j++] as number;
    }
    return KeySet.fromSorted(merged);
  }

  /** Count and sum of the keys, as decimal text (the sum of many keys passes 2^53). */
  fingerprint(): { count: string; sum: string } {
    let sum = 0n;
    let chunk = 0;
    for (let i = 0; i < this.keys.length; i++) {
      chunk += this.keys[i] as number;
      // Flush to BigInt well before the float sum could lose precision.
      if ((i & 0xffff) === 0xffff) {
        sum += BigInt(chunk);
        chunk = 0;
      }
    }
    return { count: String(this.keys.length), sum: String(sum + BigInt(chunk)) };
  }

  /** Keys in this set that are not in `other`, ascending. */
  minus(other: KeySet): number[] {
    const out: number[] = [];
    let j = 0;
    for (const key of this.keys) {
      while (j < other.keys.length && (other.keys[j] as number) < key) j++;
      if (j >= other.keys.length || other.keys[j] !== key) out.push(key);
    }
    return out;
  }

  equals(other: KeySet): boolean {
    return this.keys.length === other.keys.length && this.keys.every((k, i) => k === other.keys[i]);
  }

  /** Delta-encoded, gzipped bytes (see {@link KeySet.decode}). */
  encode(): Buffer {
    const deltas = new Int32Array(this.keys.length);
    let previous = 0;
    this.keys.forEach((key, i) => {
      deltas[i] = key - previous;
      previous = key;
    });
    return gzipSync(Buffer.from(deltas.buffer, deltas.byteOffset, deltas.byteLength));
  }

  static decode(bytes: Buffer): KeySet {
    const raw = gunzipSync(bytes);
    const deltas = new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    let previous = 0;
    for (let i = 0; i < deltas.length; i++) {
      previous += deltas[i] as number;
      deltas[i] = previous;
    }
    return new KeySet(deltas);
  }
}
