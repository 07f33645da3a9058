import { describe, expect, it } from 'vitest';
import { createRng } from './random';
import { TopKStream, topK } from './topk';

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

describe('TopKStream', () => {
  it('equals topK over the offered positions, the rest counting as -Infinity', () => {
    const rng = createRng(6);
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + rng.int(400);
      const k = rng.int(40);
      const values = Float64Array.from({ length: n }, () => Math.round(rng.normal() * 3) / 3);
      const masked = Float64Array.from(values);
      const stream = new TopKStream(k);
      for (let i = 0; i < n; i++) {
        // Skip what cannot enter (as the simulator's race does) and a random third of the rest.
        if (!(values[i] > stream.threshold()) || rng.uniform() < 1 / 3) {
          masked[i] = -Infinity;
          continue;
        }
        stream.offer(i, values[i]);
      }
      expect(Array.from(stream.result()), `trial ${trial}`).toEqual(Array.from(topK(masked, k)));
      stream.reset();
      expect(Array.from(stream.result())).toEqual([]);
    }
  });

  it('reports -Infinity until k values are held, then the k-th largest', () => {
    const stream = new TopKStream(2);
    expect(stream.threshold()).toBe(-Infinity);
    stream.offer(0, 5);
    stream.offer(1, Number.NaN); // never held
    expect(stream.threshold()).toBe(-Infinity);
    stream.offer(2, 1);
    expect(stream.threshold()).toBe(1);
    stream.offer(3, 3);
    expect(stream.threshold()).toBe(3);
    stream.offer(4, 3); // equal to the threshold, larger position: stays out
    expect(Array.from(stream.result())).toEqual([0, 3]);
    expect(new TopKStream(0).threshold()).toBe(Infinity);
    expect(() => new TopKStream(-1)).toThrow(/k must be an integer/);
  });

  it('topK keeps working across calls with growing k and different array types', () => {
    const values = [4, 1, 3, 3, 9, 0];
    expect(Array.from(topK(values, 2))).toEqual([4, 0]);
    expect(
      Array.from(
        topK(
          Float64Array.from({ length: 1000 }, (_, i) => i % 7),
          300,
        ),
      ).slice(0, 3),
    ).toEqual([6, 13, 20]);
    expect(Array.from(topK(Int32Array.from(values), 6))).toEqual([4, 0, 2, 3, 1, 5]);
  });
});
