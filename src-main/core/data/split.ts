/**
 * Per-user chronological split, as the DAMCAR authors' code does: each user's interactions in
 * time order, the first 60% train, the next 20% validation, the last 20% test.
 *
 * Rounding: with n interactions, train = floor(6n / 10) and train + valid = floor(8n / 10)
 * (integer arithmetic, so 0.6 * n never rounds the wrong way), test takes the rest. Truncating
 * the boundaries as their code does means every user with n >= 1 keeps at least one test
 * interaction: n = 1 -> 0/0/1, n = 2 -> 1/0/1, n = 3 -> 1/1/1, n = 5 -> 3/1/1, n = 40 -> 24/8/8.
 * Interactions with equal timestamps keep the dataset's order.
 */
import type { TrainingData } from './dataset';

export interface DataSplit {
  /** Interaction row indices, ascending (hence in time order). */
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

/** Split shares as integers out of their sum; the papers' 6:2:2 by default. */
export interface SplitRatios {
  train: number;
  valid: number;
  test: number;
}

export const PAPER_SPLIT: SplitRatios = { train: 6, valid: 2, test: 2 };

export function splitByUserTime(dataset: TrainingData, ratios: SplitRatios = PAPER_SPLIT): DataSplit {
  for (const [key, value] of Object.entries(ratios)) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`split ratio ${key} must be an integer >= 0, got ${value}`);
  }
  const denominator = ratios.train + ratios.valid + ratios.test;
  if (denominator === 0) throw new Error('split ratios must not all be 0');
  const { user } = dataset.interactions;
  const n = user.length;
  const counts = new Int32Array(dataset.numUsers);
  for (let r = 0; r < n; r++) counts[user[r]]++;
  // Rows are in time order, so each user's k-th row seen is their k-th interaction in time.
  const seen = new Int32Array(dataset.numUsers);
  const part = new Uint8Array(n);
  let trainCount = 0;
  let validCount = 0;
  for (let r = 0; r < n; r++) {
    const u = user[r];
    const position = seen[u]++;
    const trainEnd = Math.floor((ratios.train * counts[u]) / denominator);
    const validEnd = Math.floor(((ratios.train + ratios.valid) * counts[u]) / denominator);
    if (position < trainEnd) {
      part[r] = 0;
      trainCount++;
    } else if (position < validEnd) {
      part[r] = 1;
      validCount++;
    } else {
      part[r] = 2;
    }
  }
  const train = new Int32Array(trainCount);
  const valid = new Int32Array(validCount);
  const test = new Int32Array(n - trainCount - validCount);
  let t = 0;
  let v = 0;
  let s = 0;
  for (let r = 0; r < n; r++) {
    if (part[r] === 0) train[t++] = r;
    else if (part[r] === 1) valid[v++] = r;
    else test[s++] = r;
  }
  return { train, valid, test };
}
