/**
 * KEEP's data (KEEP, CIKM 2022, section 6.1): a large *super-domain* impression log with several
 * behaviours (click, conversion, add-to-cart) and a small *sub-domain* (target domain, the
 * downstream CTR task) that shares users and items with it, split in time as the paper's
 * "pre-training based recommendation" setting:
 *
 *   super-domain, pre-training window   (paper: 2021/12/13-17)  -> KEEP's knowledge extraction
 *   super-domain, concurrent window     (paper: 2021/12/18-19)  -> KEEP-C and Sample Merging
 *   sub-domain, training window         (paper: 2021/12/18-19)  -> every downstream model
 *   sub-domain, test window             (paper: 2021/12/20)     -> GAUC / AUC
 *
 * Simulated data (`dataset.kind === 'simulated'`). The world (users, items, categories, dense
 * item vectors, the true preference p(u, i)) is the cascade simulator's (data/simulator.ts); its
 * preference logit z(u, i) = logit p(u, i) is the latent preference every click reads. Beside it,
 * two purchase-intent latents, A(u, i) = <w_u, v_c(i)> and B(u, i) = <w'_u, v'_c(i)> (a user vector
 * against the item's category vector, INTENT_DIM wide, entries N(0, INTENT_DIM^-1/4): about unit
 * variance), drive the deeper behaviours, with w = intentWeight:
 *   click      c    ~ Bernoulli(sigmoid(z + clickBias))                                   on impressions
 *   conversion cv   ~ Bernoulli(sigmoid(CONVERSION_SLOPE z + INTENT_SLOPE w A + conversionBias))  given a click
 *   cart       cart ~ Bernoulli(sigmoid(CART_SLOPE z + INTENT_SLOPE w B + cartBias))              given a click
 * (deeper behaviours are steeper in z, and only exist on clicked impressions, as the paper's
 * conversion and add-to-cart tasks are "trained on top of user clicks"). Super-domain clicks never
 * see A or B; conversion reveals A and add-to-cart B. The sub-domain is an ads-like sub-scenario: a
 * seeded `targetItemShare` of the items, shown to a seeded `targetUserShare` of the users, whose
 * click reads z, the purchase intent (ads are clicked by people about to buy) and terms of its own
 * that the super-domain never sees (an ad's own appeal e_i and a user-ad affinity <a_u, b_i>):
 *   target click ~ Bernoulli(sigmoid(z + w (A + B) / sqrt 2 + domainShift (e_i + <a_u, b_i>) + targetClickBias)),
 * with e_i ~ N(0, 1) and a_u, b_i drawn N(0, latentDim^-1/4) per entry (so <a_u, b_i> has about
 * unit variance). The domain's own terms are why pooling the two domains' samples (Sample Merging)
 * can hurt; intent is what only KEEP's conversion and add-to-cart tasks can transfer (Table 4).
 * intentWeight 0 gives the earlier world, every behaviour a Bernoulli of z alone (same draws).
 * Activity: a user's super-domain impression count is (pretrainImpressions +
 * concurrentImpressions) times a log-normal factor with mean 1 and log-std `activitySpread`
 * (rounded, at least 1, at most the item count), split between the windows in the configured
 * ratio, so users range from sparse to heavy as in industrial logs (the paper's Figure 1 and
 * Table 7); every sub-domain user has the same sub-domain counts, so test users compare fairly.
 * Impressions: each user's items are drawn without replacement by a Gumbel top-k on
 * exposureBias * z(u, i) (the simulator's exposureBias: 0 = uniform exposure, 1 = a logging policy
 * that shows what the user likes); super-domain impressions come from all items, sub-domain ones
 * from the target items. A user's super-domain items are assigned at random to the two windows;
 * the sub-domain's first `targetTrainImpressions` draws go to training, the next
 * `targetValidImpressions` to validation (held out from the training window for early stopping),
 * the rest to the test window. Everything is seeded from the simulator's seed and the protocol parameters only, so
 * every method and seed of an experiment sees the same data.
 * Scale: the paper's super-domain has 27 times the sub-domain's impressions (Table 1); the
 * defaults give 140 super-domain impressions per user on average against 8 sub-domain training
 * ones per sub-domain user (about 34 times the rows; the test window's 40 per user are many more
 * than the paper's one day holds, so that GAUC's seed spread is below its effect sizes). The behaviour biases are strongly negative because impressions
 * concentrate on liked items (high z); on the simulator's default world with latentDim 8 they give
 * a super-domain CTR of 0.16, conversion and add-to-cart rates of 0.36 and 0.37 per click, and a
 * sub-domain CTR of 0.12 (the paper's Table 1: CTR 0.033 and 0.039, conversion 0.018 per click).
 *
 * Stored datasets (one exposure log, no behaviours beyond finish and watch time): the log, in
 * time order, is cut by rows into the paper's 5 : 2 : 1 "days": the first 5/8 are the
 * pre-training window, the next 2/8 the concurrent window, the last 1/8 the test window. The
 * super-domain is every row of the first two windows (all items, as the paper's super-domain also
 * holds the ads subsystem's impressions); click = finish; add-to-cart = a click whose watch time is
 * at least the median watch time of all clicks, conversion = at least their 80th percentile. The
 * sub-domain is the rows on a seeded `targetItemShare` of the items (hash of the item id): its
 * concurrent-window rows train the downstream model, except the latest STORED_VALID_SHARE of them,
 * the validation window of early stopping; its test-window rows test it. No ground truth, and no
 * purchase intent beyond what watch time carries (intentWeight is a simulator setting).
 */
import type { ParamValues, SimulatorParams } from '../../../contract/api';
import type { CascadeDataset } from '../../data/dataset';
import { type ItemCatalogue, catalogueOf } from '../../data/dataset';
import { ParamReader } from '../../methods/param-spec';
import { createRng, hashUniform } from '../../random';
import { KEEP_SETTINGS } from './settings';

/** Slope of the conversion logit in the latent preference (conversion is the most selective). */
export const CONVERSION_SLOPE = 2;
/** Slope of the add-to-cart logit in the latent preference. */
export const CART_SLOPE = 1.5;
/** Width of the purchase-intent latents (one vector per user and per category, for A and for B). */
export const INTENT_DIM = 4;
/** Slope of conversion's (add-to-cart's) logit in its intent latent A (B), times intentWeight. */
export const INTENT_SLOPE = 2;
/** Stored data: share of the sub-domain's training-window rows held out for early stopping (the latest). */
export const STORED_VALID_SHARE = 0.2;
/** Stored data: the 5 : 2 : 1 day split of the paper's eight-day log, as shares of the rows. */
export const STORED_WINDOW_SHARES = { pretrain: 5 / 8, concurrent: 2 / 8, test: 1 / 8 } as const;
/** Stored data: quantiles of the clicks' watch time that make a click an add-to-cart / a conversion. */
export const STORED_CART_QUANTILE = 0.5;
export const STORED_CONVERSION_QUANTILE = 0.8;
/** Seed of the stored datasets' target-item hash (fixed: stored data has no simulator seed). */
const STORED_TARGET_SEED = 20211218;

/** The three pre-training tasks (KEEP section 4.2.2), in the paper's order. */
export const TASKS = ['click', 'conversion', 'cart'] as const;
export type Task = (typeof TASKS)[number];

/** Super-domain impressions with their behaviours; conversion and cart are 0 without a click. */
export interface BehaviourLog {
  /** [rows] */
  user: Int32Array;
  /** [rows] */
  item: Int32Array;
  click: Uint8Array;
  conversion: Uint8Array;
  cart: Uint8Array;
}

/** Sub-domain impressions with the downstream task's label (click). */
export interface ClickLog {
  user: Int32Array;
  item: Int32Array;
  click: Uint8Array;
}

export interface KeepData extends ItemCatalogue {
  name: string;
  superPretrain: BehaviourLog;
  superConcurrent: BehaviourLog;
  targetTrain: ClickLog;
  /** Held-out sub-domain impressions of the training window: early stopping (train.ts) reads them. */
  targetValid: ClickLog;
  targetTest: ClickLog;
  /** Simulated data only: the true target-domain click probability (for GT-GAUC). */
  targetClickProbability?: (user: number, item: number) => number;
}

/** The testbed's settings the data reads; keys as in KEEP_PROTOCOL_PARAMS (settings.ts). */
export interface KeepDataParams {
  targetUserShare: number;
  targetItemShare: number;
  pretrainImpressions: number;
  concurrentImpressions: number;
  targetTrainImpressions: number;
  targetValidImpressions: number;
  targetTestImpressions: number;
  clickBias: number;
  conversionBias: number;
  cartBias: number;
  targetClickBias: number;
  domainShift: number;
  intentWeight: number;
  activitySpread: number;
}

/** The settings' declared defaults (settings.ts). */
export const DEFAULT_KEEP_DATA_PARAMS: KeepDataParams = keepDataParams({});

/** Reads the data's settings from resolved protocol parameters (defaults for missing keys). */
export function keepDataParams(values: ParamValues): KeepDataParams {
  const read = new ParamReader(KEEP_SETTINGS, values, 'protocolParams');
  return {
    targetUserShare: read.number('targetUserShare'),
    targetItemShare: read.number('targetItemShare'),
    pretrainImpressions: read.number('pretrainImpressions'),
    concurrentImpressions: read.number('concurrentImpressions'),
    targetTrainImpressions: read.number('targetTrainImpressions'),
    targetValidImpressions: read.number('targetValidImpressions'),
    targetTestImpressions: read.number('targetTestImpressions'),
    clickBias: read.number('clickBias'),
    conversionBias: read.number('conversionBias'),
    cartBias: read.number('cartBias'),
    targetClickBias: read.number('targetClickBias'),
    domainShift: read.number('domainShift'),
    intentWeight: read.number('intentWeight'),
    activitySpread: read.number('activitySpread'),
  };
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
}

/** Grows typed columns while rows are appended. */
class BehaviourBuilder {
  user: number[] = [];
  item: number[] = [];
  click: number[] = [];
  conversion: number[] = [];
  cart: number[] = [];
  push(u: number, i: number, c: number, cv: number, cart: number): void {
    this.user.push(u);
    this.item.push(i);
    this.click.push(c);
    this.conversion.push(cv);
    this.cart.push(cart);
  }
  build(): BehaviourLog {
    return {
      user: Int32Array.from(this.user),
      item: Int32Array.from(this.item),
      click: Uint8Array.from(this.click),
      conversion: Uint8Array.from(this.conversion),
      cart: Uint8Array.from(this.cart),
    };
  }
  buildClicks(): ClickLog {
    return {
      user: Int32Array.from(this.user),
      item: Int32Array.from(this.item),
      click: Uint8Array.from(this.click),
    };
  }
}

/**
 * Indices of the k largest keys (ties by index), for Gumbel top-k sampling without replacement.
 * @param keys [n]
 */
function topIndices(keys: Float64Array, k: number): number[] {
  const order = Array.from({ length: keys.length }, (_, i) => i);
  order.sort((a, b) => keys[b] - keys[a] || a - b);
  return order.slice(0, k);
}

/**
 * Builds KEEP's domains from the simulator's world (see the file comment).
 * @param world the simulated dataset (its ground truth gives the latent preference)
 * @param simulator the resolved simulator parameters (seed, exposureBias, latentDim)
 */
export function simulateKeepData(
  world: CascadeDataset,
  simulator: SimulatorParams,
  p: KeepDataParams,
): KeepData {
  const truth = world.groundTruth;
  if (!truth)
    throw new Error('dataset: the simulated dataset has no ground truth to draw KEEP behaviours from');
  const { numUsers, numItems } = world;
  const targetItemCount = Math.max(1, Math.round(p.targetItemShare * numItems));
  const targetUserCount = Math.max(2, Math.round(p.targetUserShare * numUsers));
  const superPerUser = p.pretrainImpressions + p.concurrentImpressions;
  const targetPerUser = p.targetTrainImpressions + p.targetValidImpressions + p.targetTestImpressions;
  if (superPerUser > numItems)
    throw new Error(
      `protocolParams.pretrainImpressions: pretrainImpressions + concurrentImpressions (${superPerUser}) ` +
        `exceeds the ${numItems} items of dataset.params.items`,
    );
  if (targetPerUser > targetItemCount)
    throw new Error(
      `protocolParams.targetTrainImpressions: targetTrainImpressions + targetValidImpressions + targetTestImpressions (${targetPerUser}) ` +
        `exceeds the ${targetItemCount} target items (targetItemShare * items)`,
    );
  if (superPerUser === 0) throw new Error('protocolParams.pretrainImpressions: the super-domain is empty');
  // A stream of its own, so KEEP's draws do not depend on how the cascade log was drawn.
  const root = createRng(simulator.seed).fork(0x6b656570);
  const pickRng = root.fork(1);
  const drawRng = root.fork(2);
  const shiftRng = root.fork(3);
  const activityRng = root.fork(4);
  const intentRng = root.fork(5);
  const itemOrder = pickRng.shuffle(Int32Array.from({ length: numItems }, (_, i) => i));
  const targetItems = Int32Array.from(itemOrder.subarray(0, targetItemCount)).sort();
  const userOrder = pickRng.shuffle(Int32Array.from({ length: numUsers }, (_, i) => i));
  const targetUsers = Int32Array.from(userOrder.subarray(0, Math.min(numUsers, targetUserCount))).sort();

  const d = simulator.latentDim;
  const std = Math.pow(d, -0.25);
  const shiftUser = Float32Array.from({ length: numUsers * d }, () => shiftRng.normal(0, std));
  const shiftItem = Float32Array.from({ length: numItems * d }, () => shiftRng.normal(0, std));
  const shiftItemBias = Float32Array.from({ length: numItems }, () => shiftRng.normal(0, 1));
  // Purchase intent: A drives conversion, B add-to-cart, both the sub-domain's clicks (see the file
  // comment). Entries of std INTENT_DIM^(-1/4) give <w_u, v_c> about unit variance.
  const intentStd = Math.pow(INTENT_DIM, -0.25);
  const intentVectors = (rows: number) =>
    Float32Array.from({ length: rows * INTENT_DIM }, () => intentRng.normal(0, intentStd));
  const userIntent = [intentVectors(numUsers), intentVectors(numUsers)];
  const categoryIntent = [intentVectors(world.numCategories), intentVectors(world.numCategories)];
  const intent = (kind: 0 | 1, u: number, i: number): number => {
    const c = world.itemCategory[i];
    let s = 0;
    for (let k = 0; k < INTENT_DIM; k++)
      s += userIntent[kind][u * INTENT_DIM + k] * categoryIntent[kind][c * INTENT_DIM + k];
    return s;
  };
  const targetLogit = (u: number, i: number): number => {
    let s = shiftItemBias[i];
    for (let k = 0; k < d; k++) s += shiftUser[u * d + k] * shiftItem[i * d + k];
    const shared =
      p.intentWeight > 0 ? p.intentWeight * Math.SQRT1_2 * (intent(0, u, i) + intent(1, u, i)) : 0;
    return logit(truth.preference(u, i)) + shared + p.domainShift * s + p.targetClickBias;
  };

  const bias = simulator.exposureBias;
  const intentSlope = INTENT_SLOPE * p.intentWeight;
  const pretrain = new BehaviourBuilder();
  const concurrent = new BehaviourBuilder();
  const keys = new Float64Array(numItems);
  const latent = new Float64Array(numItems);
  for (let u = 0; u < numUsers; u++) {
    for (let i = 0; i < numItems; i++) {
      latent[i] = logit(truth.preference(u, i));
      keys[i] = bias * latent[i] + drawRng.gumbel();
    }
    // Log-normal activity with mean 1 (spread 0: every user has exactly the configured counts).
    const activity =
      p.activitySpread > 0
        ? Math.exp(p.activitySpread * activityRng.normal(0, 1) - (p.activitySpread * p.activitySpread) / 2)
        : 1;
    const count = Math.min(numItems, Math.max(1, Math.round(superPerUser * activity)));
    const inPretrain = Math.round((count * p.pretrainImpressions) / superPerUser);
    const picked = topIndices(keys, count);
    drawRng.shuffle(picked);
    picked.forEach((i, k) => {
      const z = latent[i];
      const click = drawRng.bernoulli(sigmoid(z + p.clickBias)) ? 1 : 0;
      const cvLogit = CONVERSION_SLOPE * z + (intentSlope > 0 ? intentSlope * intent(0, u, i) : 0);
      const cartLogit = CART_SLOPE * z + (intentSlope > 0 ? intentSlope * intent(1, u, i) : 0);
      const cv = click && drawRng.bernoulli(sigmoid(cvLogit + p.conversionBias)) ? 1 : 0;
      const cart = click && drawRng.bernoulli(sigmoid(cartLogit + p.cartBias)) ? 1 : 0;
      (k < inPretrain ? pretrain : concurrent).push(u, i, click, cv, cart);
    });
  }
  const train = new BehaviourBuilder();
  const valid = new BehaviourBuilder();
  const test = new BehaviourBuilder();
  const targetKeys = new Float64Array(targetItemCount);
  const targetLatent = new Float64Array(targetItemCount);
  const validEnd = p.targetTrainImpressions + p.targetValidImpressions;
  for (const u of targetUsers) {
    for (let k = 0; k < targetItemCount; k++) {
      const i = targetItems[k];
      targetLatent[k] = targetLogit(u, i);
      targetKeys[k] = bias * logit(truth.preference(u, i)) + drawRng.gumbel();
    }
    const picked = topIndices(targetKeys, targetPerUser);
    drawRng.shuffle(picked);
    picked.forEach((k, n) => {
      const click = drawRng.bernoulli(sigmoid(targetLatent[k])) ? 1 : 0;
      (n < p.targetTrainImpressions ? train : n < validEnd ? valid : test).push(
        u,
        targetItems[k],
        click,
        0,
        0,
      );
    });
  }
  return {
    name: `KEEP domains on ${world.name}`,
    numUsers,
    numItems,
    numCategories: world.numCategories,
    itemCategory: world.itemCategory,
    denseDim: world.denseDim,
    itemDense: world.itemDense,
    superPretrain: pretrain.build(),
    superConcurrent: concurrent.build(),
    targetTrain: train.buildClicks(),
    targetValid: valid.buildClicks(),
    targetTest: test.buildClicks(),
    targetClickProbability: (u, i) => sigmoid(targetLogit(u, i)),
  };
}

/** Value at quantile q of `values` (nearest rank); NaN when empty. */
function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Derives KEEP's domains from a stored exposure log (see the file comment). */
export function keepDataFromLog(dataset: CascadeDataset, p: KeepDataParams): KeepData {
  const cols = dataset.interactions;
  const n = cols.user.length;
  const pretrainEnd = Math.floor(n * STORED_WINDOW_SHARES.pretrain);
  const concurrentEnd = Math.floor(n * (STORED_WINDOW_SHARES.pretrain + STORED_WINDOW_SHARES.concurrent));
  const clickWatch: number[] = [];
  for (let r = 0; r < concurrentEnd; r++) if (cols.label[r] === 1) clickWatch.push(cols.watchTime[r]);
  const cartThreshold = quantile(clickWatch, STORED_CART_QUANTILE);
  const conversionThreshold = quantile(clickWatch, STORED_CONVERSION_QUANTILE);
  const isTarget = (item: number): boolean => hashUniform(STORED_TARGET_SEED, item, 0) < p.targetItemShare;
  const pretrain = new BehaviourBuilder();
  const concurrent = new BehaviourBuilder();
  const train = new BehaviourBuilder();
  const valid = new BehaviourBuilder();
  const test = new BehaviourBuilder();
  // The sub-domain rows of the concurrent window, in time order: the last STORED_VALID_SHARE of
  // them (at least one) are the validation window, the rest train.
  const window: number[] = [];
  for (let r = 0; r < n; r++) {
    const u = cols.user[r];
    const i = cols.item[r];
    const click = cols.label[r];
    if (r >= concurrentEnd) {
      if (isTarget(i)) test.push(u, i, click, 0, 0);
      continue;
    }
    const watch = cols.watchTime[r];
    const cart = click === 1 && watch >= cartThreshold ? 1 : 0;
    const cv = click === 1 && watch >= conversionThreshold ? 1 : 0;
    (r < pretrainEnd ? pretrain : concurrent).push(u, i, click, cv, cart);
    if (r >= pretrainEnd && isTarget(i)) window.push(r);
  }
  const validStart = window.length - Math.max(1, Math.round(window.length * STORED_VALID_SHARE));
  window.forEach((r, k) =>
    (k < validStart ? train : valid).push(cols.user[r], cols.item[r], cols.label[r], 0, 0),
  );
  const data: KeepData = {
    name: `KEEP domains derived from ${dataset.name}`,
    ...catalogueOf(dataset),
    superPretrain: pretrain.build(),
    superConcurrent: concurrent.build(),
    targetTrain: train.buildClicks(),
    targetValid: valid.buildClicks(),
    targetTest: test.buildClicks(),
  };
  if (
    data.targetTrain.user.length === 0 ||
    data.targetValid.user.length === 0 ||
    data.targetTest.user.length === 0
  )
    throw new Error(
      `dataset: the stored log gives an empty sub-domain (${data.targetTrain.user.length} training, ` +
        `${data.targetValid.user.length} validation, ${data.targetTest.user.length} test rows on the targetItemShare of items); raise protocolParams.targetItemShare`,
    );
  return data;
}

/** Row counts and label rates, for the job's log. */
export function describeKeepData(data: KeepData): string {
  const rate = (labels: Uint8Array, mask?: Uint8Array): string => {
    let hits = 0;
    let count = 0;
    for (let r = 0; r < labels.length; r++) {
      if (mask && mask[r] === 0) continue;
      count++;
      hits += labels[r];
    }
    return count > 0 ? (hits / count).toFixed(3) : 'n/a';
  };
  const s = data.superPretrain;
  const c = data.superConcurrent;
  return (
    `super-domain: ${s.user.length} pre-training + ${c.user.length} concurrent impressions ` +
    `(CTR ${rate(s.click)}, CVR ${rate(s.conversion, s.click)}, cart rate ${rate(s.cart, s.click)} per click); ` +
    `sub-domain: ${data.targetTrain.user.length} training, ${data.targetValid.user.length} validation, ` +
    `${data.targetTest.user.length} test impressions ` +
    `(CTR ${rate(data.targetTrain.click)} / ${rate(data.targetValid.click)} / ${rate(data.targetTest.click)})`
  );
}
