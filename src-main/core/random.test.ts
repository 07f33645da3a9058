import { describe, expect, it } from 'vitest';
import { Rng, WeightedSampler, createRng, hashUniform } from './random';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe('Rng', () => {
  it('repeats its stream for the same seed and differs for another seed', () => {
    expect(draws(createRng(42), 20)).toEqual(draws(createRng(42), 20));
    expect(draws(createRng(42), 20)).not.toEqual(draws(createRng(43), 20));
    // Seeds beyond 2^32 are folded, not truncated into each other.
    expect(draws(createRng(1), 5)).not.toEqual(draws(createRng(1 + 2 ** 32), 5));
  });

  it('matches the reference xoshiro128** sequence for a hand-set state', () => {
    // Reference: state (1, 2, 3, 4) -> first outputs 11520, 0, 5927040, 70819200 (C reference code).
    const rng = createRng(0);
    const state = (rng as unknown as { state: Uint32Array }).state;
    state.set([1, 2, 3, 4]);
    expect(draws(rng, 4)).toEqual([11520, 0, 5927040, 70819200]);
  });

  it('draws uniforms in [0, 1) with the right mean and variance', () => {
    const rng = createRng(7);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sumSq += u * u;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sumSq / n - mean * mean).toBeCloseTo(1 / 12, 2);
  });

  it('draws normals with the requested mean and standard deviation', () => {
    const rng = createRng(8);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal(3, 2);
      sum += z;
      sumSq += z * z;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(sumSq / n - mean * mean)).toBeCloseTo(2, 1);
  });

  it('draws integers in range with roughly equal frequencies', () => {
    const rng = createRng(9);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => rng.int(0)).toThrow(/integer n/);
    for (let i = 0; i < 100; i++) {
      const x = rng.intIn(-2, 2);
      expect(x >= -2 && x <= 2 && Number.isInteger(x)).toBe(true);
    }
  });

  it('shuffles into a permutation, deterministically', () => {
    const a = createRng(3).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    const b = createRng(3).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('picks weighted indices in proportion to the weights', () => {
    const rng = createRng(11);
    const weights = [1, 0, 3];
    const counts = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[rng.weightedIndex(weights)]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(2.8);
    expect(counts[2] / counts[0]).toBeLessThan(3.2);
    expect(() => rng.weightedIndex([0, 0])).toThrow(/zero/);

    const sampler = new WeightedSampler(weights);
    const sampled = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) sampled[sampler.sample(rng)]++;
    expect(sampled[1]).toBe(0);
    expect(sampled[2] / sampled[0]).toBeGreaterThan(2.8);
    expect(sampled[2] / sampled[0]).toBeLessThan(3.2);
  });

  it('forks independent but reproducible streams', () => {
    const parent = createRng(5);
    const a = draws(parent.fork(1), 10);
    const b = draws(createRng(5).fork(1), 10);
    const c = draws(createRng(5).fork(2), 10);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(draws(createRng(5), 10));
  });
});

describe('hashUniform', () => {
  it('is a pure function of (seed, a, b), spread over [0, 1)', () => {
    expect(hashUniform(1, 2, 3)).toBe(hashUniform(1, 2, 3));
    expect(hashUniform(1, 2, 3)).not.toBe(hashUniform(1, 3, 2));
    expect(hashUniform(1, 2, 3)).not.toBe(hashUniform(2, 2, 3));
    let sum = 0;
    let below = 0;
    const n = 200 * 200;
    for (let a = 0; a < 200; a++) {
      for (let b = 0; b < 200; b++) {
        const u = hashUniform(9, a, b);
        sum += u;
        if (u < 0.3) below++;
      }
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(below / n).toBeCloseTo(0.3, 2);
  });
});

describe('Rng.fillUniform', () => {
  it('draws exactly what repeated uniform() draws, and leaves the same state behind', () => {
    const bulk = createRng(17);
    const single = createRng(17);
    bulk.uniform();
    single.uniform();
    const out = new Float64Array(1000).fill(-1);
    bulk.fillUniform(out, 999);
    for (let j = 0; j < 999; j++) expect(out[j]).toBe(single.uniform());
    expect(out[999]).toBe(-1);
    expect(bulk.nextUint32()).toBe(single.nextUint32());
    expect(bulk.normal()).toBe(single.normal());
  });
});
