/**
 * Ranking-stage metrics of the DAMCAR paper's Tables 2-3 and Figures 3-4 (N@K, M@K, H@K), computed
 * the way the authors' code computes them (see shared/papers/README.md, "How their code computes the
 * figures"), with the textbook NDCG beside them under its own key.
 *
 * Protocol. For each evaluated user the retrieval model returned K1 candidates (K1 = 100 or 200); the
 * ranking model scores them and the K2 = K1 / 10 best are kept (K2 = 10 or 20). Relevance is binary:
 * a kept item is a hit when it is among the user's test positives. With hits at 1-based positions
 * p_1 < ... < p_h of the kept list:
 *
 *   N@K2    = DCG / IDCG_list, DCG = sum_j 1 / log2(p_j + 1) and IDCG_list = sum_{j=1..h} 1 / log2(j + 1),
 *             i.e. the ideal order of the same kept list (its hits moved to the front), not the ideal
 *             over all test positives; 0 when h = 0. So N@K2 = 1 whenever all hits sit at the top.
 *   M@K2    = (1 / h) * sum_j (j / p_j): mean precision at each hit position over the hits in the list
 *             (average precision normalised by the hits found, not by the positives); 0 when h = 0.
 *   H@K2    = h / K2: the fraction of the kept list that is a hit (a precision, despite the name).
 *   NDCG@K2 = DCG / IDCG_all, IDCG_all = sum_{j=1..min(|P_u|, K2)} 1 / log2(j + 1): the standard NDCG
 *             whose ideal ranks min(|P_u|, K2) test positives first.
 *
 * Each value is the mean over evaluated users: the rows with at least one test positive (rows with
 * none are skipped, matching the retrieval metrics' user set). Ties in the ranking score are broken by
 * retrieval position (the earlier candidate first), so the result is deterministic. A candidate id < 0
 * marks an empty slot (retrieval returned fewer than K1 items); it is never kept ahead of a real item
 * and never a hit.
 */

export interface RankingMetricInput {
  /** K1: retrieved candidates per user. */
  k1: number;
  /** [users * k1] retrieved item ids, row-major in retrieval order; < 0 = empty slot. */
  candidates: Int32Array;
  /** [users * k1] ranking-model scores aligned with `candidates`. */
  scores: Float32Array;
  /** [users + 1] CSR offsets of each row's test positives in `positiveItems`. */
  positiveOffsets: Int32Array;
  /** [positives] test-positive item ids per row (duplicates are ignored). */
  positiveItems: Int32Array;
  /** K2: kept per user; default K1 / 10 as in the paper (must then be an integer). */
  k2?: number;
}

export interface RankingMetricResult {
  /** Keys `N@K2`, `M@K2`, `H@K2` (authors' definitions) and `NDCG@K2` (standard), e.g. `N@10`. */
  metrics: Record<string, number>;
  /** Rows averaged over (those with at least one test positive). */
  users: number;
}

const FILE = 'src-main/core/metrics/ranking.ts';

function fail(message: string): never {
  throw new Error(`${FILE}: ${message}`);
}

/** Discount of 1-based position p: 1 / log2(p + 1). */
function discount(position: number): number {
  return 1 / Math.log2(position + 1);
}

/** Ranking metrics N@K2, M@K2, H@K2 (authors' definitions) and NDCG@K2 (standard); see the file comment. */
export function rankingMetrics(input: RankingMetricInput): RankingMetricResult {
  const { k1, candidates, scores, positiveOffsets, positiveItems } = input;
  if (!Number.isInteger(k1) || k1 < 1) fail(`k1 must be a positive integer, got ${k1}`);
  const k2 = input.k2 ?? k1 / 10;
  if (!Number.isInteger(k2) || k2 < 1 || k2 > k1) {
    fail(`k2 must be an integer in [1, k1=${k1}], got ${k2}${input.k2 === undefined ? ' (k1 / 10)' : ''}`);
  }
  if (candidates.length % k1 !== 0)
    fail(`candidates has ${candidates.length} entries, not a multiple of k1=${k1}`);
  const rows = candidates.length / k1;
  if (scores.length !== candidates.length) {
    fail(`scores has ${scores.length} entries but candidates has ${candidates.length}`);
  }
  if (positiveOffsets.length !== rows + 1) {
    fail(`positiveOffsets has ${positiveOffsets.length} entries, expected rows + 1 = ${rows + 1}`);
  }
  for (let k = 0; k < scores.length; k++) {
    if (Number.isNaN(scores[k]) && candidates[k] >= 0) fail(`scores[${k}] is NaN`);
  }

  let maxItem = -1;
  for (let k = 0; k < candidates.length; k++) if (candidates[k] > maxItem) maxItem = candidates[k];
  for (let k = 0; k < positiveItems.length; k++) {
    if (positiveItems[k] < 0) fail(`positiveItems[${k}] = ${positiveItems[k]} is negative`);
    if (positiveItems[k] > maxItem) maxItem = positiveItems[k];
  }
  // positiveOf[item] === row + 1 marks the positives of the current row without clearing.
  const positiveOf = new Int32Array(maxItem + 1);
  const order = new Array<number>(k1);

  let users = 0;
  let sumN = 0;
  let sumM = 0;
  let sumH = 0;
  let sumNdcg = 0;
  for (let row = 0; row < rows; row++) {
    let distinctPositives = 0;
    for (let p = positiveOffsets[row]; p < positiveOffsets[row + 1]; p++) {
      const item = positiveItems[p];
      if (positiveOf[item] !== row + 1) distinctPositives++;
      positiveOf[item] = row + 1;
    }
    if (distinctPositives === 0) continue;
    users++;

    const base = row * k1;
    for (let j = 0; j < k1; j++) order[j] = j;
    order.sort((a, b) => {
      const emptyA = candidates[base + a] < 0;
      const emptyB = candidates[base + b] < 0;
      if (emptyA !== emptyB) return emptyA ? 1 : -1;
      const sa = scores[base + a];
      const sb = scores[base + b];
      if (sa !== sb && !emptyA) return sb - sa;
      return a - b;
    });

    let hits = 0;
    let dcg = 0;
    let precisionSum = 0;
    for (let position = 1; position <= k2; position++) {
      const item = candidates[base + order[position - 1]];
      if (item < 0 || positiveOf[item] !== row + 1) continue;
      hits++;
      dcg += discount(position);
      precisionSum += hits / position;
    }
    if (hits > 0) {
      let idealOfList = 0;
      for (let j = 1; j <= hits; j++) idealOfList += discount(j);
      let idealOfAll = 0;
      for (let j = 1; j <= Math.min(distinctPositives, k2); j++) idealOfAll += discount(j);
      sumN += dcg / idealOfList;
      sumM += precisionSum / hits;
      sumNdcg += dcg / idealOfAll;
    }
    sumH += hits / k2;
  }
  if (users === 0) fail('no row has a test positive, so there is no user to average over');
  return {
    metrics: {
      [`N@${k2}`]: sumN / users,
      [`M@${k2}`]: sumM / users,
      [`H@${k2}`]: sumH / users,
      [`NDCG@${k2}`]: sumNdcg / users,
    },
    users,
  };
}
