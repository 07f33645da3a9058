import { describe, expect, it } from 'vitest';
import { createRng } from '../../random';
import { inverseNormalCdf, meanTopOrderStatistic, oneStageExpectation, simulateTwoStage } from './section3';

describe('section 3 closed forms', () => {
  it('inverts the normal CDF', () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 9);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959963985, 7);
    expect(inverseNormalCdf(0.01)).toBeCloseTo(-2.326347874, 7);
    expect(() => inverseNormalCdf(1)).toThrow(/\(0, 1\)/);
  });

  it('approximates the expected top order statistics (Blom)', () => {
    // E[max of 2 standard normals] = 1 / sqrt(pi) = 0.5642; Blom gives Phi^-1(1.625 / 2.25) = 0.589.
    expect(meanTopOrderStatistic(2, 1)).toBeCloseTo(inverseNormalCdf(1.625 / 2.25), 12);
    expect(Math.abs(meanTopOrderStatistic(2, 1) - 1 / Math.sqrt(Math.PI))).toBeLessThan(0.03);
    // All n of n: the mean of all order statistics is 0 by symmetry.
    expect(meanTopOrderStatistic(7, 7)).toBeCloseTo(0, 12);
  });

  it('Eq. 1: an unbiased but noisy predictor is over-calibrated on its own top k', () => {
    const m = meanTopOrderStatistic(1000, 50);
    const exact = oneStageExpectation(1000, 50, 1, 0.3, 0);
    expect(exact.calibration).toBeCloseTo(1, 12);
    expect(exact.meanTrue).toBeCloseTo(1 + 0.3 * m, 12);
    const noisy = oneStageExpectation(1000, 50, 1, 0.3, 0.4);
    // s_M = 0.5: E[mean M] = 1 + 0.5 m, E[mean C] = 1 + (0.09 / 0.5) m.
    expect(noisy.meanPrediction).toBeCloseTo(1 + 0.5 * m, 12);
    expect(noisy.meanTrue).toBeCloseTo(1 + 0.18 * m, 12);
    expect(noisy.calibration).toBeGreaterThan(1.2);
    expect(noisy.meanTrue).toBeLessThan(noisy.optimalTrue);
  });
});

describe('section 3.2 two-stage simulation', () => {
  const settings = {
    candidates: 1000,
    firstStageK: 100,
    secondStageK: 10,
    cpmMean: 1,
    cpmStd: 0.3,
    firstStageNoise: 0.3,
    secondStageNoise: 0.1,
    trials: 400,
  };

  it('over-calibrates the first stage on S1, calibrates the second on S1, as Figure 2 shows', () => {
    const r = simulateTwoStage(settings, createRng(1));
    expect(r.firstStageOnS1).toBeGreaterThan(1.15);
    expect(Math.abs(r.secondStageOnS1 - 1)).toBeLessThan(0.01);
    expect(r.crossStageOnS1).toBeCloseTo(r.firstStageOnS1 / r.secondStageOnS1, 12);
    // The second stage is over-calibrated on its own selection S2.
    expect(r.secondStageOnS2).toBeGreaterThan(1.01);
    expect(r.returnShare).toBeLessThan(1);
    expect(r.returnShare).toBeGreaterThan(0.8);
  });

  it('agrees with the closed form of Eq. 1 for the first stage', () => {
    const r = simulateTwoStage(settings, createRng(2));
    expect(Math.abs(r.firstStageOnS1 - r.firstStageOnS1Expected)).toBeLessThan(0.01);
  });

  it('is calibrated everywhere without prediction noise', () => {
    const r = simulateTwoStage(
      { ...settings, firstStageNoise: 0, secondStageNoise: 0, trials: 20 },
      createRng(3),
    );
    expect(r.firstStageOnS1).toBeCloseTo(1, 12);
    expect(r.secondStageOnS2).toBeCloseTo(1, 12);
    expect(r.returnShare).toBeCloseTo(1, 12);
  });

  it('rejects inconsistent sizes and stops when cancelled', () => {
    expect(() => simulateTwoStage({ ...settings, firstStageK: 5 }, createRng(1))).toThrow(
      /secondStageK <= firstStageK/,
    );
    let calls = 0;
    expect(() =>
      simulateTwoStage(settings, createRng(1), () => {
        if (++calls > 3) throw new Error('cancelled');
      }),
    ).toThrow('cancelled');
  });
});
