/**
 * CP2Rec testbed data: a CTR log whose confounders drive both exposure and the observed label,
 * the expert-chosen proxy features of those confounders, a biased test (held-out log) and, on
 * simulated data, an unbiased test (randomised exposure drawn from the world's ground truth).
 *
 * Confounders of the simulated world (all standardised, item-level unless said otherwise):
 *   z_pop(i)  log popularity (Zipf over a random permutation of the items),
 *   z_dur(i)  log video duration (log-normal),
 *   pos(r)    the slot of exposure r in its request's list, as a fraction 0 (top) .. 1 (bottom).
 * With confounding strength gamma (protocol parameter `confounding`):
 *
 *   interest logit   a(u, i) = PREFERENCE_SCALE <x_u, y_i> + b_u + q_i + GLOBAL_BIAS,
 *                    q_i = QUALITY_POPULARITY z_pop(i) + N(0, QUALITY_NOISE_STD)   (the beneficial bias:
 *                    popular items are partly popular because they are better),
 *   logged label     y ~ Bernoulli(sigmoid(a(u, i) + gamma (CONFORMITY z_pop(i) - DURATION_EFFECT z_dur(i)
 *                                                      - POSITION_EFFECT pos(r)))),
 *   exposure policy  each slot of a request comes from the policy with probability `exposureBias`
 *                    (simulator parameter), else it is a uniformly random unexposed item at a random
 *                    slot ("randomised" rows, flagged). The policy draws items by Gumbel top-k on
 *                    <x~_u, y~_i> + gamma (EXPOSURE_POPULARITY z_pop(i) - EXPOSURE_DURATION z_dur(i))
 *                    (x~, y~: a noisy copy of the latents) and puts its best picks on the top slots.
 * So popularity and duration raise both the chance of being shown and the chance of a click, and the
 * policy's favourites sit on the top slots, where the position effect adds clicks: a naive CTR model
 * credits items with what the confounders did.
 *
 * Unbiased test (simulated only): for every user `unbiasedItemsPerUser` items drawn uniformly from
 * the items never exposed to that user, labels drawn from the ground truth by `unbiasedLabels`:
 *   'interest'  y ~ Bernoulli(sigmoid(a(u, i))): the de-confounded label (conformity, duration and
 *               position effects removed, the quality part of popularity kept);
 *   'behaviour' y ~ Bernoulli(sigmoid(a(u, i) + gamma (...) at a uniformly random slot)): randomised
 *               exposure with the same user behaviour, like the random slices of Yahoo! R3 or KuaiRand.
 *
 * Proxies (what an expert can observe): the item's log exposure count in the *training* split
 * (popularity), its log duration, and the exposure's slot (position). Each is standardised over
 * the items (position: the 0..1 fraction as is). At serving time the position proxy is the top slot
 * (0), since the slot is not known when the list is being ranked.
 *
 * Stored datasets (ctx.materializeDataset()): each user's log in time order, the first 80% train and
 * the last 20% the biased test. Popularity proxy: log(1 + training exposures); duration proxy: the
 * item's largest training watch time (a finish watches at least the duration, so with any finish this
 * is about the duration; items without training rows get the median); no slot is recorded, so the
 * position proxy is 0 everywhere. There is no unbiased test and no randomised slice: only the biased
 * test is reported.
 */
import type { SimulatorParams } from '../../../contract/api';
import type { CascadeDataset } from '../../data/dataset';
import { type ItemCatalogue, catalogueOf } from '../../data/dataset';
import { type Rng, createRng } from '../../random';
import { topK } from '../../topk';

export const PROXY_NAMES = ['popularity', 'duration', 'position'] as const;
export const NUM_PROXIES = PROXY_NAMES.length;
/** Column of each proxy in a row's proxy vector. */
export const POPULARITY_PROXY = 0;
export const DURATION_PROXY = 1;
export const POSITION_PROXY = 2;

/* Fixed constants of the simulated world (changing them changes the world). */
const POPULARITY_EXPONENT = 1.0;
const CATEGORY_SHARE = 0.5;
const PREFERENCE_SCALE = 2.0;
const GLOBAL_BIAS = -1.5;
const USER_BIAS_STD = 0.5;
const QUALITY_POPULARITY = 0.3;
const QUALITY_NOISE_STD = 0.5;
const CONFORMITY = 0.6;
const DURATION_EFFECT = 0.5;
const POSITION_EFFECT = 1.5;
const EXPOSURE_POPULARITY = 1.0;
const EXPOSURE_DURATION = 0.5;
const POLICY_NOISE = 0.7;
const MULTIMODAL_NOISE_STD = 0.5;
/** Share of each user's log (the most recent) held out as the biased test. */
export const TEST_SHARE = 0.2;

export type UnbiasedLabels = 'interest' | 'behaviour';

export interface Cp2recDataOptions {
  /** gamma: scales every confounder's effect on exposure and label (0 = no confounding). */
  confounding: number;
  unbiasedLabels: UnbiasedLabels;
  unbiasedItemsPerUser: number;
  /**
   * Std of the error of each proxy, in units of the proxy's own std (0 = the proxy is the
   * confounder's exact value; duration and position then correlate 1 / sqrt(1 + noise^2) with
   * their confounder). Default 0.
   */
  proxyNoise?: number;
}

/** Rows of (user, item) pairs with labels and proxy vectors. */
export interface Cp2recRows {
  /** [rows] */
  user: Int32Array;
  /** [rows] */
  item: Int32Array;
  /** [rows] 0/1 */
  label: Float32Array;
  /** [rows * NUM_PROXIES] row-major, columns as PROXY_NAMES */
  proxies: Float32Array;
}

export interface Cp2recData extends ItemCatalogue {
  name: string;
  /** Training log; `randomised[r]` = 1 when row r came from a randomised slot. */
  train: Cp2recRows & { randomised: Uint8Array };
  /** Held-out log rows (most recent 20% per user), proxies at serving values (top slot). */
  biasedTest: Cp2recRows;
  /** Randomised-exposure test from ground truth, rows grouped by user; null for stored data. */
  unbiasedTest: Cp2recRows | null;
  /**
   * [unbiasedTest rows] the ground-truth logit each unbiased-test label was drawn from (evaluation
   * only: the ceiling a perfect model reaches on that test); null for stored data.
   */
  unbiasedTestLogit: Float32Array | null;
  /** Training exposures per item (popularity reference of the bias measures). [numItems] */
  itemTrainCount: Float64Array;
  /** Whether the position proxy carries information (false for stored logs). */
  hasPosition: boolean;
  /** Whether some training rows come from randomised exposure (the 'random' auxiliary loss needs them). */
  randomisedRows: number;
  /**
   * Simulated data: the correlation over the training rows of each proxy (PROXY_NAMES order) with
   * the confounder it stands for (standardised log popularity, log duration, slot); null for stored
   * data, whose confounders are unknown.
   */
  proxyConfounderCorrelation: number[] | null;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[ao + k] * b[bo + k];
  return s;
}

/** (x - mean) / std over the entries; std 0 gives zeros. */
function standardise(values: Float64Array): Float64Array {
  let mean = 0;
  for (const v of values) mean += v / values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2 / values.length;
  const std = Math.sqrt(variance);
  return Float64Array.from(values, (v) => (std > 0 ? (v - mean) / std : 0));
}

/** Pearson correlation of two equally long columns (0 when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let k = 0; k < n; k++) {
    ma += a[k] / n;
    mb += b[k] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let k = 0; k < n; k++) {
    sab += (a[k] - ma) * (b[k] - mb);
    saa += (a[k] - ma) ** 2;
    sbb += (b[k] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/**
 * Per-item proxies from the training rows: standardised log(1 + training exposures) and
 * standardised log duration.
 * @param trainItems [rows] item of each training row
 * @param duration [numItems] duration (or its estimate), > 0
 * @returns counts [numItems] and itemProxies [numItems * 2] (popularity, duration)
 */
export function itemProxiesFromTrain(
  trainItems: Int32Array,
  duration: Float64Array,
): { counts: Float64Array; itemProxies: Float32Array } {
  const numItems = duration.length;
  const counts = new Float64Array(numItems);
  for (const i of trainItems) counts[i]++;
  const pop = standardise(Float64Array.from(counts, (c) => Math.log(1 + c)));
  const dur = standardise(Float64Array.from(duration, (d) => Math.log(Math.max(d, 1e-3))));
  const itemProxies = new Float32Array(numItems * 2);
  for (let i = 0; i < numItems; i++) {
    itemProxies[2 * i] = pop[i];
    itemProxies[2 * i + 1] = dur[i];
  }
  return { counts, itemProxies };
}

/** Proxy vectors of rows: the item's proxies and the given slot fraction (0 = top). */
function rowProxies(
  items: Int32Array,
  itemProxies: Float32Array,
  position: Float32Array | null,
): Float32Array {
  const out = new Float32Array(items.length * NUM_PROXIES);
  for (let r = 0; r < items.length; r++) {
    out[r * NUM_PROXIES + POPULARITY_PROXY] = itemProxies[2 * items[r]];
    out[r * NUM_PROXIES + DURATION_PROXY] = itemProxies[2 * items[r] + 1];
    out[r * NUM_PROXIES + POSITION_PROXY] = position ? position[r] : 0;
  }
  return out;
}

/**
 * Per-user time split: each user's rows (in time order within the user) go to train, except the
 * last floor(TEST_SHARE * n) which go to the biased test.
 * @param user [rows] user of each row, rows in time order within each user
 * @returns 1 for test rows, 0 for train rows, [rows]
 */
export function testMask(user: Int32Array, numUsers: number): Uint8Array {
  const counts = new Int32Array(numUsers);
  for (const u of user) counts[u]++;
  const seen = new Int32Array(numUsers);
  const mask = new Uint8Array(user.length);
  for (let r = 0; r < user.length; r++) {
    const u = user[r];
    const trainCount = counts[u] - Math.floor(TEST_SHARE * counts[u]);
    mask[r] = seen[u]++ >= trainCount ? 1 : 0;
  }
  return mask;
}

function selectRows<T extends Int32Array | Float32Array | Uint8Array>(column: T, rows: Int32Array): T {
  const out = new (column.constructor as new (n: number) => T)(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = column[rows[k]];
  return out;
}

function rowsWhere(mask: Uint8Array, value: number): Int32Array {
  const out: number[] = [];
  for (let r = 0; r < mask.length; r++) if (mask[r] === value) out.push(r);
  return Int32Array.from(out);
}

/** The simulated confounded world and its log (see the file comment). Deterministic in its inputs. */
export function simulateConfoundedLog(sim: SimulatorParams, options: Cp2recDataOptions): Cp2recData {
  const gamma = options.confounding;
  const root = createRng(sim.seed);
  const worldRng = root.fork(11);
  const policyRng = root.fork(12);
  const logRng = root.fork(13);
  const testRng = root.fork(14);
  const { users: numUsers, items: numItems, latentDim: d, multimodalDim: mm } = sim;
  const latentScale = Math.pow(d, -0.25);

  const popularity = new Float64Array(numItems);
  const rankOrder = worldRng.shuffle(Int32Array.from({ length: numItems }, (_, i) => i));
  for (let r = 0; r < numItems; r++) popularity[rankOrder[r]] = -POPULARITY_EXPONENT * Math.log(r + 1);
  const zPop = standardise(popularity);
  const zDur = standardise(Float64Array.from({ length: numItems }, () => worldRng.normal(0, 1)));

  const itemCategory = new Int32Array(numItems);
  for (let i = 0; i < numItems; i++) itemCategory[i] = i < sim.categories ? i : worldRng.int(sim.categories);
  worldRng.shuffle(itemCategory);
  const centroids = Float32Array.from({ length: sim.categories * d }, () => worldRng.normal(0, latentScale));
  const userLatent = Float32Array.from({ length: numUsers * d }, () => worldRng.normal(0, latentScale));
  const userBias = Float32Array.from({ length: numUsers }, () => worldRng.normal(0, USER_BIAS_STD));
  const itemLatent = new Float32Array(numItems * d);
  const quality = new Float64Array(numItems);
  const cw = Math.sqrt(CATEGORY_SHARE);
  const ow = Math.sqrt(1 - CATEGORY_SHARE);
  for (let i = 0; i < numItems; i++) {
    const c = itemCategory[i];
    for (let k = 0; k < d; k++)
      itemLatent[i * d + k] = cw * centroids[c * d + k] + ow * worldRng.normal(0, latentScale);
    quality[i] = QUALITY_POPULARITY * zPop[i] + worldRng.normal(0, QUALITY_NOISE_STD);
  }
  const projection = Float32Array.from({ length: mm * d }, () => worldRng.normal(0, 1 / Math.sqrt(d)));
  const itemDense = new Float32Array(numItems * mm);
  for (let i = 0; i < numItems; i++) {
    for (let j = 0; j < mm; j++) {
      const s = dot(projection, j * d, itemLatent, i * d, d);
      itemDense[i * mm + j] = s / latentScale + worldRng.normal(0, MULTIMODAL_NOISE_STD);
    }
  }
  const policyUser = Float32Array.from(
    userLatent,
    (x) => x + policyRng.normal(0, POLICY_NOISE * latentScale),
  );
  const policyItem = Float32Array.from(
    itemLatent,
    (x) => x + policyRng.normal(0, POLICY_NOISE * latentScale),
  );

  const interest = (u: number, i: number): number =>
    PREFERENCE_SCALE * dot(userLatent, u * d, itemLatent, i * d, d) + userBias[u] + quality[i] + GLOBAL_BIAS;
  const confounderEffect = (i: number, position: number): number =>
    gamma * (CONFORMITY * zPop[i] - DURATION_EFFECT * zDur[i] - POSITION_EFFECT * position);

  const listLength = sim.exposedPerRequest;
  const slotFraction = (slot: number): number => (listLength > 1 ? slot / (listLength - 1) : 0);
  const perUser = sim.exposuresPerUser;
  const n = numUsers * perUser;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const label = new Float32Array(n);
  const position = new Float32Array(n);
  const randomised = new Uint8Array(n);
  const exposedStamp = new Int32Array(numItems).fill(-1);
  const policyScore = new Float64Array(numItems);
  const keys = new Float64Array(numItems);
  const heap = new Int32Array(listLength);
  let row = 0;
  for (let u = 0; u < numUsers; u++) {
    for (let i = 0; i < numItems; i++) {
      policyScore[i] =
        dot(policyUser, u * d, policyItem, i * d, d) +
        gamma * (EXPOSURE_POPULARITY * zPop[i] - EXPOSURE_DURATION * zDur[i]);
    }
    let exposed = 0;
    while (exposed < perUser) {
      const slots = Math.min(listLength, perUser - exposed);
      const isRandom: boolean[] = [];
      for (let s = 0; s < slots; s++) isRandom.push(!logRng.bernoulli(sim.exposureBias));
      const policySlots = isRandom.filter((r) => !r).length;
      const list = new Int32Array(slots);
      if (policySlots > 0) {
        for (let i = 0; i < numItems; i++)
          keys[i] = exposedStamp[i] === u ? -Infinity : policyScore[i] + logRng.gumbel();
        // Gumbel top-k = sampling without replacement in proportion to exp(policy score), best first.
        const picks = topK(keys, policySlots, heap);
        let p = 0;
        for (let s = 0; s < slots; s++) if (!isRandom[s]) list[s] = picks[p++];
        for (const i of picks) exposedStamp[i] = u;
      }
      for (let s = 0; s < slots; s++) {
        if (!isRandom[s]) continue;
        let i = logRng.int(numItems);
        while (exposedStamp[i] === u) i = logRng.int(numItems);
        exposedStamp[i] = u;
        list[s] = i;
      }
      for (let s = 0; s < slots; s++) {
        const i = list[s];
        user[row] = u;
        item[row] = i;
        position[row] = slotFraction(s);
        randomised[row] = isRandom[s] ? 1 : 0;
        label[row] =
          logRng.uniform() < sigmoid(interest(u, i) + confounderEffect(i, slotFraction(s))) ? 1 : 0;
        row++;
      }
      exposed += slots;
    }
  }

  // Unbiased test: uniformly random never-exposed items per user, labels from the ground truth.
  const unbiasedPerUser = Math.min(options.unbiasedItemsPerUser, numItems - perUser);
  const testUser = new Int32Array(numUsers * unbiasedPerUser);
  const testItem = new Int32Array(numUsers * unbiasedPerUser);
  const testLabel = new Float32Array(numUsers * unbiasedPerUser);
  const testLogit = new Float32Array(numUsers * unbiasedPerUser);
  const drawnStamp = new Int32Array(numItems).fill(-1);
  for (let u = 0, t = 0; u < numUsers; u++) {
    for (let r = u * perUser; r < (u + 1) * perUser; r++) drawnStamp[item[r]] = u;
    for (let k = 0; k < unbiasedPerUser; k++, t++) {
      let i = testRng.int(numItems);
      while (drawnStamp[i] === u) i = testRng.int(numItems);
      drawnStamp[i] = u;
      const logit =
        options.unbiasedLabels === 'interest'
          ? interest(u, i)
          : interest(u, i) + confounderEffect(i, slotFraction(testRng.int(listLength)));
      testUser[t] = u;
      testItem[t] = i;
      testLogit[t] = logit;
      testLabel[t] = testRng.uniform() < sigmoid(logit) ? 1 : 0;
    }
  }

  const mask = testMask(user, numUsers);
  const trainRows = rowsWhere(mask, 0);
  const testRows = rowsWhere(mask, 1);
  const duration = Float64Array.from(zDur, (z) => Math.exp(z));
  const trainItems = selectRows(item, trainRows);
  const { counts, itemProxies } = itemProxiesFromTrain(trainItems, duration);
  const testItems = selectRows(item, testRows);
  const trainRandomised = selectRows(randomised, trainRows);
  let randomisedRows = 0;
  for (const r of trainRandomised) randomisedRows += r;
  // Measurement error of the proxies (own stream: the world and the log do not depend on it). Item
  // proxies err per item, the same in training and at serving; the slot errs per logged exposure.
  const proxyNoise = options.proxyNoise ?? 0;
  const trainPosition = selectRows(position, trainRows);
  if (proxyNoise > 0) {
    const noiseRng = root.fork(15);
    for (let k = 0; k < itemProxies.length; k++) itemProxies[k] += noiseRng.normal(0, proxyNoise);
    const slotStd = Math.sqrt(
      Array.from({ length: listLength }, (_, s) => (slotFraction(s) - 0.5) ** 2).reduce((a, b) => a + b, 0) /
        listLength,
    );
    for (let k = 0; k < trainPosition.length; k++)
      trainPosition[k] += noiseRng.normal(0, proxyNoise * slotStd);
  }
  const trainProxies = rowProxies(trainItems, itemProxies, trainPosition);
  const proxyConfounderCorrelation = [
    pearson(
      Float64Array.from(trainItems, (i) => zPop[i]),
      Float64Array.from(trainItems, (_, r) => trainProxies[r * NUM_PROXIES + POPULARITY_PROXY]),
    ),
    pearson(
      Float64Array.from(trainItems, (i) => zDur[i]),
      Float64Array.from(trainItems, (_, r) => trainProxies[r * NUM_PROXIES + DURATION_PROXY]),
    ),
    pearson(
      selectRows(position, trainRows),
      Float64Array.from(trainItems, (_, r) => trainProxies[r * NUM_PROXIES + POSITION_PROXY]),
    ),
  ];
  return {
    name:
      `CP2Rec confounded log (${numUsers} users, ${numItems} items, confounding ${gamma}, ` +
      `exposure bias ${sim.exposureBias}, seed ${sim.seed})`,
    numUsers,
    numItems,
    numCategories: sim.categories,
    itemCategory,
    denseDim: mm,
    itemDense,
    train: {
      user: selectRows(user, trainRows),
      item: trainItems,
      label: selectRows(label, trainRows),
      proxies: trainProxies,
      randomised: trainRandomised,
    },
    biasedTest: {
      user: selectRows(user, testRows),
      item: testItems,
      label: selectRows(label, testRows),
      proxies: rowProxies(testItems, itemProxies, null),
    },
    unbiasedTest: {
      user: testUser,
      item: testItem,
      label: testLabel,
      proxies: rowProxies(testItem, itemProxies, null),
    },
    unbiasedTestLogit: testLogit,
    itemTrainCount: counts,
    hasPosition: true,
    randomisedRows,
    proxyConfounderCorrelation,
  };
}

/** CP2Rec data from a stored exposure log (see the file comment): biased test only, no slot. */
export function confoundedDataFromLog(dataset: CascadeDataset): Cp2recData {
  const cols = dataset.interactions;
  const mask = testMask(cols.user, dataset.numUsers);
  const trainRows = rowsWhere(mask, 0);
  const testRows = rowsWhere(mask, 1);
  if (trainRows.length === 0 || testRows.length === 0) {
    throw new Error(
      `dataset: "${dataset.name}" leaves ${trainRows.length} training and ${testRows.length} test rows ` +
        'after the per-user 80/20 time split; CP2Rec needs both',
    );
  }
  const largestWatch = new Float64Array(dataset.numItems);
  for (const r of trainRows)
    largestWatch[cols.item[r]] = Math.max(largestWatch[cols.item[r]], cols.watchTime[r]);
  const watched = Array.from(largestWatch)
    .filter((w) => w > 0)
    .sort((a, b) => a - b);
  const median = watched.length > 0 ? watched[Math.floor(watched.length / 2)] : 1;
  const duration = Float64Array.from(largestWatch, (w) => (w > 0 ? w : median));
  const trainItems = selectRows(cols.item, trainRows);
  const testItems = selectRows(cols.item, testRows);
  const { counts, itemProxies } = itemProxiesFromTrain(trainItems, duration);
  const labels = Float32Array.from(cols.label);
  return {
    name: dataset.name,
    ...catalogueOf(dataset),
    train: {
      user: selectRows(cols.user, trainRows),
      item: trainItems,
      label: selectRows(labels, trainRows),
      proxies: rowProxies(trainItems, itemProxies, null),
      randomised: new Uint8Array(trainRows.length),
    },
    biasedTest: {
      user: selectRows(cols.user, testRows),
      item: testItems,
      label: selectRows(labels, testRows),
      proxies: rowProxies(testItems, itemProxies, null),
    },
    unbiasedTest: null,
    unbiasedTestLogit: null,
    itemTrainCount: counts,
    hasPosition: false,
    randomisedRows: 0,
    proxyConfounderCorrelation: null,
  };
}

/** Forked generator for a concern of the job (kept here so tests and runJob fork alike). */
export function forkFor(rng: Rng, concern: 'init' | 'shuffle'): Rng {
  return rng.fork(concern === 'init' ? 21 : 22);
}
