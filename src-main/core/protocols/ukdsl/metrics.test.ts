import { describe, expect, it } from 'vitest';
import {
  FEATURE_COMBINATIONS,
  calibration,
  combineFeatureImportance,
  importanceRanks,
  normalizedEntropy,
  relativeChangePercent,
} from './metrics';

describe('normalizedEntropy', () => {
  it('matches a hand computation with hard labels', () => {
    const p = [0.8, 0.3, 0.6, 0.1];
    const y = [1, 0, 1, 0];
    // Cross-entropy: -(ln 0.8 + ln 0.7 + ln 0.6 + ln 0.9) / 4; base rate 0.5, entropy ln 2.
    const ce = -(Math.log(0.8) + Math.log(0.7) + Math.log(0.6) + Math.log(0.9)) / 4;
    expect(normalizedEntropy(p, y)).toBeCloseTo(ce / Math.log(2), 12);
  });

  it('divides by the entropy of the mean label, not of the mean prediction', () => {
    const p = [0.5, 0.5, 0.5, 0.5];
    const y = [1, 0, 0, 0];
    // CE = ln 2; base rate 0.25: H = -(0.25 ln 0.25 + 0.75 ln 0.75).
    const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    expect(normalizedEntropy(p, y)).toBeCloseTo(Math.log(2) / h, 12);
  });

  it('is 1 for predicting the base rate everywhere and accepts soft targets', () => {
    expect(normalizedEntropy([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0])).toBeCloseTo(1, 12);
    // Soft targets t: CE = -mean(t ln p + (1 - t) ln(1 - p)), base rate mean(t) = 0.3.
    const p = [0.2, 0.4];
    const t = [0.1, 0.5];
    const ce = -(0.1 * Math.log(0.2) + 0.9 * Math.log(0.8) + 0.5 * Math.log(0.4) + 0.5 * Math.log(0.6)) / 2;
    const h = -(0.3 * Math.log(0.3) + 0.7 * Math.log(0.7));
    expect(normalizedEntropy(p, t)).toBeCloseTo(ce / h, 12);
  });

  it('is NaN without both classes and rejects mismatched lengths', () => {
    expect(normalizedEntropy([0.3, 0.4], [0, 0])).toBeNaN();
    expect(() => normalizedEntropy([0.3], [0, 1])).toThrow(/1 predictions but 2 targets/);
  });
});

describe('calibration and relative change', () => {
  it('is the ratio of mean prediction to mean reference', () => {
    expect(calibration([0.2, 0.4, 0.6], [0, 1, 0])).toBeCloseTo(1.2 / 1, 12);
    expect(calibration([0.1, 0.3], [0.2, 0.2])).toBeCloseTo(1, 12);
    expect(calibration([0.5, 0.5], [0.1, 0.3])).toBeCloseTo(2.5, 12);
  });

  it('gives the paper-style relative change in percent', () => {
    expect(relativeChangePercent(0.99, 1)).toBeCloseTo(-1, 12);
    expect(relativeChangePercent(0.8008, 0.8)).toBeCloseTo(0.1, 10);
  });
});

describe('combineFeatureImportance', () => {
  // Six candidate features; IMP favours 0, 1, 2; CD favours 3, 4, 2.
  const imp = [0.9, 0.8, 0.5, 0.05, 0.0, 0.3];
  const cd = [0.1, 0.02, 0.6, 0.9, 0.7, 0.05];

  it('ranks by descending importance', () => {
    expect(importanceRanks(imp)).toEqual([0, 1, 2, 4, 5, 3]);
    expect(importanceRanks(cd)).toEqual([3, 5, 2, 0, 1, 4]);
  });

  it('keeps the top k of one ranking', () => {
    expect(combineFeatureImportance(imp, cd, 3, 'imp')).toEqual([0, 1, 2]);
    expect(combineFeatureImportance(imp, cd, 3, 'cd')).toEqual([2, 3, 4]);
  });

  it('intersects and unites the two top-k sets', () => {
    expect(combineFeatureImportance(imp, cd, 3, 'intersection')).toEqual([2]);
    expect(combineFeatureImportance(imp, cd, 3, 'union')).toEqual([0, 1, 2, 3, 4]);
  });

  it('averages ranks', () => {
    // Mean ranks: f0 1.5, f1 3, f2 2, f3 2.5, f4 2.5, f5 3.5 -> top 3 = f0, f2, then f3 (tie with f4, lower position).
    expect(combineFeatureImportance(imp, cd, 3, 'average-rank')).toEqual([0, 2, 3]);
  });

  it('averages importances normalised by their positive sums', () => {
    // imp sum 2.55, cd sum 2.37: f0 (0.353 + 0.042) / 2 = 0.198, f2 (0.196 + 0.253) / 2 = 0.225, f3 (0.020 + 0.380) / 2 = 0.200.
    expect(combineFeatureImportance(imp, cd, 3, 'average-importance')).toEqual([0, 2, 3]);
    // With k = 2 the order of those three decides: f2 and f3.
    expect(combineFeatureImportance(imp, cd, 2, 'average-importance')).toEqual([2, 3]);
  });

  it('offers every Table 2 row and rejects bad input', () => {
    expect(FEATURE_COMBINATIONS.map((c) => c.label)).toEqual([
      'IMP Importance Only',
      'CD Importance Only',
      'Average Rank',
      'Average Importance',
      'Intersection of Top Features',
      'Union of Top Features',
    ]);
    expect(() => combineFeatureImportance([1], [1, 2], 1, 'union')).toThrow(/1 IMP importances but 2 CD/);
    expect(() => combineFeatureImportance([1], [1], 0, 'union')).toThrow(/k must be an integer >= 1/);
  });
});
