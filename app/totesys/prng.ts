/**
 * A small, fast, seeded pseudo-random generator (mulberry32) that can be re-keyed per row.
 * Keying by (seed, stream, index) makes every generated row a pure function of its position,
 * so tables can be generated independently, in any order, and a payment can recompute the
 * order it settles instead of keeping it in memory.
 */
export class RowRandom {
  private state = 0;

  /** Re-keys the generator for row `index` of `stream` under `seed`; returns itself. */
  at(seed: number, stream: number, index: number): this {
    let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 0x632be5ab, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) ^ Math.imul(index, 0x846ca68b);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    this.state = (h ^ (h >>> 13)) >>> 0;
    return this;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** An index drawn with the given relative weights. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}
