import { describe, expect, it } from 'vitest';
import { describeMetricColumns, rankingCutoff } from './columns';

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
