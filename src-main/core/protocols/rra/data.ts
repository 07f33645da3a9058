/**
 * RRA's data: an impression log with request-level candidate sets (RRA, KDD 2023, Sec. 3-5.1).
 *
 * One request = one user visiting the unfamiliar collection at one time. It carries
 * - the user's watch history at that time (the behaviour features of Sec. 4.2.1, shows only),
 * - the candidate set: the shows the retrieval model scores for this request (Sec. 3's item set I),
 * - the impressions among the candidates, a click label per impression, and per click the
 *   Discovery-induced Watching Minutes (DWM, Sec. 4.1): minutes watched on the platform in the
 *   week after the first playback started from the unfamiliar collection.
 * The last day's requests are the test set, the others train (Sec. 5.1.1's global time split).
 *
 * Simulated log (`simulateRraLog`), deterministic from the simulator parameters and the protocol
 * settings:
 * - It uses the first `users` users and `shows` shows of the simulator's world (the protocol
 *   settings; the world's users and shows are exchangeable, so these are random subsets).
 * - The world is the cascade simulator's (data/simulator.ts): the click probability of a show is
 *   p(u, i) = sigmoid(logit q(u, i) - 1.5) with q its true preference GroundTruth.preference(u, i)
 *   (the shift brings the CTR of impressions near the paper's 22%). The simulator's own exposure log is the
 *   past: a user's finished shows in it are their watch history before the impression log, and,
 *   being familiar, never appear in their candidate sets (unfamiliar recommendation). Its exposure
 *   counts give a popularity signal for the logging policies.
 * - Shows are series (60%, 4-24 episodes of 22-60 minutes) or movies (80-160 minutes). Each show
 *   has a "hook" (how much watching one start leads to, independent of how clickable it is) and
 *   each user a binge propensity. Given a click, DWM's expectation is
 *     m(u, i) = min(length_i, WEEK_CAP) * sigmoid(logit q(u, i) + 1 + hook_i + binge_u),
 *   and the logged DWM is m(u, i) times a mean-one log-normal noise: DWM and CTR are related but
 *   rank shows differently, which is why the paper adds DWM as a second objective.
 * - Each user sends `requestsPerUser` requests at uniform times over `days` days. Per request the
 *   logging retrieval draws `candidates` unwatched shows without replacement with weights
 *   exp(logit q + 0.5 * standardised log popularity) (Gumbel top-k); the logging ranking fills
 *   `exposedPerRequest` impression slots, each from its top list with probability `exposureBias`
 *   (score logit q + 0.5 log(m / 200) + fixed per-pair noise + Gumbel) and otherwise uniformly
 *   from the rest of the candidate set (exploration). Clicks are Bernoulli(p(u, i)); a clicked show
 *   joins the history and leaves later candidate sets.
 *
 * Stored datasets (`logFromExposures`): an exposure log has no candidate sets, so they are
 * derived: a request is one user's exposures on one day (evaluation.dayLength), an impression is
 * an exposed row, a click its label (finish), DWM its watch time; the candidate set is the
 * request's impressions plus unexposed shows sampled without replacement in proportion to their
 * exposure count + 1 (a popularity-shaped stand-in for the retrieval stage's output), never shows
 * the user already clicked. History = shows the user clicked on earlier requests.
 */
import type { SimulatorParams } from '../../../contract/api';
import type { CascadeDataset, TrainingData } from '../../data/dataset';
import { trainingView } from '../../data/dataset';
import { resolveSimulatorParams } from '../../data/simulator';
import { type Rng, WeightedSampler, createRng, hashUniform } from '../../random';
import { topK } from '../../topk';
import type { ProtocolJobContext } from '../types';
import type { RraSettings } from './settings';

export interface RraLog {
  name: string;
  numUsers: number;
  numItems: number;
  numCategories: number;
  /** [numItems] */
  itemCategory: Int32Array;
  /** Per request (ordered by user, then time): the user and the day. */
  requestUser: Int32Array;
  requestDay: Int32Array;
  /** Compressed rows per request: watch history (oldest first, at most historyLength). */
  historyOffsets: Int32Array;
  historyItems: Int32Array;
  /** Compressed rows per request: the candidate set. */
  candidateOffsets: Int32Array;
  candidateItems: Int32Array;
  /** Compressed rows per request: impressions, their click labels and DWM (0 without a click). */
  impressionOffsets: Int32Array;
  impressionItem: Int32Array;
  impressionClick: Uint8Array;
  impressionDwm: Float32Array;
  /** Requests on this day are the test set. */
  testDay: number;
}

/**
 * Simulated ground truth of the test requests' candidates, never given to training: click
 * probability and expected DWM given a click, aligned with `candidateItems` from
 * `offset[request]` (-1 for requests without truth, i.e. training requests).
 */
export interface RraTruth {
  offset: Int32Array;
  clickProb: Float32Array;
  expectedDwm: Float32Array;
}

export interface RraSplit {
  /** Request ids. */
  train: Int32Array;
  test: Int32Array;
}

/** Growable Int32 / Float32 column. */
class Column<T extends Int32Array | Float32Array | Uint8Array> {
  private data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}

const ints = (): Column<Int32Array> => new Column((n) => new Int32Array(n));
const floats = (): Column<Float32Array> => new Column((n) => new Float32Array(n));
const bytes = (): Column<Uint8Array> => new Column((n) => new Uint8Array(n));

/** Builder shared by the simulated and the stored log. */
class LogBuilder {
  readonly requestUser = ints();
  readonly requestDay = ints();
  readonly historyOffsets = ints();
  readonly historyItems = ints();
  readonly candidateOffsets = ints();
  readonly candidateItems = ints();
  readonly impressionOffsets = ints();
  readonly impressionItem = ints();
  readonly impressionClick = bytes();
  readonly impressionDwm = floats();
  constructor() {
    this.historyOffsets.push(0);
    this.candidateOffsets.push(0);
    this.impressionOffsets.push(0);
  }
  get requests(): number {
    return this.requestUser.length;
  }
  /** Starts a request with the last `historyLength` entries of `history`. */
  beginRequest(user: number, day: number, history: readonly number[], historyLength: number): void {
    this.requestUser.push(user);
    this.requestDay.push(day);
    for (let k = Math.max(0, history.length - historyLength); k < history.length; k++)
      this.historyItems.push(history[k]);
    this.historyOffsets.push(this.historyItems.length);
  }
  endRequest(): void {
    this.candidateOffsets.push(this.candidateItems.length);
    this.impressionOffsets.push(this.impressionItem.length);
  }
  build(
    meta: Pick<RraLog, 'name' | 'numUsers' | 'numItems' | 'numCategories' | 'itemCategory' | 'testDay'>,
  ): RraLog {
    return {
      ...meta,
      requestUser: this.requestUser.finish(),
      requestDay: this.requestDay.finish(),
      historyOffsets: this.historyOffsets.finish(),
      historyItems: this.historyItems.finish(),
      candidateOffsets: this.candidateOffsets.finish(),
      candidateItems: this.candidateItems.finish(),
      impressionOffsets: this.impressionOffsets.finish(),
      impressionItem: this.impressionItem.finish(),
      impressionClick: this.impressionClick.finish(),
      impressionDwm: this.impressionDwm.finish(),
    };
  }
}

/* Constants of the simulated long-video world (fixed; changing them changes the world). */
const SERIES_SHARE = 0.6;
/** Viewing minutes a week can hold for one show (attribution window of DWM, Sec. 4.1). */
const WEEK_CAP_MINUTES = 7 * 180;
const HOOK_STD = 1.0;
const BINGE_STD = 0.5;
const ENGAGEMENT_BIAS = 1.0;
const DWM_NOISE_STD = 0.5;
/** Click logit = logit p(u, i) - CLICK_SHIFT: CTR on impressions near the paper's (45M clicks / 200M). */
const CLICK_SHIFT = 1.5;
const RETRIEVAL_POPULARITY = 0.5;
const RANKING_DWM = 0.5;
const RANKING_DWM_SCALE = 200;
/** Scale of the logging ranking's fixed per-pair error (logistic noise). */
const RANKING_PAIR_NOISE = 0.4;
/** Stream of the simulator seed that drives the impression log (distinct from the simulator's own). */
const RRA_STREAM = 0x52524131;

function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export interface SimulatedRraLog {
  log: RraLog;
  truth: RraTruth;
}

/**
 * Builds the simulated impression log (see the file comment). `dataset` is simulateCascade(sim)
 * (with ground truth); its exposure log supplies pre-log histories and popularity.
 */
export function simulateRraLog(
  dataset: CascadeDataset,
  sim: SimulatorParams,
  settings: RraSettings,
): SimulatedRraLog {
  const gt = dataset.groundTruth;
  if (!gt) throw new Error('dataset: the simulated RRA log needs the simulator ground truth');
  // The first users and shows of the world (both exchangeable in the simulator).
  const numUsers = Math.min(settings.users, dataset.numUsers);
  const numItems = Math.min(settings.shows, dataset.numItems);
  const perRequest = sim.exposedPerRequest;
  const maxWatched = sim.exposuresPerUser + settings.requestsPerUser * perRequest;
  if (settings.candidates > numItems - maxWatched) {
    throw new Error(
      `protocolParams.candidates: ${settings.candidates} candidates need that many unwatched shows; with ` +
        `min(items, protocolParams.shows) = ${numItems}, exposuresPerUser = ${sim.exposuresPerUser} and requestsPerUser * exposedPerRequest = ` +
        `${settings.requestsPerUser * perRequest}, at most ${numItems - maxWatched} are guaranteed`,
    );
  }
  if (perRequest > settings.candidates) {
    throw new Error(
      `dataset.params.exposedPerRequest: ${perRequest} impressions per request exceed the candidate set ` +
        `(protocolParams.candidates = ${settings.candidates})`,
    );
  }
  const rng = createRng(sim.seed).fork(RRA_STREAM);
  const worldRng = rng.fork(1);
  const logRng = rng.fork(2);
  const pairNoiseSeed = rng.fork(3).nextUint32();

  // Shows: length in minutes and hook; users: binge propensity.
  const length = new Float64Array(numItems);
  const hook = new Float64Array(numItems);
  for (let i = 0; i < numItems; i++) {
    if (worldRng.uniform() < SERIES_SHARE) {
      const episodes = worldRng.intIn(4, 24);
      length[i] = episodes * worldRng.uniformIn(22, 60);
    } else {
      length[i] = worldRng.uniformIn(80, 160);
    }
    hook[i] = worldRng.normal(0, HOOK_STD);
  }
  const binge = Float64Array.from({ length: numUsers }, () => worldRng.normal(0, BINGE_STD));

  // Past: finished shows per user (time order) and exposure counts from the simulator's log.
  const cols = dataset.interactions;
  const pastHistory: number[][] = Array.from({ length: numUsers }, () => []);
  const exposureCount = new Float64Array(numItems);
  for (let r = 0; r < cols.user.length; r++) {
    if (cols.item[r] >= numItems) continue;
    exposureCount[cols.item[r]]++;
    if (cols.label[r] === 1 && cols.user[r] < numUsers) pastHistory[cols.user[r]].push(cols.item[r]);
  }
  const logPop = Float64Array.from(exposureCount, (c) => Math.log(c + 1));
  const mean = logPop.reduce((s, x) => s + x, 0) / numItems;
  const std = Math.sqrt(logPop.reduce((s, x) => s + (x - mean) ** 2, 0) / numItems) || 1;
  const popZ = Float64Array.from(logPop, (x) => (x - mean) / std);

  const builder = new LogBuilder();
  const truthOffset = ints();
  const truthClick = floats();
  const truthDwm = floats();
  const testDay = settings.days - 1;

  const pref = new Float64Array(numItems);
  const prefLogit = new Float64Array(numItems);
  const expectedDwm = new Float64Array(numItems);
  const watchedStamp = new Int32Array(numItems).fill(-1);
  const raceKeys = new Float64Array(numItems);
  const scratch = new Int32Array(Math.max(settings.candidates, perRequest));
  const candidateScores = new Float64Array(settings.candidates);
  const taken = new Uint8Array(settings.candidates);

  for (let u = 0; u < numUsers; u++) {
    const history = [...pastHistory[u]];
    for (const i of history) watchedStamp[i] = u;
    for (let i = 0; i < numItems; i++) {
      prefLogit[i] = logit(gt.preference(u, i));
      pref[i] = sigmoid(prefLogit[i] - CLICK_SHIFT);
      const engagement = sigmoid(prefLogit[i] + ENGAGEMENT_BIAS + hook[i] + binge[u]);
      expectedDwm[i] = Math.min(length[i], WEEK_CAP_MINUTES) * engagement;
    }
    const times = Float64Array.from(
      { length: settings.requestsPerUser },
      () => logRng.uniform() * settings.days,
    ).sort();
    for (const time of times) {
      const day = Math.min(settings.days - 1, Math.floor(time));
      builder.beginRequest(u, day, history, settings.historyLength);
      // Logging retrieval: Gumbel top-k = sampling without replacement among unwatched shows.
      for (let i = 0; i < numItems; i++) {
        raceKeys[i] =
          watchedStamp[i] === u ? -Infinity : prefLogit[i] + RETRIEVAL_POPULARITY * popZ[i] + logRng.gumbel();
      }
      const candidates = Int32Array.from(topK(raceKeys, settings.candidates, scratch));
      if (candidates.length < settings.candidates) {
        throw new Error(
          `protocolParams.candidates: user ${u} has only ${candidates.length} unwatched shows left`,
        );
      }
      for (const i of candidates) builder.candidateItems.push(i);
      if (day === testDay) {
        truthOffset.push(truthClick.length);
        for (const i of candidates) {
          truthClick.push(pref[i]);
          truthDwm.push(expectedDwm[i]);
        }
      } else {
        truthOffset.push(-1);
      }
      // Logging ranking: policy slots from its top list, the others uniformly among the rest.
      let policySlots = 0;
      for (let s = 0; s < perRequest; s++) if (logRng.uniform() < sim.exposureBias) policySlots++;
      for (let c = 0; c < candidates.length; c++) {
        const i = candidates[c];
        const h = hashUniform(pairNoiseSeed, u, i);
        candidateScores[c] =
          prefLogit[i] +
          RANKING_DWM * Math.log(expectedDwm[i] / RANKING_DWM_SCALE) +
          RANKING_PAIR_NOISE * Math.log((h + 1e-9) / (1 - h + 1e-9)) +
          logRng.gumbel();
      }
      taken.fill(0);
      const picked: number[] = [];
      for (const c of topK(candidateScores, policySlots, scratch)) {
        taken[c] = 1;
        picked.push(c);
      }
      while (picked.length < perRequest) {
        const c = logRng.int(candidates.length);
        if (taken[c]) continue;
        taken[c] = 1;
        picked.push(c);
      }
      logRng.shuffle(picked);
      for (const c of picked) {
        const i = candidates[c];
        const click = logRng.uniform() < pref[i];
        builder.impressionItem.push(i);
        builder.impressionClick.push(click ? 1 : 0);
        const noise = Math.exp(logRng.normal(-(DWM_NOISE_STD ** 2) / 2, DWM_NOISE_STD));
        builder.impressionDwm.push(click ? Math.max(1, expectedDwm[i] * noise) : 0);
        if (click) {
          watchedStamp[i] = u;
          history.push(i);
        }
      }
      builder.endRequest();
    }
  }
  const log = builder.build({
    name: `Simulated long-video impressions (${numUsers} users, ${numItems} shows, seed ${sim.seed})`,
    numUsers,
    numItems,
    numCategories: dataset.numCategories,
    itemCategory: dataset.itemCategory.slice(0, numItems),
    testDay,
  });
  return {
    log,
    truth: { offset: truthOffset.finish(), clickProb: truthClick.finish(), expectedDwm: truthDwm.finish() },
  };
}

/**
 * Derives an RRA log from a stored exposure log (see the file comment). `rng` seeds the sampled
 * candidates; `dayLength` is the spec's evaluation.dayLength.
 */
export function logFromExposures(
  dataset: TrainingData,
  settings: RraSettings,
  dayLength: number,
  rng: Rng,
): RraLog {
  const cols = dataset.interactions;
  const n = cols.user.length;
  if (n === 0) throw new Error('dataset: the exposure log is empty');
  const { numItems, numUsers } = dataset;
  if (settings.candidates > numItems / 2) {
    throw new Error(
      `protocolParams.candidates: ${settings.candidates} exceeds half of the dataset's ${numItems} shows; ` +
        'sampled candidates would be nearly the whole corpus',
    );
  }
  const rowsOfUser: number[][] = Array.from({ length: numUsers }, () => []);
  for (let r = 0; r < n; r++) rowsOfUser[cols.user[r]].push(r); // rows are in time order
  const exposureWeight = new Float64Array(numItems);
  for (let r = 0; r < n; r++) exposureWeight[cols.item[r]]++;
  for (let i = 0; i < numItems; i++) exposureWeight[i] += 1;
  const sampler = new WeightedSampler(exposureWeight);
  let lastDay = -Infinity;
  for (let r = 0; r < n; r++) lastDay = Math.max(lastDay, Math.floor(cols.time[r] / dayLength));

  const builder = new LogBuilder();
  const clickedStamp = new Int32Array(numItems).fill(-1);
  const inRequest = new Int32Array(numItems).fill(-1);
  for (let u = 0; u < numUsers; u++) {
    const rows = rowsOfUser[u];
    const history: number[] = [];
    let k = 0;
    while (k < rows.length) {
      const day = Math.floor(cols.time[rows[k]] / dayLength);
      let end = k;
      while (end < rows.length && Math.floor(cols.time[rows[end]] / dayLength) === day) end++;
      const requestId = builder.requests;
      builder.beginRequest(u, day, history, settings.historyLength);
      const clicked: number[] = [];
      const candidateStart = builder.candidateItems.length;
      for (let j = k; j < end; j++) {
        const i = cols.item[rows[j]];
        if (inRequest[i] === requestId) continue; // a show exposed twice on a day is one impression
        inRequest[i] = requestId;
        const click = cols.label[rows[j]] === 1;
        builder.impressionItem.push(i);
        builder.impressionClick.push(click ? 1 : 0);
        builder.impressionDwm.push(click ? cols.watchTime[rows[j]] : 0);
        builder.candidateItems.push(i);
        if (click) clicked.push(i);
      }
      let need = settings.candidates - (builder.candidateItems.length - candidateStart);
      let attempts = 0;
      while (need > 0) {
        if (++attempts > 100 * settings.candidates) {
          throw new Error(
            `dataset: could not sample ${settings.candidates} candidates for user ${u} on day ${day}`,
          );
        }
        const i = sampler.sample(rng);
        if (inRequest[i] === requestId || clickedStamp[i] === u) continue;
        inRequest[i] = requestId;
        builder.candidateItems.push(i);
        need--;
      }
      builder.endRequest();
      for (const i of clicked) {
        clickedStamp[i] = u;
        history.push(i);
      }
      k = end;
    }
  }
  return builder.build({
    name: `${dataset.name} (impressions = exposures, requests = user-days)`,
    numUsers,
    numItems,
    numCategories: dataset.numCategories,
    itemCategory: dataset.itemCategory,
    testDay: lastDay,
  });
}

/** Train = requests before the test day, test = requests on it (RRA Sec. 5.1.1). */
export function splitRequests(log: RraLog): RraSplit {
  const train: number[] = [];
  const test: number[] = [];
  for (let r = 0; r < log.requestUser.length; r++) {
    (log.requestDay[r] === log.testDay ? test : train).push(r);
  }
  if (train.length === 0) throw new Error('dataset: no requests before the last day to train on');
  if (test.length === 0) throw new Error('dataset: no requests on the last day to test on');
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

/** Summary numbers for the job's log line. */
export function describeLog(log: RraLog, split: RraSplit): string {
  const impressions = log.impressionItem.length;
  let clicks = 0;
  let dwm = 0;
  for (let k = 0; k < impressions; k++) {
    clicks += log.impressionClick[k];
    dwm += log.impressionDwm[k];
  }
  return (
    `${log.name}: ${log.requestUser.length} requests (${split.train.length} train, ${split.test.length} on the ` +
    `test day), ${impressions} impressions, ${clicks} clicks (CTR ${((clicks / impressions) * 100).toFixed(1)}%), ` +
    `mean DWM per click ${(dwm / Math.max(1, clicks)).toFixed(1)}`
  );
}

/** Seed of the candidates sampled for stored logs (fixed: the same sets for every method and seed). */
const STORED_CANDIDATE_SEED = 0x52524143;

export interface RraData {
  log: RraLog;
  split: RraSplit;
  truth: RraTruth | null;
}

let dataCache: { key: string; data: RraData } | null = null;

/** The job's log, split and (simulated) truth; the last one is kept per worker. */
export function buildRraData(ctx: ProtocolJobContext, settings: RraSettings): RraData {
  const source = ctx.request.dataset;
  const dayLength = ctx.request.spec.evaluation.dayLength ?? 86_400;
  const key = JSON.stringify({ source, settings, dayLength });
  if (dataCache && dataCache.key === key) return dataCache.data;
  let data: RraData;
  if (source.kind === 'simulated') {
    const sim: SimulatorParams = resolveSimulatorParams(source.params);
    const { log, truth } = simulateRraLog(ctx.materializeDataset(), sim, settings);
    data = { log, split: splitRequests(log), truth };
  } else {
    const dataset = trainingView(ctx.materializeDataset());
    const log = logFromExposures(dataset, settings, dayLength, createRng(STORED_CANDIDATE_SEED));
    data = { log, split: splitRequests(log), truth: null };
  }
  dataCache = { key, data };
  return data;
}
