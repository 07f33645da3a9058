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

export interface GlobalTimeSplitOptions {
  /**
   * Length of one day in the dataset's time unit: 86400 for Unix seconds (the default), 1 when
   * the time already counts days (WeChat's `date_`). Day k holds times in [k * dayLength,
   * (k + 1) * dayLength): calendar days (UTC for Unix seconds), not a rolling 24-hour window.
   */
  dayLength?: number;
  /** Days at the end of the log that form the test split (RRA: 1, the last day). */
  testDays?: number;
  /** Days just before the test days that form the validation split (default 0: none). */
  validDays?: number;
}

/**
 * Global chronological split, as RRA (KDD 2023, Sec. 5.1.1) evaluates: the last day's samples
 * are the test set, everything before trains. Unlike `splitByUserTime`, every user shares the same
 * cut, so the test set holds only what happened after all training data (no look-ahead), and
 * users absent on the last day have no test interactions.
 *
 * Days are counted back from the day of the latest interaction, calendar days included whether
 * or not they have data: with testDays = 2 and nothing on the day before the last, the test set
 * is the last day only.
 */
export function splitByGlobalTime(dataset: TrainingData, options: GlobalTimeSplitOptions = {}): DataSplit {
  const dayLength = options.dayLength ?? 86_400;
  const testDays = options.testDays ?? 1;
  const validDays = options.validDays ?? 0;
  if (!(dayLength > 0) || !Number.isFinite(dayLength))
    throw new Error(`dayLength must be a positive number, got ${dayLength}`);
  if (!Number.isInteger(testDays) || testDays < 1)
    throw new Error(`testDays must be an integer >= 1, got ${testDays}`);
  if (!Number.isInteger(validDays) || validDays < 0)
    throw new Error(`validDays must be an integer >= 0, got ${validDays}`);
  const { time } = dataset.interactions;
  const n = time.length;
  if (n === 0) return { train: new Int32Array(0), valid: new Int32Array(0), test: new Int32Array(0) };
  let latest = -Infinity;
  for (let r = 0; r < n; r++) if (time[r] > latest) latest = time[r];
  const lastDay = Math.floor(latest / dayLength);
  // Rows on a day > testFrom - 1 are test; on (validFrom - 1, testFrom - 1] validation.
  const testFrom = lastDay - testDays + 1;
  const validFrom = testFrom - validDays;
  const part = new Uint8Array(n);
  let trainCount = 0;
  let validCount = 0;
  for (let r = 0; r < n; r++) {
    const day = Math.floor(time[r] / dayLength);
    if (day >= testFrom) part[r] = 2;
    else if (day >= validFrom) {
      part[r] = 1;
      validCount++;
    } else {
      part[r] = 0;
      trainCount++;
    }
  }
  if (trainCount === 0) {
    throw new Error(
      `every interaction falls in the last ${testDays + validDays} day(s) (day length ${dayLength}): ` +
        'nothing is left to train on; use fewer test/validation days or a per-user split',
    );
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
