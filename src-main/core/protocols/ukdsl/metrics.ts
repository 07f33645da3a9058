/**
 * UKDSL's metrics (UKDSL (Meta), section 4.1.2) and the feature-combination rules of its
 * semi-supervised feature selection (section 4.2, Table 2).
 *
 * Calibration = mean prediction / mean reference, where the reference is the observed labels,
 * the true probabilities (simulated data) or another model's predictions (cross-stage
 * calibration). 1 means unbiased (or consistent across stages); above 1 over-calibrated.
 *
 * Normalized entropy NE = cross-entropy of the predictions / entropy of the mean label:
 *   NE = -(1/N) sum_i [t_i log p_i + (1 - t_i) log(1 - p_i)]  /  -[pbar log pbar + (1 - pbar) log(1 - pbar)],
 *   pbar = (1/N) sum_i t_i.
 * The targets t may be soft: the later-stage model's predictions on consideration data (the
 * paper's cross-stage NE) or, on simulated data, the true probabilities (the expected NE over the
 * label draw). Lower is better; 1 is the NE of predicting the base rate everywhere.
 */

/** Predictions are clipped to [PROB_EPS, 1 - PROB_EPS] before the logs. */
export const PROB_EPS = 1e-7;

function clip(p: number): number {
  return Math.min(1 - PROB_EPS, Math.max(PROB_EPS, p));
}

/**
 * Normalized entropy (see the module comment). NaN when the mean target is 0 or 1.
 * @param predictions [n] probabilities
 * @param targets [n] labels or soft targets in [0, 1]
 */
export function normalizedEntropy(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  const n = predictions.length;
  if (targets.length !== n)
    throw new Error(`normalizedEntropy: ${n} predictions but ${targets.length} targets`);
  if (n === 0) return NaN;
  let crossEntropy = 0;
  let meanTarget = 0;
  for (let k = 0; k < n; k++) {
    const p = clip(predictions[k]);
    const t = targets[k];
    crossEntropy -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
    meanTarget += t;
  }
  crossEntropy /= n;
  meanTarget /= n;
  if (meanTarget <= 0 || meanTarget >= 1) return NaN;
  const baseEntropy = -(meanTarget * Math.log(meanTarget) + (1 - meanTarget) * Math.log(1 - meanTarget));
  return crossEntropy / baseEntropy;
}

/**
 * Calibration: mean prediction / mean reference.
 * @param predictions [n]
 * @param reference [n] labels, true probabilities or a reference model's predictions
 */
export function calibration(predictions: ArrayLike<number>, reference: ArrayLike<number>): number {
  const n = predictions.length;
  if (reference.length !== n)
    throw new Error(`calibration: ${n} predictions but ${reference.length} references`);
  let p = 0;
  let r = 0;
  for (let k = 0; k < n; k++) {
    p += predictions[k];
    r += reference[k];
  }
  return r > 0 ? p / r : NaN;
}

/** Relative change in percent: 100 (value - reference) / reference (the paper's "NE relative change"). */
export function relativeChangePercent(value: number, reference: number): number {
  return (100 * (value - reference)) / reference;
}

/** Table 2's ways of combining impression (biased) and consideration (unbiased) feature importance. */
export type FeatureCombination =
  'imp' | 'cd' | 'average-rank' | 'average-importance' | 'intersection' | 'union';

export const FEATURE_COMBINATIONS: readonly { value: FeatureCombination; label: string }[] = [
  { value: 'imp', label: 'IMP Importance Only' },
  { value: 'cd', label: 'CD Importance Only' },
  { value: 'average-rank', label: 'Average Rank' },
  { value: 'average-importance', label: 'Average Importance' },
  { value: 'intersection', label: 'Intersection of Top Features' },
  { value: 'union', label: 'Union of Top Features' },
];

/** Positions of the `k` largest scores, best first; ties to the lower position. */
function topPositions(scores: readonly number[], k: number): number[] {
  return scores
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, k)
    .map((x) => x.i);
}

/** Rank of each entry by descending score (0 = most important); ties to the lower position. */
export function importanceRanks(scores: readonly number[]): number[] {
  const ranks = new Array<number>(scores.length);
  topPositions(scores, scores.length).forEach((position, rank) => {
    ranks[position] = rank;
  });
  return ranks;
}

/**
 * Which candidate features to keep (positions into the importance arrays, ascending).
 *   imp / cd: the top `k` by that importance;
 *   average-rank: the top `k` by the mean of the two ranks;
 *   average-importance: the top `k` by the mean of the two importances, each first divided by
 *     its sum of positive values (so the two scales weigh alike);
 *   intersection / union: of the two top-`k` sets (so between 0 and 2k features).
 * @param impImportance [features] perturbation importance on impression data
 * @param cdImportance [features] perturbation importance on consideration data (teacher labels)
 */
export function combineFeatureImportance(
  impImportance: readonly number[],
  cdImportance: readonly number[],
  k: number,
  rule: FeatureCombination,
): number[] {
  const n = impImportance.length;
  if (cdImportance.length !== n)
    throw new Error(
      `combineFeatureImportance: ${n} IMP importances but ${cdImportance.length} CD importances`,
    );
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`combineFeatureImportance: k must be an integer >= 1, got ${k}`);
  const sortAsc = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const topImp = topPositions(impImportance, k);
  const topCd = topPositions(cdImportance, k);
  switch (rule) {
    case 'imp':
      return sortAsc(topImp);
    case 'cd':
      return sortAsc(topCd);
    case 'average-rank': {
      const ri = importanceRanks(impImportance);
      const rc = importanceRanks(cdImportance);
      return sortAsc(
        topPositions(
          ri.map((r, i) => -(r + rc[i]) / 2),
          k,
        ),
      );
    }
    case 'average-importance': {
      const normalise = (xs: readonly number[]) => {
        const total = xs.reduce((s, x) => s + Math.max(0, x), 0);
        return xs.map((x) => (total > 0 ? x / total : 0));
      };
      const a = normalise(impImportance);
      const b = normalise(cdImportance);
      return sortAsc(
        topPositions(
          a.map((x, i) => (x + b[i]) / 2),
          k,
        ),
      );
    }
    case 'intersection': {
      const cd = new Set(topCd);
      return sortAsc(topImp.filter((i) => cd.has(i)));
    }
    case 'union':
      return sortAsc([...new Set([...topImp, ...topCd])]);
  }
}

/* Metric keys (the result table's columns). */
export const M = {
  calImp: 'Cal IMP',
  calCdTeacher: 'Cal CD (teacher)',
  calCdTruth: 'Cal CD (truth)',
  neImp: 'NE IMP',
  neCdTeacher: 'NE CD (teacher)',
  neCdTruth: 'NE CD (truth)',
  dNeImp: 'ΔNE IMP %',
  dNeCdTeacher: 'ΔNE CD (teacher) %',
  dNeCdTruth: 'ΔNE CD (truth) %',
  aucImp: 'AUC IMP',
  aucCdTruth: 'AUC CD (truth)',
  features: 'Features kept',
  simCross: 'M1/M2 on S1 (Eq. 2)',
  simFirst: 'M1 on S1',
  simFirstExpected: 'M1 on S1 (Eq. 1)',
  simSecond: 'M2 on S1',
  simSecondOwn: 'M2 on S2',
  simReturn: 'Return / optimal',
} as const;
