import { describe, expect, it } from 'vitest';
import type { UserItemLists } from '../../data/dataset';
import { rankingMetrics } from '../../metrics/ranking';
import { describeMetricColumns, evaluateRankingStage, rankingCutoff } from './metrics';

describe('describeMetricColumns', () => {
  it('lists R/P/F per K in the paper order, then ground truth, without a ranking stage', () => {
    const columns = describeMetricColumns({ retrievalK: [100, 200], corpus: 'all' }, true, 'none');
    expect(columns.map((c) => c.key)).toEqual([
      'R@100',
      'P@100',
      'F@100',
      'R@200',
      'P@200',
      'F@200',
      'GT-R@100',
      'GT-R@200',
    ]);
    expect(columns.filter((c) => c.group === 'Ground truth').map((c) => c.key)).toEqual([
      'GT-R@100',
      'GT-R@200',
    ]);
    expect(columns.every((c) => c.higherIsBetter)).toBe(true);
  });

  it('adds the ranking stage as in Tables 2-3: N/M/H@K2 with K2 = K1 / 10, then NDCG and GT-H', () => {
    const columns = describeMetricColumns({ retrievalK: [100, 200], corpus: 'all' }, true, 'deepfm');
    expect(columns.map((c) => `${c.group}:${c.key}`)).toEqual([
      'Retrieval:R@100',
      'Retrieval:P@100',
      'Retrieval:F@100',
      'Retrieval:R@200',
      'Retrieval:P@200',
      'Retrieval:F@200',
      'Ranking:N@10',
      'Ranking:M@10',
      'Ranking:H@10',
      'Ranking:N@20',
      'Ranking:M@20',
      'Ranking:H@20',
      'Ranking (standard NDCG):NDCG@10',
      'Ranking (standard NDCG):NDCG@20',
      'Ground truth:GT-R@100',
      'Ground truth:GT-R@200',
      'Ground truth:GT-H@10',
      'Ground truth:GT-H@20',
    ]);
    expect(columns.every((c) => c.higherIsBetter)).toBe(true);
  });

  it('omits ground truth when the dataset has none', () => {
    const columns = describeMetricColumns({ retrievalK: [50], corpus: 'test' }, false, 'dcn');
    expect(columns.map((c) => `${c.group}:${c.key}`)).toEqual([
      'Retrieval:R@50',
      'Retrieval:P@50',
      'Retrieval:F@50',
      'Ranking:N@5',
      'Ranking:M@5',
      'Ranking:H@5',
      'Ranking (standard NDCG):NDCG@5',
    ]);
  });

  it('has no ranking column for a K1 that is not a multiple of 10', () => {
    const columns = describeMetricColumns({ retrievalK: [15, 30], corpus: 'all' }, false, 'deepfm');
    expect(columns.filter((c) => c.group === 'Ranking').map((c) => c.key)).toEqual(['N@3', 'M@3', 'H@3']);
  });
});

describe('rankingCutoff', () => {
  it('is K1 / 10 for multiples of 10, else null', () => {
    expect(rankingCutoff(100)).toBe(10);
    expect(rankingCutoff(200)).toBe(20);
    expect(rankingCutoff(10)).toBe(1);
    expect(rankingCutoff(15)).toBeNull();
    expect(rankingCutoff(5)).toBeNull();
  });
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

describe('evaluateRankingStage', () => {
  // Retrieved lists (K = 20) of users 0, 2 and 3; user 3 has ground truth only.
  const k = 20;
  const users = Int32Array.from([0, 2, 3]);
  const items = new Int32Array(3 * k);
  for (let row = 0; row < 3; row++) for (let s = 0; s < k; s++) items[row * k + s] = 100 * row + s;
  items[2 * k + 19] = -1; // an empty slot
  // The scorer prefers larger item ids within a list: it reverses each list.
  const scorer = {
    name: 'reverse',
    calls: 0,
    async score(u: Int32Array, i: Int32Array): Promise<Float32Array> {
      this.calls++;
      expect(u.length).toBe(3 * k - 1); // every filled slot once, for both K1
      return Float32Array.from(i, (item) => item % 100);
    },
  };
  const testPositives = lists(4, { 0: [19, 5, 999], 2: [110] });
  const truth = (u: number) =>
    Int32Array.from(({ 0: [18], 2: [], 3: [218] } as Record<number, number[]>)[u] ?? []);

  it('re-ranks each user top K1 and keeps K2 = K1 / 10, with the authors metrics', async () => {
    scorer.calls = 0;
    const metrics = await evaluateRankingStage({
      lists: { k, users, items },
      ks: [10, 20],
      scorer,
      testPositives,
      groundTruthPositives: truth,
    });
    expect(scorer.calls).toBe(1);
    // K1 = 10, K2 = 1: user 0's top 10 reversed starts with item 9 (miss); user 2's with 109 (miss).
    // K1 = 20, K2 = 2: user 0 keeps 19 (hit), 18 -> N = 1, M = 1, H = 1/2; user 2 keeps 119, 118: no hit.
    const expected20 = rankingMetrics({
      k1: 2,
      candidates: Int32Array.from([19, 18, 119, 118]),
      scores: Float32Array.from([2, 1, 2, 1]),
      positiveOffsets: Int32Array.from([0, 3, 4]),
      positiveItems: Int32Array.from([19, 5, 999, 110]),
      k2: 2,
    }).metrics;
    expect(metrics['N@2']).toBeCloseTo(expected20['N@2'], 10);
    expect(metrics['N@2']).toBeCloseTo(0.5, 10); // mean over the two users with test positives
    expect(metrics['M@2']).toBeCloseTo(0.5, 10);
    expect(metrics['H@2']).toBeCloseTo(0.25, 10);
    expect(metrics['H@1']).toBe(0);
    // GT-H@2 over users 0, 2, 3: user 0 keeps 19 (test) and 18 (truth) = 1; user 2: 0;
    // user 3's list has 219 empty, so it keeps 218 (truth), 217: 1/2. Mean (1 + 0 + 0.5) / 3.
    expect(metrics['GT-H@2']).toBeCloseTo(0.5, 10);
    expect(metrics['GT-H@1']).toBe(0);
    expect(Object.keys(metrics).sort()).toEqual(
      ['N@1', 'M@1', 'H@1', 'NDCG@1', 'GT-H@1', 'N@2', 'M@2', 'H@2', 'NDCG@2', 'GT-H@2'].sort(),
    );
  });

  it('skips a K1 that is not a multiple of 10 and has no GT-H without ground truth', async () => {
    const metrics = await evaluateRankingStage({
      lists: { k, users, items },
      ks: [15, 20],
      scorer,
      testPositives,
    });
    expect(Object.keys(metrics).sort()).toEqual(['H@2', 'M@2', 'N@2', 'NDCG@2']);
  });
});
