/**
 * The softmax support of Eq. 3-4 per request under the negative-sampling strategies that RRA's
 * Table 4 compares (KDD 2023, Sec. 5.3.3). The positives of a request are its impressions
 * (weighted by w_ctr in Eq. 3, by w_dwm in Eq. 4); the strategies differ in the negatives:
 * - AN (all negative, RRA's choice, Sec. 4.3.2): every other show of the request's candidate set.
 * - RN n (random negative, [31]): n shows drawn uniformly from the entire corpus per request.
 * - BN (batch negative, [4]): the shows impressed in the other requests of the batch.
 * - BNC (batch negative with popularity correction, [32]): BN with log Q(j) subtracted from every
 *   logit of the support, Q(j) = share of training impressions on show j (the chance that j is
 *   an in-batch item); the logQ correction of sampled softmax.
 * - HN r_low-r_up (hard negative, [9]): the candidates at rank positions r_low..r_up (1-based,
 *   inclusive) of the current retrieval model's serving score (Eq. 7), impressions excluded.
 * - MN r_low-r_up (mixed negative, [30] as the paper uses it): AN combined with HN r_low-r_up.
 *   AN already holds every hard negative, so "combining" here means the hard negatives enter the
 *   softmax's normaliser a second time, i.e. their logits get + log 2.
 */
import type { Rng } from '../../random';
import type { RraLog } from './data';
import { OUTSIDE_SUPPORT } from './losses';

export type NegativeSampling = 'AN' | 'RN' | 'BN' | 'BNC' | 'HN' | 'MN';

export const NEGATIVE_SAMPLING: readonly NegativeSampling[] = ['AN', 'RN', 'BN', 'BNC', 'HN', 'MN'];

export interface NegativeOptions {
  strategy: NegativeSampling;
  /** n of RN. */
  randomNegatives: number;
  /** r_low and r_up of HN and MN (1-based, inclusive). */
  hardFrom: number;
  hardTo: number;
  /** BNC: log Q(j) per show, [numItems]. */
  logQ?: Float64Array;
}

export function needsServingScores(strategy: NegativeSampling): boolean {
  return strategy === 'HN' || strategy === 'MN';
}

/** log Q(j): log share of the training impressions on show j (shows never impressed get half a count). */
export function impressionLogQ(log: RraLog, requests: Int32Array): Float64Array {
  const counts = new Float64Array(log.numItems);
  let total = 0;
  for (const r of requests) {
    for (let k = log.impressionOffsets[r]; k < log.impressionOffsets[r + 1]; k++) {
      counts[log.impressionItem[k]]++;
      total++;
    }
  }
  return Float64Array.from(counts, (c) => Math.log(Math.max(c, 0.5) / Math.max(1, total)));
}

/**
 * Hard negatives of one request: the candidates ranked r_low..r_up by `scores` (descending),
 * impressions excluded.
 * @param scores [numItems] the current serving scores of this request
 */
export function hardNegatives(
  log: RraLog,
  request: number,
  scores: ArrayLike<number>,
  hardFrom: number,
  hardTo: number,
): number[] {
  const candidates = Array.from(
    log.candidateItems.subarray(log.candidateOffsets[request], log.candidateOffsets[request + 1]),
  );
  candidates.sort((a, b) => scores[b] - scores[a] || a - b);
  const impressed = new Set(
    log.impressionItem.subarray(log.impressionOffsets[request], log.impressionOffsets[request + 1]),
  );
  const out: number[] = [];
  for (let rank = hardFrom; rank <= Math.min(hardTo, candidates.length); rank++) {
    const item = candidates[rank - 1];
    if (!impressed.has(item)) out.push(item);
  }
  return out;
}

/**
 * Fills `support` ([requests.length, numItems], row-major) with 0 (or a log-count correction) on
 * each request's softmax support and OUTSIDE_SUPPORT elsewhere.
 * @param servingScores [requests.length, numItems] current serving scores (HN and MN only)
 */
export function fillSupport(
  support: Float32Array,
  log: RraLog,
  requests: Int32Array,
  options: NegativeOptions,
  rng: Rng,
  servingScores?: Float32Array,
): void {
  const numItems = log.numItems;
  support.fill(OUTSIDE_SUPPORT, 0, requests.length * numItems);
  const { strategy } = options;
  if (needsServingScores(strategy) && !servingScores) {
    throw new Error(`negative sampling ${strategy} needs the current serving scores`);
  }
  const batchItems: number[] = [];
  if (strategy === 'BN' || strategy === 'BNC') {
    for (const r of requests) {
      for (let k = log.impressionOffsets[r]; k < log.impressionOffsets[r + 1]; k++)
        batchItems.push(log.impressionItem[k]);
    }
  }
  for (let b = 0; b < requests.length; b++) {
    const r = requests[b];
    const row = b * numItems;
    const impressionStart = log.impressionOffsets[r];
    const impressionEnd = log.impressionOffsets[r + 1];
    for (let k = impressionStart; k < impressionEnd; k++) support[row + log.impressionItem[k]] = 0;
    switch (strategy) {
      case 'AN':
      case 'MN':
        for (let k = log.candidateOffsets[r]; k < log.candidateOffsets[r + 1]; k++)
          support[row + log.candidateItems[k]] = 0;
        if (strategy === 'MN') {
          const scores = (servingScores as Float32Array).subarray(row, row + numItems);
          for (const j of hardNegatives(log, r, scores, options.hardFrom, options.hardTo))
            support[row + j] = Math.LN2;
        }
        break;
      case 'RN': {
        const wanted = Math.min(options.randomNegatives, numItems - (impressionEnd - impressionStart));
        let added = 0;
        while (added < wanted) {
          const j = rng.int(numItems);
          if (support[row + j] === 0) continue;
          support[row + j] = 0;
          added++;
        }
        break;
      }
      case 'BN':
      case 'BNC':
        for (const j of batchItems) support[row + j] = 0;
        if (strategy === 'BNC') {
          const logQ = options.logQ;
          if (!logQ) throw new Error('negative sampling BNC needs log Q per show');
          for (let j = 0; j < numItems; j++) if (support[row + j] === 0) support[row + j] = -logQ[j];
        }
        break;
      case 'HN': {
        const scores = (servingScores as Float32Array).subarray(row, row + numItems);
        for (const j of hardNegatives(log, r, scores, options.hardFrom, options.hardTo)) support[row + j] = 0;
        break;
      }
    }
  }
}
