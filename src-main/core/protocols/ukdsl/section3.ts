/**
 * UKDSL (Meta), section 3: how unbiased predictors become biased on what they select.
 *
 * Section 3.1 (one stage). n candidates with true CPM C ~ N(mu, sigma^2); an unbiased predictor
 * M = C + e, e ~ N(0, sigma_e^2), keeps its top k. With s_M = sqrt(sigma^2 + sigma_e^2) and
 * E[C | M] = mu + (sigma^2 / s_M^2) (M - mu) (jointly normal), Eq. 1's expected order statistics
 * give, for the selected set,
 *   E[mean M] = mu + s_M m_{k,n},        E[mean C] = mu + (sigma^2 / s_M) m_{k,n},
 * where m_{k,n} is the mean of the k largest expected standard normal order statistics of n.
 * We use Blom's approximation E[Z_(r:n)] ~ Phi^-1((r - 0.375) / (n + 0.25)), the closed form
 * Royston (1982, AS 177) starts from, instead of AS 177's exact integral. The selected set's
 * calibration E[mean M] / E[mean C] exceeds 1 as soon as sigma_e > 0 (over-calibration), and the
 * return E[mean C] falls below the optimum mu + sigma m_{k,n}.
 *
 * Section 3.2 (two stages), Figure 2. Stage 1 (noise sigma_1) keeps its top k_1 (S_1), stage 2
 * (noise sigma_2 < sigma_1) keeps the top k_2 of S_1 (S_2). Eq. 2's cross-stage calibration on
 * S_1 is mean M_1 / mean M_2 over S_1, and each stage's calibration on S_1 is its mean over the
 * true mean. Simulated by Monte Carlo (the paper's figure is a simulation too); the paper reports
 * stage 1 over-calibrated on S_1 (Figure 2 a, b) and stage 2 well calibrated on S_1 (Figure 2 c).
 */
import type { Rng } from '../../random';
import { topK } from '../../topk';

/**
 * Inverse standard normal CDF (Acklam's rational approximation, relative error below 1.2e-9).
 * @param p probability in (0, 1)
 */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`inverseNormalCdf: p must be in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Mean of the k largest expected standard normal order statistics of n (Blom's approximation). */
export function meanTopOrderStatistic(n: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 1 || k > n)
    throw new Error(`meanTopOrderStatistic: need integers 1 <= k <= n, got k = ${k}, n = ${n}`);
  let sum = 0;
  for (let r = n - k + 1; r <= n; r++) sum += inverseNormalCdf((r - 0.375) / (n + 0.25));
  return sum / k;
}

export interface OneStageExpectation {
  /** E[mean prediction] over the selected top k. */
  meanPrediction: number;
  /** E[mean true CPM] over the selected top k (the return per slot). */
  meanTrue: number;
  /** E[mean true CPM] of the true top k (a perfect predictor). */
  optimalTrue: number;
  /** meanPrediction / meanTrue. */
  calibration: number;
}

/** Section 3.1 / Eq. 1 in closed form (see the module comment). */
export function oneStageExpectation(
  n: number,
  k: number,
  mu: number,
  sigma: number,
  noiseStd: number,
): OneStageExpectation {
  const m = meanTopOrderStatistic(n, k);
  const sM = Math.sqrt(sigma * sigma + noiseStd * noiseStd);
  const meanPrediction = mu + sM * m;
  const meanTrue = mu + (sM > 0 ? (sigma * sigma) / sM : 0) * m;
  return { meanPrediction, meanTrue, optimalTrue: mu + sigma * m, calibration: meanPrediction / meanTrue };
}

export interface TwoStageSettings {
  candidates: number;
  firstStageK: number;
  secondStageK: number;
  cpmMean: number;
  cpmStd: number;
  firstStageNoise: number;
  secondStageNoise: number;
  trials: number;
}

export interface TwoStageResult {
  /** Eq. 2: mean M1 / mean M2 over S1. */
  crossStageOnS1: number;
  /** mean M1 / mean C over S1. */
  firstStageOnS1: number;
  /** mean M2 / mean C over S1. */
  secondStageOnS1: number;
  /** mean M2 / mean C over S2 (the second stage on its own selection). */
  secondStageOnS2: number;
  /** Closed form of firstStageOnS1 (section 3.1 applied to stage 1). */
  firstStageOnS1Expected: number;
  /** mean C over S2 / mean C over the true top k2 (share of the optimal return). */
  returnShare: number;
}

/**
 * Monte Carlo of section 3.2's two-stage funnel; each ratio is of sums over all trials.
 * @param check called between trials (cancellation)
 */
export function simulateTwoStage(
  s: TwoStageSettings,
  rng: Rng,
  check: () => void = () => {},
): TwoStageResult {
  if (!(s.firstStageK <= s.candidates && s.secondStageK <= s.firstStageK)) {
    throw new Error(
      `method.params: need secondStageK <= firstStageK <= candidates, got ${s.secondStageK}, ${s.firstStageK}, ${s.candidates}`,
    );
  }
  const n = s.candidates;
  const cpm = new Float64Array(n);
  const m1 = new Float64Array(n);
  const m2 = new Float64Array(s.firstStageK);
  const scratch = new Int32Array(n);
  let sumM1S1 = 0;
  let sumM2S1 = 0;
  let sumCS1 = 0;
  let sumM2S2 = 0;
  let sumCS2 = 0;
  let sumOptimal = 0;
  for (let t = 0; t < s.trials; t++) {
    check();
    for (let i = 0; i < n; i++) {
      cpm[i] = rng.normal(s.cpmMean, s.cpmStd);
      m1[i] = cpm[i] + rng.normal(0, s.firstStageNoise);
    }
    const s1 = topK(m1, s.firstStageK, scratch).slice();
    for (let j = 0; j < s1.length; j++) {
      const i = s1[j];
      m2[j] = cpm[i] + rng.normal(0, s.secondStageNoise);
      sumM1S1 += m1[i];
      sumM2S1 += m2[j];
      sumCS1 += cpm[i];
    }
    const s2 = topK(m2, s.secondStageK, scratch);
    for (let j = 0; j < s2.length; j++) {
      sumM2S2 += m2[s2[j]];
      sumCS2 += cpm[s1[s2[j]]];
    }
    for (const i of topK(cpm, s.secondStageK, scratch)) sumOptimal += cpm[i];
  }
  return {
    crossStageOnS1: sumM1S1 / sumM2S1,
    firstStageOnS1: sumM1S1 / sumCS1,
    secondStageOnS1: sumM2S1 / sumCS1,
    secondStageOnS2: sumM2S2 / sumCS2,
    firstStageOnS1Expected: oneStageExpectation(n, s.firstStageK, s.cpmMean, s.cpmStd, s.firstStageNoise)
      .calibration,
    returnShare: sumCS2 / sumOptimal,
  };
}
