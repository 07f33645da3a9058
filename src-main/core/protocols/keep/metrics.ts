/**
 * KEEP's metric (KEEP, CIKM 2022, section 6.2, Eq. 7): Group AUC, the impression-weighted mean
 * of per-user AUCs,
 *   GAUC = sum_u #impressions(u) * AUC_u / sum_u #impressions(u).
 * A user whose test impressions are all clicks or all non-clicks has no AUC_u; such users are
 * left out of both sums (the usual convention; the paper does not say). Ties score one half.
 *
 * Beside it: the pooled AUC over all test impressions, and, on simulated data, GT-GAUC: Eq. 7 with
 * each AUC_u taken against the true click probabilities p instead of the drawn labels,
 *   AUC_u^GT = sum_{a,b} p_a (1 - p_b) [s_a > s_b] / sum_{a != b} p_a (1 - p_b)
 * (ties count one half), i.e. the AUC in expectation over the label draws, without their noise;
 * every user with at least two impressions counts.
 */
import { rocAuc } from '../../metrics/auc';

/** Row indices grouped by user, users in first-appearance order. */
function rowsByUser(users: ArrayLike<number>): number[][] {
  const groups = new Map<number, number[]>();
  for (let r = 0; r < users.length; r++) {
    const list = groups.get(users[r]);
    if (list) list.push(r);
    else groups.set(users[r], [r]);
  }
  return [...groups.values()];
}

export interface GaucResult {
  gauc: number;
  /** Users with an AUC_u (both labels present). */
  users: number;
  /** Impressions of those users (the denominator of Eq. 7). */
  impressions: number;
}

/**
 * Eq. 7.
 * @param users [rows] user of each impression
 * @param scores [rows] predicted scores
 * @param labels [rows] 0/1 clicks
 */
export function gauc(
  users: ArrayLike<number>,
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): GaucResult {
  if (scores.length !== users.length || labels.length !== users.length)
    throw new Error(`gauc: ${users.length} users, ${scores.length} scores, ${labels.length} labels`);
  let weighted = 0;
  let impressions = 0;
  let counted = 0;
  for (const rows of rowsByUser(users)) {
    const a = rocAuc(
      rows.map((r) => scores[r]),
      rows.map((r) => labels[r]),
    );
    if (Number.isNaN(a)) continue;
    weighted += rows.length * a;
    impressions += rows.length;
    counted++;
  }
  return { gauc: impressions > 0 ? weighted / impressions : NaN, users: counted, impressions };
}

/**
 * AUC in expectation over Bernoulli(p) labels (see the file comment); NaN for fewer than two rows.
 * @param scores [n]
 * @param probabilities [n] true click probabilities
 */
export function expectedAuc(scores: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  let numerator = 0;
  let denominator = 0;
  for (let a = 0; a < scores.length; a++) {
    for (let b = 0; b < scores.length; b++) {
      if (a === b) continue;
      const w = probabilities[a] * (1 - probabilities[b]);
      denominator += w;
      if (scores[a] > scores[b]) numerator += w;
      else if (scores[a] === scores[b]) numerator += w / 2;
    }
  }
  return denominator > 0 ? numerator / denominator : NaN;
}

/** Eq. 7 with AUC_u^GT (see the file comment). */
export function groundTruthGauc(
  users: ArrayLike<number>,
  scores: ArrayLike<number>,
  probabilities: ArrayLike<number>,
): number {
  let weighted = 0;
  let impressions = 0;
  for (const rows of rowsByUser(users)) {
    const a = expectedAuc(
      rows.map((r) => scores[r]),
      rows.map((r) => probabilities[r]),
    );
    if (Number.isNaN(a)) continue;
    weighted += rows.length * a;
    impressions += rows.length;
  }
  return impressions > 0 ? weighted / impressions : NaN;
}
