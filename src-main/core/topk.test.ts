import { describe, expect, it } from 'vitest';
import { createRng } from './random';
import { topK } from './topk';

describe('topK', () => {
  it('returns the positions of the k largest values, largest first', () => {
    const values = Float32Array.from([0.1, 0.9, 0.3, 0.7, 0.5]);
    expect(Array.from(topK(values, 3))).toEqual([1, 3, 4]);
    expect(Array.from(topK(values, 1))).toEqual([1]);
    expect(Array.from(topK(values, 10))).toEqual([1, 3, 4, 2, 0]);
    expect(Array.from(topK(values, 0))).toEqual([]);
  });

  it('breaks ties by the smaller position and skips -Infinity and NaN', () => {
    const values = [2, 5, 5, -Infinity, 5, NaN, 1];
    expect(Array.from(topK(values, 2))).toEqual([1, 2]);
    expect(Array.from(topK(values, 4))).toEqual([1, 2, 4, 0]);
    expect(Array.from(topK(values, 7))).toEqual([1, 2, 4, 0, 6]);
  });

  it('agrees with a full sort on random data', () => {
    const rng = createRng(4);
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + rng.int(500);
      // Coarse values make ties common.
      const values = Float32Array.from({ length: n }, () => Math.round(rng.normal() * 4) / 4);
      const k = rng.int(n + 3);
      const expected = Array.from({ length: n }, (_, i) => i)
        .sort((a, b) => values[b] - values[a] || a - b)
        .slice(0, k);
      expect(Array.from(topK(values, k))).toEqual(expected);
    }
  });
});
