import { beforeAll, describe, expect, it } from 'vitest';
import type { UserItemLists } from '../data/dataset';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import { evaluateRetrieval, fScoreOfMeans } from './retrieval';

beforeAll(async () => {
  await initBackend('cpu');
});

function lists(numUsers: number, byUser: Record<number, number[]>): UserItemLists {
  const offsets = new Int32Array(numUsers + 1);
  const items: number[] = [];
  for (let u = 0; u < numUsers; u++) {
    items.push(...(byUser[u] ?? []));
    offsets[u + 1] = items.length;
  }
  return { offsets, items: Int32Array.from(items) };
}

// Items: i0 (1,0), i1 (0,1), i2 (.5,.5), i3 (-1,0), i4 (.9,.1). Users: u0 (1,0), u1 (0,1), u2 (1,1).
// u0 ranks i0, i4, i2, i1, i3; u1 ranks i1, i2, i4, i0, i3 (ties by index); u2 ranks i0, i1, i2, i4, i3.
const itemVectors = Float32Array.from([1, 0, 0, 1, 0.5, 0.5, -1, 0, 0.9, 0.1]);
const userVectors = Float32Array.from([1, 0, 0, 1, 1, 1]);
const testPositives = lists(3, { 0: [4, 3], 1: [2] });
const gt = (u: number) => Int32Array.from(({ 0: [1, 2], 2: [3] } as Record<number, number[]>)[u] ?? []);

const base = { userVectors, itemVectors, dim: 2, numUsers: 3, numItems: 5, testPositives };

describe('evaluateRetrieval', () => {
  it('computes R/P/F@K with the paper-code definitions (F from the means)', () => {
    const { metrics, evaluatedUsers } = evaluateRetrieval({ ...base, corpus: null, ks: [1, 2, 4] });
    expect(evaluatedUsers).toBe(2);
    expect(metrics['R@1']).toBe(0);
    expect(metrics['P@1']).toBe(0);
    expect(metrics['F@1']).toBe(0);
    // K=2: u0 hits i4 of {i4, i3} (r 1/2, p 1/2); u1 hits i2 of {i2} (r 1, p 1/2).
    expect(metrics['R@2']).toBeCloseTo(0.75, 10);
    expect(metrics['P@2']).toBeCloseTo(0.5, 10);
    // 2 * .75 * .5 / 1.25 = 0.6; the mean of per-user F1 would be (0.5 + 0.667) / 2 = 0.583.
    expect(metrics['F@2']).toBeCloseTo(0.6, 10);
    expect(metrics['R@4']).toBeCloseTo(0.75, 10);
    expect(metrics['P@4']).toBeCloseTo(0.25, 10);
    expect(metrics['F@4']).toBeCloseTo(0.375, 10);
    expect(Object.keys(metrics).sort()).toEqual([
      'F@1',
      'F@2',
      'F@4',
      'P@1',
      'P@2',
      'P@4',
      'R@1',
      'R@2',
      'R@4',
    ]);
  });

  it('computes GT-R@K over users with ground-truth positives', () => {
    const { metrics, groundTruthUsers } = evaluateRetrieval({
      ...base,
      corpus: null,
      ks: [2, 4],
      groundTruthPositives: gt,
    });
    expect(groundTruthUsers).toBe(2);
    // u0: top 2 (i0, i4) misses {i1, i2}, top 4 holds both; u2: {i3} is last.
    expect(metrics['GT-R@2']).toBe(0);
    expect(metrics['GT-R@4']).toBeCloseTo(0.5, 10);
    // Adding ground truth does not change the retrieval metrics.
    expect(metrics['R@2']).toBeCloseTo(0.75, 10);
  });

  it('searches only the given corpus when one is passed', () => {
    const { metrics } = evaluateRetrieval({
      ...base,
      corpus: Int32Array.from([1, 2, 3, 4]),
      ks: [1, 2],
      groundTruthPositives: gt,
    });
    // Without i0, u0's first item is i4 (a hit): R 1/2, P 1; u1 still starts with i1 (miss).
    expect(metrics['R@1']).toBeCloseTo(0.25, 10);
    expect(metrics['P@1']).toBeCloseTo(0.5, 10);
    // GT@2: u0 (i4, i2) holds i2 of {i1, i2}; u2 (i1, i2) misses i3.
    expect(metrics['GT-R@2']).toBeCloseTo(0.25, 10);
  });

  it('gives the same numbers whatever the chunk size, and matches a brute-force sort', () => {
    const rng = createRng(3);
    const numUsers = 40;
    const numItems = 60;
    const dim = 5;
    const users = Float32Array.from({ length: numUsers * dim }, () => rng.normal());
    const items = Float32Array.from({ length: numItems * dim }, () => rng.normal());
    const byUser: Record<number, number[]> = {};
    for (let u = 0; u < numUsers; u++) {
      if (u % 7 === 0) continue; // some users without test positives
      const set = new Set<number>();
      const count = 1 + rng.int(6);
      while (set.size < count) set.add(rng.int(numItems));
      byUser[u] = [...set];
    }
    const positives = lists(numUsers, byUser);
    const input = {
      userVectors: users,
      itemVectors: items,
      dim,
      numUsers,
      numItems,
      testPositives: positives,
    };
    const big = evaluateRetrieval({ ...input, corpus: null, ks: [10, 3] });
    const small = evaluateRetrieval({ ...input, corpus: null, ks: [10, 3], maxScoresPerChunk: 70 });
    expect(small.metrics).toEqual(big.metrics);

    const expected: Record<string, number> = {};
    for (const k of [10, 3]) {
      let r = 0;
      let p = 0;
      let n = 0;
      for (let u = 0; u < numUsers; u++) {
        const pos = byUser[u];
        if (!pos) continue;
        n++;
        const scores = Array.from({ length: numItems }, (_, i) => {
          let s = 0;
          for (let d = 0; d < dim; d++) s += Math.fround(users[u * dim + d] * items[i * dim + d]);
          return s;
        });
        const ranked = scores.map((s, i) => [s, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
        const hits = ranked.slice(0, k).filter(([, i]) => pos.includes(i)).length;
        r += hits / pos.length;
        p += hits / k;
      }
      expected[`R@${k}`] = r / n;
      expected[`P@${k}`] = p / n;
      expected[`F@${k}`] = fScoreOfMeans(r / n, p / n);
    }
    for (const key of Object.keys(expected)) expect(big.metrics[key], key).toBeCloseTo(expected[key], 10);
  });

  it('returns each scored user top list for the largest K when asked, as item ids', () => {
    const plain = evaluateRetrieval({ ...base, corpus: null, ks: [2, 4], groundTruthPositives: gt });
    expect(plain.topLists).toBeUndefined();
    const kept = evaluateRetrieval({
      ...base,
      corpus: null,
      ks: [2, 4],
      groundTruthPositives: gt,
      keepTopLists: true,
      maxScoresPerChunk: 5, // one user per chunk: rows must still line up with users
    });
    expect(kept.metrics).toEqual(plain.metrics);
    // u0 and u1 have test positives, u2 ground truth only: all three are scored.
    expect(kept.topLists?.k).toBe(4);
    expect(Array.from(kept.topLists?.users ?? [])).toEqual([0, 1, 2]);
    expect(Array.from(kept.topLists?.items ?? [])).toEqual([0, 4, 2, 1, 1, 2, 4, 0, 0, 1, 2, 4]);
  });

  it('maps corpus positions back to item ids and pads short lists with -1', () => {
    const { topLists } = evaluateRetrieval({
      ...base,
      corpus: Int32Array.from([3, 1, 4]),
      ks: [4],
      keepTopLists: true,
    });
    // Corpus {i1, i3, i4}: u0 ranks i4, i1, i3; u1 ranks i1, i4, i3; u2 has no test positive.
    expect(Array.from(topLists?.users ?? [])).toEqual([0, 1]);
    expect(Array.from(topLists?.items ?? [])).toEqual([4, 1, 3, -1, 1, 4, 3, -1]);
  });

  it('rejects bad K and mismatched sizes', () => {
    expect(() => evaluateRetrieval({ ...base, corpus: null, ks: [] })).toThrow(/at least one K/);
    expect(() => evaluateRetrieval({ ...base, corpus: null, ks: [0] })).toThrow(/positive integer/);
    expect(() => evaluateRetrieval({ ...base, numUsers: 4, corpus: null, ks: [1] })).toThrow(/userVectors/);
  });
});
