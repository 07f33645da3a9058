/**
 * UKDSL's testbed data: a two-stage ranking funnel with impressions (labelled) and consideration
 * data (unlabelled), as UKDSL (Meta), section 4.1, describes it.
 *
 * Simulated funnel (`simulateFunnel`). A world of users and items (latent vectors as in
 * data/simulator.ts, seeded from the simulator parameters) and, per request, a pool of
 * `poolSize` items drawn uniformly. The true click logit of (request r, user u, item i) is
 *
 *   z = 2 <x_u, y_i>_coarse + 2 <x_u, y_i>_fine + b_u + q_i + c_r - TAIL_WEIGHT * max(0, t_i)
 *       + FOUNDATION_WEIGHT * h(u, i) + GLOBAL_BIAS
 *
 * (fine: the last `lateSignalShare` of the latent dimensions, coarse: the others; c_r a request context,
 * t_i an item "tail" trait that only hurts, h a pair signal only the foundation model observes).
 * The logging funnel follows section 3.2: each stage scores with the logit's form applied to the
 * features it observes (see Features), plus its own prediction error. The early stage scores the
 * pool with its view (coarse affinity, user / item CTR, context, tail) + N(0, earlyStageNoise^2)
 * and keeps the top `candidatesPerRequest` (the consideration set S_1); the later stage adds the
 * fine affinity, scores S_1 with its view + N(0, laterStageNoise^2) and shows its top
 * `exposedPerRequest` (the impressions S_2). Impressions get a label Bernoulli(sigmoid(z)), drawn
 * from a counter-based hash of (request, item); consideration-but-not-impressed rows get none, but
 * the simulator keeps their true probability sigmoid(z) and would-be label for evaluation only
 * (`FunnelTruth`, never passed to training).
 *
 * Features. Models see noisy observations of the logit's parts, as named fields with a stage:
 * 'early' fields feed every model (the early-stage student's whole candidate set, including four
 * pure-noise fields for feature selection to reject), 'late' fields only the later-stage model
 * (later stages consume more features: `affinity_fine`), 'foundation' fields only the foundation
 * teacher of section 4.3 (`user_item_history`). Because the later stage selects impressions on
 * signal the early model cannot see, an early model trained on impressions only is over-calibrated
 * on consideration data: section 3.2's inherent miscalibration, which UKDSL corrects.
 *
 * Simplification: the logging stages are section 3.2's noisy oracles, while the teacher that
 * labels consideration data is a later-stage model trained on the impressions (in production both
 * are the same served model, whose logged predictions are reused).
 *
 * Stored datasets (`funnelFromExposureLog`): impressions = the exposure log (label = finish);
 * there is no logged consideration set, so consideration data is simulated by sampling, per
 * impression, `unlabeledPerImpression` items the user was never exposed to, with probability
 * proportional to their exposure count (a popularity-following early stage). Fields: user id,
 * item category and the item's dense vector (early), item id (late). There is no ground truth
 * for those rows, so only the cross-stage metrics (against the later-stage model) are reported
 * on consideration data; calibration, NE and AUC against the truth are unavailable.
 *
 * Splits: whole requests go to train, valid (the withheld set of feature selection) or test
 * (stored data: each user's impressions in time order, 70/10/20).
 */
import type { ParamValues, SimulatorParams } from '../../../contract/api';
import type { CascadeDataset } from '../../data/dataset';
import { ParamReader } from '../../methods/param-spec';
import { type Rng, createRng, hashUniform } from '../../random';
import { topK } from '../../topk';
import { UKDSL_SETTINGS } from './settings';

export type FieldStage = 'early' | 'late' | 'foundation';

export interface FeatureField {
  name: string;
  /** dense: `width` floats per row; sparse: one id per row in [0, vocabulary). */
  kind: 'dense' | 'sparse';
  width: number;
  vocabulary: number;
  stage: FieldStage;
  /** dense: [rows * width] row-major; sparse: [rows] ids. */
  values: Float32Array | Int32Array;
}

export const SPLIT_TRAIN = 0;
export const SPLIT_VALID = 1;
export const SPLIT_TEST = 2;
/** Impressions of the foundation model's extra history (`foundationHistory`); only it trains on them. */
export const SPLIT_HISTORY = 3;

/** What training may read: features, which rows were impressed, and labels of impressions only. */
export interface FunnelData {
  name: string;
  rows: number;
  fields: FeatureField[];
  /** [rows] request id (stored data: the user). */
  request: Int32Array;
  /** [rows] 1 = impression (labelled), 0 = consideration only (unlabelled). */
  impressed: Uint8Array;
  /** [rows] click label of impressions; 0 on unlabelled rows (it is unknown there). */
  label: Uint8Array;
  /** [rows] SPLIT_TRAIN, SPLIT_VALID, SPLIT_TEST or SPLIT_HISTORY. */
  split: Uint8Array;
  /**
   * How many consideration rows each kept unlabelled training row stands for: 1 / the sample rate
   * on simulated data (so a weighted mix has the consideration set's natural proportions), 1 on
   * stored data (whose unlabelled rows are sampled stand-ins with no natural proportion).
   */
  unlabeledSamplingWeight: number;
}

/** Simulated data only; evaluation reads it, training never receives it. */
export interface FunnelTruth {
  /** [rows] true click probability sigmoid(z). */
  probability: Float32Array;
  /** [rows] the row's one label draw (equal to `label` on impressions). */
  label: Uint8Array;
}

export interface Funnel {
  data: FunnelData;
  truth: FunnelTruth | null;
  /** One line for logs: sizes and rates. */
  summary: string;
  /** Users and items of the world or log, for the run's dataset statistics. */
  users: number;
  items: number;
}

/* Fixed constants of the simulated world (changing them changes the world). */
const PREFERENCE_SCALE = 2;
const GLOBAL_BIAS = -5.5;
const USER_BIAS_STD = 0.5;
const ITEM_QUALITY_STD = 0.5;
const CONTEXT_STD = 0.5;
const TAIL_WEIGHT = 1.5;
const FOUNDATION_WEIGHT = 0.7;
const CATEGORY_SHARE = 0.5;
const NOISE_FIELDS = 4;
const VALID_SHARE = 0.1;

/** Protocol parameters the funnel reads (see the protocol descriptor for ranges). */
export interface FunnelParams {
  poolSize: number;
  earlyStageNoise: number;
  laterStageNoise: number;
  unlabeledSampleRate: number;
  testShare: number;
  unlabeledPerImpression: number;
  lateSignalShare: number;
  foundationHistory: number;
}

export function funnelParamsOf(values: ParamValues): FunnelParams {
  const read = new ParamReader(UKDSL_SETTINGS, values, 'protocolParams');
  return {
    poolSize: read.number('poolSize'),
    earlyStageNoise: read.number('earlyStageNoise'),
    laterStageNoise: read.number('laterStageNoise'),
    unlabeledSampleRate: read.number('unlabeledSampleRate'),
    testShare: read.number('testShare'),
    unlabeledPerImpression: read.number('unlabeledPerImpression'),
    lateSignalShare: read.number('lateSignalShare'),
    foundationHistory: read.number('foundationHistory'),
  };
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Standard normal from two counter-based uniforms (Box-Muller), for per-pair signals. */
function hashNormal(seed: number, a: number, b: number): number {
  const u = Math.max(1e-12, hashUniform(seed, a, b));
  const v = hashUniform(seed ^ 0x5bd1e995, a, b);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Growable column of numbers (the number of kept rows is known only at the end). */
class Column {
  data: Float32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Float32Array(Math.max(16, capacity));
  }
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
  done(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

function requestSplit(splitSeed: number, request: number, testShare: number): number {
  const u = hashUniform(splitSeed, request, 7);
  if (u < testShare) return SPLIT_TEST;
  if (u < testShare + VALID_SHARE) return SPLIT_VALID;
  return SPLIT_TRAIN;
}

/** Names of the simulated funnel's fields, in column order. */
export const SIMULATED_FIELDS: readonly { name: string; stage: FieldStage }[] = [
  { name: 'user_ctr', stage: 'early' },
  { name: 'item_ctr', stage: 'early' },
  { name: 'item_popularity', stage: 'early' },
  { name: 'context', stage: 'early' },
  { name: 'affinity_coarse', stage: 'early' },
  { name: 'item_tail', stage: 'early' },
  ...Array.from({ length: NOISE_FIELDS }, (_, k) => ({ name: `noise_${k + 1}`, stage: 'early' as const })),
  { name: 'affinity_fine', stage: 'late' },
  { name: 'user_item_history', stage: 'foundation' },
];

/**
 * The simulated funnel (see the module comment). Deterministic in the simulator parameters and
 * the protocol parameters.
 */
export function simulateFunnel(sim: SimulatorParams, params: FunnelParams): Funnel {
  const { users: numUsers, items: numItems, latentDim: d } = sim;
  const k1 = sim.candidatesPerRequest;
  const k2 = sim.exposedPerRequest;
  const pool = params.poolSize;
  if (pool < k1) {
    throw new Error(
      `protocolParams.poolSize: must be at least the consideration set size (dataset.params.candidatesPerRequest = ${k1}), got ${pool}`,
    );
  }
  if (pool > numItems) {
    throw new Error(`protocolParams.poolSize: must not exceed the items (${numItems}), got ${pool}`);
  }
  const requestsPerUser = Math.max(1, Math.ceil(sim.exposuresPerUser / sim.exposedPerRequest));
  const root = createRng(sim.seed).fork(0x75_6b_64);
  const worldRng = root.fork(1);
  const logRng = root.fork(2);
  const featureRng = root.fork(3);
  const labelSeed = root.fork(4).nextUint32();
  const pairSeed = root.fork(5).nextUint32();
  const splitSeed = root.fork(6).nextUint32();
  const sampleSeed = root.fork(7).nextUint32();

  const scale = Math.pow(d, -0.25);
  // Fine = the last lateSignalShare of the latent dimensions (rounded), coarse = the rest (at least one).
  const half = Math.max(1, d - Math.round(params.lateSignalShare * d));
  const centroids = Float32Array.from({ length: sim.categories * d }, () => worldRng.normal(0, scale));
  const itemCategory = Int32Array.from({ length: numItems }, () => worldRng.int(sim.categories));
  const userLatent = Float32Array.from({ length: numUsers * d }, () => worldRng.normal(0, scale));
  const itemLatent = new Float32Array(numItems * d);
  for (let i = 0; i < numItems; i++) {
    for (let k = 0; k < d; k++) {
      itemLatent[i * d + k] =
        Math.sqrt(CATEGORY_SHARE) * centroids[itemCategory[i] * d + k] +
        Math.sqrt(1 - CATEGORY_SHARE) * worldRng.normal(0, scale);
    }
  }
  const userBias = Float32Array.from({ length: numUsers }, () => worldRng.normal(0, USER_BIAS_STD));
  const itemQuality = Float32Array.from({ length: numItems }, () => worldRng.normal(0, ITEM_QUALITY_STD));
  const itemTail = Float32Array.from({ length: numItems }, () => worldRng.normal(0, 1));
  // Observed per-user and per-item features: noisy logs of the true traits.
  const userCtr = Float32Array.from(userBias, (b) => b + featureRng.normal(0, 0.3));
  const itemCtr = Float32Array.from(itemQuality, (q) => q + featureRng.normal(0, 0.3));
  const itemPopularity = Float32Array.from(itemQuality, (q) => 0.7 * q + featureRng.normal(0, 0.5));
  const itemTailObserved = Float32Array.from(itemTail, (t) => t + featureRng.normal(0, 0.2));

  const requests = numUsers * requestsPerUser;
  const expectedRows = requests * (k2 + Math.ceil((k1 - k2) * params.unlabeledSampleRate)) + 16;
  const fieldCount = SIMULATED_FIELDS.length;
  const columns = Array.from({ length: fieldCount }, () => new Column(expectedRows));
  const requestCol = new Column(expectedRows);
  const impressedCol = new Column(expectedRows);
  const splitCol = new Column(expectedRows);
  const probCol = new Column(expectedRows);
  const truthLabelCol = new Column(expectedRows);

  const poolItems = new Int32Array(pool);
  const stamp = new Int32Array(numItems).fill(-1);
  const logits = new Float64Array(pool);
  const coarse = new Float64Array(pool);
  const fine = new Float64Array(pool);
  const history = new Float64Array(pool);
  const earlyScore = new Float64Array(pool);
  const lateView = new Float64Array(pool);
  const laterScore = new Float64Array(k1);
  const scratch = new Int32Array(Math.max(k1, k2));
  let impressions = 0;
  let impressionClicks = 0;

  /** One request of user u: its pool, the two logging stages, and the rows it keeps. */
  const simulateRequest = (u: number, r: number, split: number, logRng: Rng, featureRng: Rng): void => {
    const context = logRng.normal(0, CONTEXT_STD);
    // Pool: `pool` distinct items uniformly at random.
    for (let n = 0; n < pool;) {
      const i = logRng.int(numItems);
      if (stamp[i] === r) continue;
      stamp[i] = r;
      poolItems[n++] = i;
    }
    for (let n = 0; n < pool; n++) {
      const i = poolItems[n];
      let a = 0;
      let b = 0;
      for (let k = 0; k < half; k++) a += userLatent[u * d + k] * itemLatent[i * d + k];
      for (let k = half; k < d; k++) b += userLatent[u * d + k] * itemLatent[i * d + k];
      const h = hashNormal(pairSeed, u, i);
      // Observed (noisy) pair features, fixed before the funnel ranks on them.
      coarse[n] = a + featureRng.normal(0, 0.1);
      fine[n] = b + featureRng.normal(0, 0.1);
      history[n] = h + featureRng.normal(0, 0.3);
      logits[n] =
        PREFERENCE_SCALE * (a + b) +
        userBias[u] +
        itemQuality[i] +
        context -
        TAIL_WEIGHT * Math.max(0, itemTail[i]) +
        FOUNDATION_WEIGHT * h +
        GLOBAL_BIAS;
      // Each logging stage scores with the logit's form on the features it observes, plus its error.
      const earlyView =
        PREFERENCE_SCALE * coarse[n] +
        userCtr[u] +
        itemCtr[i] +
        context -
        TAIL_WEIGHT * Math.max(0, itemTailObserved[i]) +
        GLOBAL_BIAS;
      earlyScore[n] = earlyView + logRng.normal(0, params.earlyStageNoise);
      lateView[n] = earlyView + PREFERENCE_SCALE * fine[n];
    }
    const considered = topK(earlyScore, k1, scratch).slice();
    for (let c = 0; c < k1; c++)
      laterScore[c] = lateView[considered[c]] + logRng.normal(0, params.laterStageNoise);
    const shown = new Set(topK(laterScore, k2, scratch));
    for (let c = 0; c < k1; c++) {
      const n = considered[c];
      const isImpression = shown.has(c);
      // History requests keep impressions only (the foundation model trains on labels).
      if (!isImpression && split === SPLIT_HISTORY) continue;
      // Unlabelled rows of train/valid requests are subsampled; test requests keep all of them.
      if (
        !isImpression &&
        split !== SPLIT_TEST &&
        hashUniform(sampleSeed, r, poolItems[n]) >= params.unlabeledSampleRate
      )
        continue;
      const i = poolItems[n];
      const p = sigmoid(logits[n]);
      const y = hashUniform(labelSeed, r, i) < p ? 1 : 0;
      const values = [
        userCtr[u],
        itemCtr[i],
        itemPopularity[i],
        context,
        coarse[n],
        itemTailObserved[i],
        ...Array.from({ length: NOISE_FIELDS }, () => featureRng.normal(0, 1)),
        fine[n],
        history[n],
      ];
      for (let f = 0; f < fieldCount; f++) columns[f].push(values[f]);
      requestCol.push(r);
      impressedCol.push(isImpression ? 1 : 0);
      splitCol.push(split);
      probCol.push(p);
      truthLabelCol.push(y);
      if (isImpression && split !== SPLIT_HISTORY) {
        impressions++;
        impressionClicks += y;
      }
    }
  };
  for (let u = 0; u < numUsers; u++) {
    for (let q = 0; q < requestsPerUser; q++) {
      const r = u * requestsPerUser + q;
      simulateRequest(u, r, requestSplit(splitSeed, r, params.testShare), logRng, featureRng);
    }
  }
  // The foundation model's extra history: more requests of the same users, on streams of their own
  // so the production models' data is the same with or without it.
  const historyPerUser = requestsPerUser * params.foundationHistory;
  const historyLogRng = root.fork(8);
  const historyFeatureRng = root.fork(9);
  for (let u = 0; u < numUsers; u++) {
    for (let q = 0; q < historyPerUser; q++)
      simulateRequest(u, requests + u * historyPerUser + q, SPLIT_HISTORY, historyLogRng, historyFeatureRng);
  }
  const rows = requestCol.length;
  const impressed = Uint8Array.from(impressedCol.done());
  const truthLabel = Uint8Array.from(truthLabelCol.done());
  const label = Uint8Array.from(truthLabel, (y, k) => (impressed[k] === 1 ? y : 0));
  const fields: FeatureField[] = SIMULATED_FIELDS.map((f, k) => ({
    name: f.name,
    kind: 'dense',
    width: 1,
    vocabulary: 0,
    stage: f.stage,
    values: columns[k].done(),
  }));
  const probability = probCol.done();
  let unlabeledProb = 0;
  let unlabeled = 0;
  for (let k = 0; k < rows; k++) {
    if (impressed[k] === 1) continue;
    unlabeledProb += probability[k];
    unlabeled++;
  }
  const historyRows = rows - impressions - unlabeled;
  return {
    data: {
      name:
        `UKDSL funnel (${numUsers} users x ${requestsPerUser} requests, pool ${pool}, consideration ${k1}, ` +
        `impressions ${k2}, seed ${sim.seed})`,
      rows,
      fields,
      request: Int32Array.from(requestCol.done()),
      impressed,
      label,
      split: Uint8Array.from(splitCol.done()),
      unlabeledSamplingWeight: 1 / params.unlabeledSampleRate,
    },
    truth: { probability, label: truthLabel },
    users: numUsers,
    items: numItems,
    summary:
      `${impressions} impressions (CTR ${((100 * impressionClicks) / Math.max(1, impressions)).toFixed(2)}%), ` +
      `${unlabeled} unlabelled consideration rows (true mean CTR ` +
      `${((100 * unlabeledProb) / Math.max(1, unlabeled)).toFixed(2)}%)` +
      (historyRows > 0 ? `, ${historyRows} history impressions of the foundation model` : ''),
  };
}

/**
 * Funnel from a stored exposure log (see the module comment): impressions are the log's rows,
 * consideration rows are sampled unexposed items. No ground truth.
 */
export function funnelFromExposureLog(dataset: CascadeDataset, params: FunnelParams, seed = 1): Funnel {
  const cols = dataset.interactions;
  const n = cols.user.length;
  if (n === 0) throw new Error('dataset: the exposure log is empty, UKDSL needs impressions');
  const perUser = params.unlabeledPerImpression;
  const rng: Rng = createRng(seed).fork(0x75_6b_64);
  // Per-user time order gives each impression its split (70/10/20 of the user's rows).
  const userRows: number[][] = Array.from({ length: dataset.numUsers }, () => []);
  for (let k = 0; k < n; k++) userRows[cols.user[k]].push(k);
  const exposureCount = new Float64Array(dataset.numItems);
  for (let k = 0; k < n; k++) exposureCount[cols.item[k]]++;
  const cumulative = new Float64Array(dataset.numItems);
  let total = 0;
  for (let i = 0; i < dataset.numItems; i++) cumulative[i] = total += exposureCount[i] + 1;
  const sampleItem = (): number => {
    const target = rng.uniform() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const exposedOf = new Map<number, Set<number>>();
  const userCol: number[] = [];
  const itemCol: number[] = [];
  const impressedCol: number[] = [];
  const labelCol: number[] = [];
  const splitCol: number[] = [];
  for (let u = 0; u < dataset.numUsers; u++) {
    const rowsOfUser = userRows[u];
    if (rowsOfUser.length === 0) continue;
    const exposed = new Set(rowsOfUser.map((k) => cols.item[k]));
    exposedOf.set(u, exposed);
    if (exposed.size >= dataset.numItems) {
      throw new Error(
        `dataset: user ${u} was exposed to every item, so there is no unlabelled data to sample`,
      );
    }
    rowsOfUser.forEach((k, position) => {
      const share = position / rowsOfUser.length;
      const split = share < 0.7 ? SPLIT_TRAIN : share < 0.8 ? SPLIT_VALID : SPLIT_TEST;
      userCol.push(u);
      itemCol.push(cols.item[k]);
      impressedCol.push(1);
      labelCol.push(cols.label[k]);
      splitCol.push(split);
      for (let s = 0; s < perUser; s++) {
        let item = sampleItem();
        for (let tries = 0; exposed.has(item) && tries < 50; tries++) item = sampleItem();
        if (exposed.has(item)) continue;
        userCol.push(u);
        itemCol.push(item);
        impressedCol.push(0);
        labelCol.push(0);
        splitCol.push(split);
      }
    });
  }
  const rows = userCol.length;
  const items = Int32Array.from(itemCol);
  const fields: FeatureField[] = [
    {
      name: 'user',
      kind: 'sparse',
      width: 1,
      vocabulary: dataset.numUsers,
      stage: 'early',
      values: Int32Array.from(userCol),
    },
    {
      name: 'category',
      kind: 'sparse',
      width: 1,
      vocabulary: dataset.numCategories,
      stage: 'early',
      values: Int32Array.from(items, (i) => dataset.itemCategory[i]),
    },
  ];
  if (dataset.denseDim > 0) {
    const dd = dataset.denseDim;
    const dense = new Float32Array(rows * dd);
    for (let k = 0; k < rows; k++)
      dense.set(dataset.itemDense.subarray(items[k] * dd, items[k] * dd + dd), k * dd);
    fields.push({
      name: 'item_dense',
      kind: 'dense',
      width: dd,
      vocabulary: 0,
      stage: 'early',
      values: dense,
    });
  }
  fields.push({
    name: 'item',
    kind: 'sparse',
    width: 1,
    vocabulary: dataset.numItems,
    stage: 'late',
    values: items,
  });
  const impressed = Uint8Array.from(impressedCol);
  let impressions = 0;
  for (const x of impressed) impressions += x;
  return {
    data: {
      name: `UKDSL funnel from ${dataset.name} (${perUser} sampled unexposed items per impression)`,
      rows,
      fields,
      request: Int32Array.from(userCol),
      impressed,
      label: Uint8Array.from(labelCol),
      split: Uint8Array.from(splitCol),
      unlabeledSamplingWeight: 1,
    },
    truth: null,
    users: dataset.numUsers,
    items: dataset.numItems,
    summary: `${impressions} impressions from the exposure log, ${rows - impressions} sampled unexposed (unlabelled) rows; no ground truth`,
  };
}

/** Indices of the rows with the given split and impression flag. */
export function rowsWhere(data: FunnelData, split: number, impressed: 0 | 1): Int32Array {
  const out: number[] = [];
  for (let k = 0; k < data.rows; k++)
    if (data.split[k] === split && data.impressed[k] === impressed) out.push(k);
  return Int32Array.from(out);
}

/** Field indices of the given stages, in field order. */
export function fieldsOfStages(data: FunnelData, stages: readonly FieldStage[]): number[] {
  return data.fields.flatMap((f, k) => (stages.includes(f.stage) ? [k] : []));
}
