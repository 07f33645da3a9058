import { describe, expect, it } from 'vitest';
import { groupByUser, headItems, listAccuracy, popularityBias, popularityPercentile } from './metrics';
import { rocAuc } from '../../metrics/auc';

describe('groupByUser', () => {
  it('groups rows per user in row order', () => {
    const groups = groupByUser(Int32Array.of(1, 0, 1, 2, 0), 3);
    expect(Array.from(groups.offsets)).toEqual([0, 2, 4, 5]);
    expect(Array.from(groups.order)).toEqual([1, 4, 0, 2, 3]);
  });
});

describe('listAccuracy', () => {
  it('computes NDCG@K and Recall@K per user (hand values)', () => {
    // User 0: scores rank rows 2, 0, 1, 3; positives rows 0 and 3 -> hits at positions 2 (K = 2: one hit).
    // User 1: one positive ranked first. User 2: no positive (skipped).
    const user = Int32Array.of(0, 0, 0, 0, 1, 1, 2);
    const scores = Float32Array.of(0.8, 0.5, 0.9, 0.1, 0.7, 0.2, 0.3);
    const labels = Float32Array.of(1, 0, 0, 1, 1, 0, 0);
    const groups = groupByUser(user, 3);
    const k2 = listAccuracy(groups, scores, labels, 2);
    // User 0: DCG = 1 / log2(3), IDCG = 1 + 1 / log2(3); recall 1 / 2. User 1: NDCG 1, recall 1.
    const ndcg0 = 1 / Math.log2(3) / (1 + 1 / Math.log2(3));
    expect(k2.users).toBe(2);
    expect(k2.ndcg).toBeCloseTo((ndcg0 + 1) / 2, 10);
    expect(k2.recall).toBeCloseTo((0.5 + 1) / 2, 10);
    const k4 = listAccuracy(groups, scores, labels, 4);
    const dcg0 = 1 / Math.log2(3) + 1 / Math.log2(5);
    expect(k4.ndcg).toBeCloseTo((dcg0 / (1 + 1 / Math.log2(3)) + 1) / 2, 10);
    expect(k4.recall).toBe(1);
  });

  it('breaks ties by row order and is NaN without positives', () => {
    const groups = groupByUser(Int32Array.of(0, 0), 1);
    const tied = listAccuracy(groups, Float32Array.of(1, 1), Float32Array.of(0, 1), 1);
    expect(tied.recall).toBe(0);
    expect(listAccuracy(groups, Float32Array.of(1, 1), Float32Array.of(0, 0), 1).ndcg).toBeNaN();
    expect(() => listAccuracy(groups, Float32Array.of(1, 1), Float32Array.of(0, 1), 0)).toThrow(/K/);
  });
});

describe('popularity measures', () => {
  it('gives mid-rank percentiles and the head by training exposures', () => {
    const counts = Float64Array.of(5, 0, 5, 9, 1);
    // ascending: item1 (0), item4 (1), items 0 and 2 (5, ranks 2 and 3 -> 2.5), item3 (4); / 4.
    expect(Array.from(popularityPercentile(counts))).toEqual([2.5 / 4, 0, 2.5 / 4, 1, 1 / 4]);
    // ceil(0.4 * 5) = 2 head items: item 3, then item 0 (tie with 2 broken by id).
    expect(Array.from(headItems(counts, 0.4))).toEqual([1, 0, 0, 1, 0]);
  });

  it("averages the percentile and head share of each user's top K", () => {
    const counts = Float64Array.of(5, 0, 5, 9, 1);
    const percentile = popularityPercentile(counts);
    const head = headItems(counts, 0.4);
    // User 0 rows: items 3, 1, 4 scored 0.1, 0.9, 0.5 -> top 2: items 1, 4. User 1: items 0, 2 -> top 2 both.
    const groups = groupByUser(Int32Array.of(0, 0, 0, 1, 1), 2);
    const bias = popularityBias(
      groups,
      Int32Array.of(3, 1, 4, 0, 2),
      Float32Array.of(0.1, 0.9, 0.5, 0.3, 0.4),
      2,
      percentile,
      head,
    );
    expect(bias.popPercentile).toBeCloseTo((0 + 0.25 + 2.5 / 4 + 2.5 / 4) / 4, 10);
    expect(bias.headShare).toBeCloseTo(1 / 4, 10);
  });
});

describe('auc', () => {
  it('is the share of correctly ordered positive-negative pairs', () => {
    // Pairs (pos, neg): (0.9, 0.1) ok, (0.9, 0.5) ok, (0.4, 0.1) ok, (0.4, 0.5) wrong -> 3 / 4.
    expect(rocAuc(Float32Array.of(0.9, 0.4, 0.1, 0.5), Float32Array.of(1, 1, 0, 0))).toBeCloseTo(0.75, 10);
  });
});
