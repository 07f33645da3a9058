import { describe, expect, it } from 'vitest';
import { addRecall, expectedRecall, newRecallAccumulator, nktd, recallOf } from './metrics';

describe('Recall@K and WRecall@K', () => {
  it('count clicked samples whose show is in the top K, weighted by DWM for WRecall', () => {
    const acc = newRecallAccumulator();
    // Request 1: candidates 10..14, top-2 = shows 12 (0.9) and 10 (0.8); clicks on 12 (DWM 100), 13 (DWM 300).
    addRecall(acc, [10, 11, 12, 13, 14], [0.8, 0.1, 0.9, 0.5, 0.2], 2, [12, 13], [100, 300]);
    // Request 2: top-2 = 21, 22; click on 22 (DWM 50).
    addRecall(acc, [20, 21, 22], [0.1, 0.7, 0.6], 2, [22], [50]);
    // Request 3: no clicks, not counted.
    addRecall(acc, [30, 31, 32], [0.3, 0.2, 0.1], 2, [], []);
    const { recall, wRecall } = recallOf(acc);
    expect(recall).toBeCloseTo(2 / 3, 10);
    expect(wRecall).toBeCloseTo(150 / 450, 10);
  });

  it('fails clearly without clicked samples', () => {
    expect(() => recallOf(newRecallAccumulator())).toThrow(/no clicked samples/);
  });
});

describe('NKTD@N (Eq. 9)', () => {
  it('is 0 for identical orders and 1 for reversed ones', () => {
    expect(nktd([4, 3, 2, 1], [40, 30, 20, 10], 4)).toBe(0);
    expect(nktd([4, 3, 2, 1], [1, 2, 3, 4], 4)).toBe(1);
  });

  it('counts discordant pairs of the retrieval top N over N (N - 1) / 2', () => {
    // Retrieval order a > b > c; ranking order b > a > c: one discordant pair of three.
    expect(nktd([3, 2, 1], [5, 6, 1], 3)).toBeCloseTo(1 / 3, 10);
    // Support set = retrieval top 3 of 5 (positions 1, 3, 4); the others do not count.
    // Retrieval order: pos 3 (0.9) > pos 1 (0.8) > pos 4 (0.7); ranking: pos 1 > pos 4 > pos 3.
    expect(nktd([0.1, 0.8, 0.2, 0.9, 0.7], [100, 9, -100, 1, 5], 3)).toBeCloseTo(2 / 3, 10);
  });
});

describe('ground-truth recall', () => {
  it('is the share of the candidate set value the top K keeps', () => {
    expect(expectedRecall([0.9, 0.1, 0.5], [0.2, 0.6, 0.2], 2)).toBeCloseTo(0.4, 10);
  });
});
