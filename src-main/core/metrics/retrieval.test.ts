import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { UserItemLists } from '../data/dataset';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import {
  type RetrievalEvalInput,
  evaluateRetrievalAsync,
  fScoreOfMeans,
  retrievalTopKPlace,
} from './retrieval';

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
  it('computes R/P/F@K with the paper-code definitions (F from the means)', async () => {
    const { metrics, evaluatedUsers } = await evaluateRetrievalAsync({
      ...base,
      corpus: null,
      ks: [1, 2, 4],
    });
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

  it('computes GT-R@K over users with ground-truth positives', async () => {
    const { metrics, groundTruthUsers } = await evaluateRetrievalAsync({
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

  it('searches only the given corpus when one is passed', async () => {
    const { metrics } = await evaluateRetrievalAsync({
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

  it('counts only the ground-truth positives inside the corpus', async () => {
    const outside = (u: number) =>
      Int32Array.from(({ 0: [1, 2], 1: [1], 2: [3] } as Record<number, number[]>)[u] ?? []);
    const { metrics, groundTruthUsers } = await evaluateRetrievalAsync({
      ...base,
      corpus: Int32Array.from([0, 2, 3, 4]),
      ks: [3],
      groundTruthPositives: outside,
    });
    // Without i1, u1 has no ground truth left and u0 only i2, which its top 3 (i0, i4, i2) holds;
    // u2's top 3 leaves out i3 (last). Counting i1 would give u0 1/2 and a third user.
    expect(groundTruthUsers).toBe(2);
    expect(metrics['GT-R@3']).toBeCloseTo(0.5, 10);
  });

  it('gives the same numbers whatever the chunk size, and matches a brute-force sort', async () => {
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
    const big = await evaluateRetrievalAsync({ ...input, corpus: null, ks: [10, 3] });
    const small = await evaluateRetrievalAsync({
      ...input,
      corpus: null,
      ks: [10, 3],
      maxScoresPerChunk: 70,
    });
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

  it('returns each scored user top list for the largest K when asked, as item ids', async () => {
    const plain = await evaluateRetrievalAsync({
      ...base,
      corpus: null,
      ks: [2, 4],
      groundTruthPositives: gt,
    });
    expect(plain.topLists).toBeUndefined();
    const kept = await evaluateRetrievalAsync({
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

  it('maps corpus positions back to item ids and pads short lists with -1', async () => {
    const { topLists } = await evaluateRetrievalAsync({
      ...base,
      corpus: Int32Array.from([3, 1, 4]),
      ks: [4],
      keepTopLists: true,
    });
    // Corpus {i1, i3, i4}: u0 ranks i4, i1, i3; u1 ranks i1, i4, i3; u2 has no test positive.
    expect(Array.from(topLists?.users ?? [])).toEqual([0, 1]);
    expect(Array.from(topLists?.items ?? [])).toEqual([4, 1, 3, -1, 1, 4, 3, -1]);
  });

  it('rejects bad K and mismatched sizes', async () => {
    await expect(evaluateRetrievalAsync({ ...base, corpus: null, ks: [] })).rejects.toThrow(/at least one K/);
    await expect(evaluateRetrievalAsync({ ...base, corpus: null, ks: [0] })).rejects.toThrow(
      /positive integer/,
    );
    await expect(evaluateRetrievalAsync({ ...base, numUsers: 4, corpus: null, ks: [1] })).rejects.toThrow(
      /userVectors/,
    );
  });
});

/**
 * Random data with small integer vectors: every score is an exact integer in float32, so ties
 * are frequent and the naive reference below computes the very same scores.
 */
function tiedData(seed: number, numUsers: number, numItems: number, dim: number) {
  const rng = createRng(seed);
  const userVectors = Float32Array.from({ length: numUsers * dim }, () => rng.int(5) - 2);
  const itemVectors = Float32Array.from({ length: numItems * dim }, () => rng.int(5) - 2);
  const byUser: Record<number, number[]> = {};
  for (let u = 0; u < numUsers; u++) {
    if (u % 5 === 0) continue;
    const set = new Set<number>();
    const count = 1 + rng.int(8);
    while (set.size < count) set.add(rng.int(numItems));
    byUser[u] = [...set].sort((a, b) => a - b);
  }
  const gtByUser: Record<number, number[]> = {};
  for (let u = 0; u < numUsers; u += 3) gtByUser[u] = [rng.int(numItems), rng.int(numItems)];
  return { userVectors, itemVectors, byUser, gtByUser, testPositives: lists(numUsers, byUser) };
}

/** Brute force: full sort of every scored user's corpus by (score desc, corpus position asc). */
function naiveRetrieval(
  data: ReturnType<typeof tiedData>,
  numUsers: number,
  numItems: number,
  dim: number,
  corpus: number[] | null,
  ks: number[],
) {
  const items = corpus ?? Array.from({ length: numItems }, (_, i) => i);
  const inCorpus = new Set(items);
  const maxK = Math.max(...ks);
  const users: number[] = [];
  const topLists: number[] = [];
  const sums: Record<string, number> = {};
  let testUsers = 0;
  let gtUsers = 0;
  for (let u = 0; u < numUsers; u++) {
    const positives = data.byUser[u] ?? [];
    const gt = (data.gtByUser[u] ?? []).filter((i) => inCorpus.has(i));
    if (positives.length === 0 && gt.length === 0) continue;
    users.push(u);
    const ranked = items
      .map((item, position) => {
        let score = 0;
        for (let d = 0; d < dim; d++)
          score += data.userVectors[u * dim + d] * data.itemVectors[item * dim + d];
        return { item, position, score };
      })
      .sort((a, b) => b.score - a.score || a.position - b.position)
      .map((x) => x.item);
    for (let k = 0; k < maxK; k++) topLists.push(k < ranked.length ? ranked[k] : -1);
    if (positives.length > 0) testUsers++;
    if (gt.length > 0) gtUsers++;
    for (const k of ks) {
      const top = ranked.slice(0, k);
      const hits = top.filter((i) => positives.includes(i)).length;
      if (positives.length > 0) {
        sums[`R@${k}`] = (sums[`R@${k}`] ?? 0) + hits / positives.length;
        sums[`P@${k}`] = (sums[`P@${k}`] ?? 0) + hits / k;
      }
      if (gt.length > 0)
        sums[`GT-R@${k}`] = (sums[`GT-R@${k}`] ?? 0) + top.filter((i) => gt.includes(i)).length / gt.length;
    }
  }
  const metrics: Record<string, number> = {};
  for (const k of ks) {
    const r = testUsers > 0 ? (sums[`R@${k}`] ?? 0) / testUsers : 0;
    const p = testUsers > 0 ? (sums[`P@${k}`] ?? 0) / testUsers : 0;
    metrics[`R@${k}`] = r;
    metrics[`P@${k}`] = p;
    metrics[`F@${k}`] = fScoreOfMeans(r, p);
    metrics[`GT-R@${k}`] = gtUsers > 0 ? (sums[`GT-R@${k}`] ?? 0) / gtUsers : 0;
  }
  return { users, topLists, metrics };
}

describe.each(['cpu', 'wasm'] as const)('blocked retrieval on the %s backend', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  const numUsers = 31;
  const numItems = 57;
  const dim = 3;
  const data = tiedData(11, numUsers, numItems, dim);
  const baseInput = (corpus: number[] | null, ks: number[]): RetrievalEvalInput => ({
    userVectors: data.userVectors,
    itemVectors: data.itemVectors,
    dim,
    numUsers,
    numItems,
    testPositives: data.testPositives,
    corpus: corpus ? Int32Array.from(corpus) : null,
    ks,
    groundTruthPositives: (u) => Int32Array.from(data.gtByUser[u] ?? []),
    keepTopLists: true,
  });

  it.each([
    ['all items', null, [5, 12]],
    ['a corpus of 9 items (K beyond it: padded lists)', [50, 3, 7, 21, 8, 44, 0, 13, 30], [4, 12]],
  ] as [string, number[] | null, number[]][])(
    'matches a full sort with ties, on host and device, for every block size: %s',
    async (_name, corpus, ks) => {
      const expected = naiveRetrieval(data, numUsers, numItems, dim, corpus, ks);
      const corpusSize = corpus ? corpus.length : numItems;
      const before = tf.memory().numTensors;
      for (const topKOn of ['host', 'device'] as const) {
        for (const rowsPerBlock of [1, 4, 7, numUsers]) {
          const result = await evaluateRetrievalAsync({
            ...baseInput(corpus, ks),
            topKOn,
            maxScoresPerChunk: rowsPerBlock * corpusSize,
          });
          const where = `${topKOn}, ${rowsPerBlock} rows per block`;
          expect(Array.from(result.topLists?.users ?? []), where).toEqual(expected.users);
          expect(Array.from(result.topLists?.items ?? []), where).toEqual(expected.topLists);
          for (const key of Object.keys(expected.metrics))
            expect(result.metrics[key], `${key} (${where})`).toBeCloseTo(expected.metrics[key], 12);
        }
      }
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('selects on the host when a vector is not finite (NaN scores are never selected)', async () => {
    const userVectors = Float32Array.from(data.userVectors);
    userVectors[2 * dim] = Number.NaN; // user 2: every score NaN, so an empty list
    const input = { ...baseInput(null, [6]), userVectors };
    const device = await evaluateRetrievalAsync({ ...input, topKOn: 'device' });
    const host = await evaluateRetrievalAsync({ ...input, topKOn: 'host' });
    expect(device.metrics).toEqual(host.metrics);
    const users = Array.from(host.topLists?.users ?? []);
    const row = users.indexOf(2);
    expect(row).toBeGreaterThanOrEqual(0);
    expect(Array.from(host.topLists?.items.subarray(row * 6, row * 6 + 6) ?? [])).toEqual([
      -1, -1, -1, -1, -1, -1,
    ]);
    expect(Array.from(device.topLists?.items ?? [])).toEqual(Array.from(host.topLists?.items ?? []));
  });

  it('asks for ground truth block by block, so only one block of lists is held', async () => {
    const read = vi.spyOn(tf.Tensor.prototype, 'data');
    const readsWhenAsked: number[] = [];
    try {
      await evaluateRetrievalAsync({
        ...baseInput(null, [3]),
        groundTruthPositives: (u) => {
          readsWhenAsked.push(read.mock.calls.length);
          return Int32Array.from(data.gtByUser[u] ?? []);
        },
        topKOn: 'host',
        maxScoresPerChunk: 2 * numItems, // two users per block
      });
    } finally {
      read.mockRestore();
    }
    // Every user is asked once, in order; by the last one most blocks have been read already.
    expect(readsWhenAsked).toHaveLength(numUsers);
    expect(readsWhenAsked[numUsers - 1]).toBeGreaterThanOrEqual(10);
  });

  it('frees its tensors when reading a block fails', async () => {
    const before = tf.memory().numTensors;
    let calls = 0;
    const read = vi.spyOn(tf.Tensor.prototype, 'data').mockImplementation(async () => {
      if (++calls === 2) throw new Error('device lost');
      return new Float32Array(4 * numItems);
    });
    try {
      for (const topKOn of ['host', 'device'] as const) {
        calls = 0;
        await expect(
          evaluateRetrievalAsync({ ...baseInput(null, [3]), topKOn, maxScoresPerChunk: 4 * numItems }),
        ).rejects.toThrow(/device lost/);
        expect(tf.memory().numTensors).toBe(before);
      }
    } finally {
      read.mockRestore();
    }
  });

  it('takes the top K on the device by default except on the cpu backend', async () => {
    expect(retrievalTopKPlace('auto')).toBe(backend === 'cpu' ? 'host' : 'device');
    expect(retrievalTopKPlace('host')).toBe('host');
    expect(retrievalTopKPlace('device')).toBe('device');
  });
});
