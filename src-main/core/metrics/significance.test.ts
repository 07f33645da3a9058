import { describe, expect, it } from 'vitest';
import { pairedTTest, regularizedIncompleteBeta, studentTTwoSidedP } from './significance';

describe("Student's t two-sided p-value", () => {
  // Reference: SciPy 1.17.1, 2 * stats.t.sf(abs(t), df).
  const cases: [number, number, number][] = [
    [2.776445105, 4, 0.05000000001011946],
    [12.7062047, 1, 0.05000000014176587],
    [2.0, 10, 0.07338803477074037],
    [0.5, 3, 0.651447964848151],
    [-1.3, 7, 0.23476783539237725],
    [5.0, 2, 0.037749551350623724],
    [0.0, 5, 1.0],
  ];
  it.each(cases)('t = %f, df = %d', (t, df, expected) => {
    expect(studentTTwoSidedP(t, df)).toBeCloseTo(expected, 9);
  });

  it('keeps its relative precision far in the tail', () => {
    const p = studentTTwoSidedP(30, 29);
    expect(Math.abs(p / 2.1977448450988043e-23 - 1)).toBeLessThan(1e-6);
  });

  it('is 0 for an infinite statistic and refuses non-positive degrees of freedom', () => {
    expect(studentTTwoSidedP(Infinity, 3)).toBe(0);
    expect(() => studentTTwoSidedP(1, 0)).toThrow(/degrees of freedom/);
  });

  it('rests on an incomplete beta with I_x(a, b) = 1 - I_{1-x}(b, a) and I_x(1, 1) = x', () => {
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(regularizedIncompleteBeta(0.2, 2.5, 0.5) + regularizedIncompleteBeta(0.8, 0.5, 2.5)).toBeCloseTo(
      1,
      12,
    );
  });
});

describe('paired t-test over matching seeds', () => {
  it('matches scipy.stats.ttest_rel', () => {
    // stats.ttest_rel([0.61,0.63,0.60,0.64,0.62], [0.58,0.61,0.59,0.60,0.60]): t 4.7068, p 0.009262.
    const five = pairedTTest([0.61, 0.63, 0.6, 0.64, 0.62], [0.58, 0.61, 0.59, 0.6, 0.6]);
    expect(five?.n).toBe(5);
    expect(five?.t).toBeCloseTo(4.706787243316416, 9);
    expect(five?.p).toBeCloseTo(0.009261696759514423, 9);
    expect(five?.meanDifference).toBeCloseTo(0.024, 12);
    const three = pairedTTest([0.3012, 0.2987, 0.3101], [0.295, 0.2991, 0.3012]);
    expect(three?.t).toBeCloseTo(1.7739191049272098, 9);
    expect(three?.p).toBeCloseTo(0.21807404465416377, 9);
  });

  it('is paired: the same means with the seeds shuffled give another answer', () => {
    const paired = pairedTTest([0.61, 0.63, 0.6, 0.64, 0.62], [0.58, 0.61, 0.59, 0.6, 0.6]);
    const shuffled = pairedTTest([0.61, 0.63, 0.6, 0.64, 0.62], [0.6, 0.58, 0.61, 0.59, 0.6]);
    expect(shuffled?.meanDifference).toBeCloseTo(paired?.meanDifference ?? NaN, 12);
    expect(shuffled?.p).not.toBeCloseTo(paired?.p ?? NaN, 3);
  });

  it('needs two pairs, and handles differences without spread', () => {
    expect(pairedTTest([0.5], [0.4])).toBeNull();
    expect(pairedTTest([0.5, 0.6], [0.5, 0.6])).toEqual({ n: 2, meanDifference: 0, t: 0, p: 1 });
    const shifted = pairedTTest([0.6, 0.7, 0.8], [0.5, 0.6, 0.7]);
    expect(shifted?.p).toBe(0);
    expect(shifted?.t).toBe(Infinity);
    expect(() => pairedTTest([1, 2], [1])).toThrow(/as many values/);
  });
});
