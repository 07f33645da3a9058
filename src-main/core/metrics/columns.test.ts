import { describe, expect, it } from 'vitest';
import { describeMetricColumns } from './columns';

describe('describeMetricColumns', () => {
  it('lists R/P/F per K in the paper order, then ground truth', () => {
    const columns = describeMetricColumns({ retrievalK: [100, 200], corpus: 'all' }, true);
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

  it('omits ground truth when the dataset has none', () => {
    const columns = describeMetricColumns({ retrievalK: [50], corpus: 'test' }, false);
    expect(columns.map((c) => `${c.group}:${c.key}`)).toEqual([
      'Retrieval:R@50',
      'Retrieval:P@50',
      'Retrieval:F@50',
    ]);
  });
});
