/**
 * Paired significance of a difference between two methods over matching seeds: the paired
 * (dependent-samples) Student t-test, two-sided, as papers mark "p < 0.05" against a baseline.
 *
 * Hand-written rather than a statistics package: it needs one distribution (Student's t, through
 * the regularized incomplete beta function, Numerical Recipes' continued fraction with Lentz's
 * method) in ~80 lines with no dependency, and significance.test.ts checks it against SciPy 1.17's
 * `stats.t.sf` and `stats.ttest_rel` to 1e-9.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error below 1e-15 for the x used here). */
function logGamma(x: number): number {
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let sum = coefficients[0];
  for (let i = 1; i < coefficients.length; i++) sum += coefficients[i] / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let result = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let step = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + step * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + step / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    result *= d * c;
    step = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + step * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + step / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    result *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return result;
}

/** The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Two-sided p-value of Student's t statistic with `df` degrees of freedom: P(|T| >= |t|). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`Student's t needs positive degrees of freedom, got ${df}.`);
  if (Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

export interface PairedTTest {
  /** Pairs used (seeds both sides ran). */
  n: number;
  /** Mean of `treatment - baseline` over the pairs. */
  meanDifference: number;
  /** The t statistic; ±Infinity when every pair differs by the same non-zero amount. */
  t: number;
  /** Two-sided p-value; 1 when every pair is equal, 0 when every pair differs by the same amount. */
  p: number;
}

/**
 * Paired t-test of `treatment` against `baseline`, entry i of each from the same seed.
 * Returns null with fewer than 2 pairs (no variance to test against).
 */
export function pairedTTest(treatment: readonly number[], baseline: readonly number[]): PairedTTest | null {
  if (treatment.length !== baseline.length) {
    throw new Error(
      `A paired test needs as many values on both sides (${treatment.length} vs ${baseline.length}).`,
    );
  }
  const n = treatment.length;
  if (n < 2) return null;
  const differences = treatment.map((value, i) => value - baseline[i]);
  const meanDifference = differences.reduce((sum, d) => sum + d, 0) / n;
  const variance = differences.reduce((sum, d) => sum + (d - meanDifference) ** 2, 0) / (n - 1);
  // Differences equal to rounding: treat as no spread rather than dividing by noise.
  const scale = Math.max(...differences.map(Math.abs), 1e-300);
  if (Math.sqrt(variance) <= 1e-12 * scale) {
    if (Math.abs(meanDifference) <= 1e-15) return { n, meanDifference: 0, t: 0, p: 1 };
    return { n, meanDifference, t: Math.sign(meanDifference) * Infinity, p: 0 };
  }
  const t = meanDifference / Math.sqrt(variance / n);
  return { n, meanDifference, t, p: studentTTwoSidedP(t, n - 1) };
}
