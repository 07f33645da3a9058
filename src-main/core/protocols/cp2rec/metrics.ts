/**
 * Metrics of the CP2Rec testbed.
 *
 * Accuracy (on the biased and on the unbiased test):
 *   AUC       over all test pairs (rank-sum form, ties one half; models/ranking-model.ts rocAuc);
 *   NDCG@K    per user, the user's test items ranked by score (ties: earlier row first),
 *             DCG = sum over hits at 1-based positions p <= K of 1 / log2(p + 1),
 *             IDCG = sum_{j=1..min(|P_u|, K)} 1 / log2(j + 1); mean over users with a positive;
 *   Recall@K  per user, hits in the top K / |P_u|; mean over users with a positive.
 * Popularity bias of the top-K lists (all users with a non-empty list):
 *   PopPct@K  mean popularity percentile of the recommended items, where an item's percentile is
 *             (its mid-rank among all items by training exposures, ascending, 1-based - 1) / (items - 1):
 *             0 = least exposed, 1 = most exposed, ties share their mid-rank; 0.5 is a random list's
 *             expectation on a uniformly drawn candidate set;
 *   Head@K    share of the recommended items in the head: the ceil(headShare * items) items with the
 *             most training exposures (ties by smaller id).
 * Lower bias values mean less popularity amplification; whether that is better is the trade-off.
 */
import type { ExperimentSpec } from '../../../contract/api';

/** Rows grouped per user: the rows of user u are order[offsets[u] .. offsets[u + 1]). */
export interface UserGroups {
  /** [numUsers + 1] */
  offsets: Int32Array;
  /** [rows] row indices, each user's in ascending row order */
  order: Int32Array;
}

/** Counting sort of rows by user, stable. */
export function groupByUser(user: Int32Array, numUsers: number): UserGroups {
  const offsets = new Int32Array(numUsers + 1);
  for (const u of user) offsets[u + 1]++;
  for (let u = 0; u < numUsers; u++) offsets[u + 1] += offsets[u];
  const cursor = offsets.slice(0, numUsers);
  const order = new Int32Array(user.length);
  for (let r = 0; r < user.length; r++) order[cursor[user[r]]++] = r;
  return { offsets, order };
}

/** Positions (indices into `rows`) of the k best scores among `rows`, best first; ties: earlier row. */
function topOf(rows: Int32Array, scores: Float32Array, k: number): Int32Array {
  const idx = Array.from(rows.keys()).sort((a, b) => scores[rows[b]] - scores[rows[a]] || a - b);
  return Int32Array.from(idx.slice(0, k), (p) => rows[p]);
}

export interface ListAccuracy {
  ndcg: number;
  recall: number;
  /** Users averaged over (those with at least one positive). */
  users: number;
}

/**
 * NDCG@K and Recall@K per user, averaged (see the file comment).
 * @param scores [rows]
 * @param labels [rows] 0/1
 */
export function listAccuracy(
  groups: UserGroups,
  scores: Float32Array,
  labels: Float32Array,
  k: number,
): ListAccuracy {
  if (!Number.isInteger(k) || k < 1) throw new Error(`listAccuracy: K must be an integer >= 1, got ${k}`);
  let ndcgSum = 0;
  let recallSum = 0;
  let users = 0;
  for (let u = 0; u + 1 < groups.offsets.length; u++) {
    const rows = groups.order.subarray(groups.offsets[u], groups.offsets[u + 1]);
    let positives = 0;
    for (const r of rows) positives += labels[r] === 1 ? 1 : 0;
    if (positives === 0) continue;
    const top = topOf(rows, scores, k);
    let dcg = 0;
    let hits = 0;
    top.forEach((r, p) => {
      if (labels[r] === 1) {
        dcg += 1 / Math.log2(p + 2);
        hits++;
      }
    });
    let idcg = 0;
    for (let j = 1; j <= Math.min(positives, k); j++) idcg += 1 / Math.log2(j + 1);
    ndcgSum += dcg / idcg;
    recallSum += hits / positives;
    users++;
  }
  return { ndcg: users > 0 ? ndcgSum / users : NaN, recall: users > 0 ? recallSum / users : NaN, users };
}

/**
 * Popularity percentile of every item from its training exposures (mid-ranks for ties).
 * @param itemCount [numItems]
 * @returns [numItems] in [0, 1]
 */
export function popularityPercentile(itemCount: Float64Array): Float64Array {
  const n = itemCount.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => itemCount[a] - itemCount[b]);
  const out = new Float64Array(n);
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && itemCount[order[end + 1]] === itemCount[order[start]]) end++;
    const midRank0 = (start + end) / 2;
    for (let k = start; k <= end; k++) out[order[k]] = n > 1 ? midRank0 / (n - 1) : 0.5;
    start = end + 1;
  }
  return out;
}

/** 1 for the ceil(headShare * items) most exposed items (ties: smaller id), else 0. */
export function headItems(itemCount: Float64Array, headShare: number): Uint8Array {
  const n = itemCount.length;
  const size = Math.ceil(headShare * n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => itemCount[b] - itemCount[a] || a - b);
  const head = new Uint8Array(n);
  for (let k = 0; k < size; k++) head[order[k]] = 1;
  return head;
}

export interface PopularityBias {
  popPercentile: number;
  headShare: number;
}

/**
 * PopPct@K and Head@K of each user's top-K list (see the file comment).
 * @param items [rows] item of each row
 * @param scores [rows]
 */
export function popularityBias(
  groups: UserGroups,
  items: Int32Array,
  scores: Float32Array,
  k: number,
  percentile: Float64Array,
  head: Uint8Array,
): PopularityBias {
  let pctSum = 0;
  let headSum = 0;
  let count = 0;
  for (let u = 0; u + 1 < groups.offsets.length; u++) {
    const rows = groups.order.subarray(groups.offsets[u], groups.offsets[u + 1]);
    if (rows.length === 0) continue;
    for (const r of topOf(rows, scores, k)) {
      pctSum += percentile[items[r]];
      headSum += head[items[r]];
      count++;
    }
  }
  return { popPercentile: count > 0 ? pctSum / count : NaN, headShare: count > 0 ? headSum / count : NaN };
}

const DEFAULT_K = [10];

/** The cut-offs K of the @K metrics: the spec's evaluation.retrievalK, else 10. */
export function ksOf(spec: Pick<ExperimentSpec, 'evaluation'>): number[] {
  const ks = spec.evaluation?.retrievalK;
  return ks && ks.length > 0 ? ks : DEFAULT_K;
}
