import { describe, expect, it } from 'vitest';
import { rocAuc } from './auc';

describe('rocAuc', () => {
  it('is the share of (positive, negative) pairs ordered correctly, ties counting one half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 10);
    expect(rocAuc([1, 2, 3], [0, 1, 1])).toBe(1);
    expect(rocAuc([3, 2, 1], [0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBeCloseTo(0.5, 10);
    expect(rocAuc([1, 2], [1, 1])).toBeNaN();
  });
});
