/**
 * RRA's data: an impression log with request-level candidate sets (RRA, KDD 2023, Sec. 3-5.1).
 *
 * One request = one user visiting the unfamiliar collection at one time. It carries
 * - the user's watch history at that time (the behaviour features of Sec. 4.2.1, shows only);
 *   the shows not in it are the request's unfamiliar corpus, which evaluation ranks,
 * - the candidate set: the shows the retrieval model scores for this request (Sec. 3's item set I),
 * - the impressions among the candidates, a click label per impression, and per click the
 *   Discovery-induced Watching Minutes (DWM, Sec. 4.1): minutes watched on the platform in the
 *   week after the first playback started from the unfamiliar collection.
 * The last day's requests are the test set, the others train (Sec. 5.1.1's global time split).
 *
 * Simulated log (`simulateRraLog`), deterministic from the simulator parameters and the protocol
 * settings:
 * - It uses the first `users` users and `shows` shows of the simulator's world (the protocol
 *   settings; the world's users and shows are exchangeable, so these are random subsets). The
 *   simulator's own exposure log is the past: a user's finished shows in it are their watch
 *   history before the impression log, and, being familiar, never appear in their candidate sets
 *   or unfamiliar corpus. Its exposure counts give a popularity signal for the logging retrieval.
 * - Shows are series (60%, 4-24 episodes of 22-60 minutes) or movies (80-160 minutes). Each genre's
 *   shows are cut into franchises of 1-4 shows (sequels, spin-offs); a franchise is show metadata.
 * - Clicks: p(u, i) = sigmoid(logit q(u, i) - 1.5 + 1.5 * sequel(u, i)), q the simulator's true
 *   preference (data/simulator.ts), sequel(u, i) = 1 when the user has watched another show of
 *   i's franchise. The sequel term is a user-show cross feature: a two-tower retrieval model can
 *   only approximate it through its embeddings, the ranking model reads it (model.ts).
 * - DWM (Sec. 4.1) is simulated watching after the first play: the first playback takes
 *   min(length, 45) minutes; on each of the 6 following days the user stays on the show with
 *   probability c(u, i), else drops it for good, and watches min(60 * exp(binge_u), what is left).
 *   c(u, i) = sigmoid(<depth_u, depth_i> + binge_u + 0.3 logit q(u, i) + 1.5 * sequel(u, i)): a
 *   viewing-depth taste (4-d latents drawn apart from the click latents, so clicks do not reveal
 *   it), a user-level binge propensity (std 0.5) and the sequel effect. DWM therefore ranks shows
 *   differently from CTR, per user, and is learnable from logged DWM (expectedDwm is its mean).
 * - Each user sends `requestsPerUser` requests at uniform times over `days` days. Per request the
 *   logging retrieval draws `candidates` unwatched shows without replacement with weights
 *   exp(logit q + 0.5 * standardised log popularity) (Gumbel top-k); the logging ranking, a click
 *   model that knows nothing of later watching, fills `exposedPerRequest` impression slots, each
 *   from its top list with probability `exposureBias` (score logit p + fixed per-pair logistic
 *   noise of scale 0.4 + Gumbel) and otherwise uniformly from the rest of the candidate set
 *   (exploration). Clicks are Bernoulli(p(u, i)); a clicked show joins the history and leaves
 *   later candidate sets and corpora.
 *
 * Stored datasets (`logFromExposures`): an exposure log has no candidate sets, so they are
 * derived: a request is one user's exposures on one day (evaluation.dayLength), an impression is
 * an exposed row, a click its label (finish), DWM its watch time; the candidate set is the
 * request's impressions plus unexposed shows sampled without replacement in proportion to their
 * exposure count + 1 (a popularity-shaped stand-in for the retrieval stage's output), never shows
 * the user already clicked. History = shows the user clicked on earlier requests. A stored log
 * has no franchises (each show is its own, so the sequel cross feature is 0) and its DWM is the
 * logged watch time of the exposure, not a week of later watching.
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
  /**
   * [numItems] franchise of each show (sequels and spin-offs share one); item metadata the ranking
   * model's cross feature reads. Stored logs have none: every show is its own franchise.
   */
  itemFranchise: Int32Array;
  /** Most recent watched shows the models pool into the user representation (l; the settings'). */
  historyLength: number;
  /** Per request (ordered by user, then time): the user and the day. */
  requestUser: Int32Array;
  requestDay: Int32Array;
  /**
   * Compressed rows per request: the whole watch history before the request (oldest first). The
   * models pool its last `historyLength` shows (pooledHistoryStart); the unfamiliar corpus of a
   * request is every show not in it.
   */
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
 * Simulated ground truth of the test requests, never given to training: per show of the corpus,
 * the click probability and the expected DWM given a click, at `offset[request] + show` (-1 for
 * requests without truth, i.e. training requests).
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
  /** Starts a request with the user's watch history so far. */
  beginRequest(user: number, day: number, history: readonly number[]): void {
    this.requestUser.push(user);
    this.requestDay.push(day);
    for (const i of history) this.historyItems.push(i);
    this.historyOffsets.push(this.historyItems.length);
  }
  endRequest(): void {
    this.candidateOffsets.push(this.candidateItems.length);
    this.impressionOffsets.push(this.impressionItem.length);
  }
  build(
    meta: Pick<
      RraLog,
      | 'name'
      | 'numUsers'
      | 'numItems'
      | 'numCategories'
      | 'itemCategory'
      | 'itemFranchise'
      | 'historyLength'
      | 'testDay'
    >,
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
/** Largest franchise (shows of one genre that are sequels or spin-offs of each other); sizes 1..this. */
const MAX_FRANCHISE = 4;
/** Click logit added when the user has watched a show of the target's franchise (the sequel effect). */
const FRANCHISE_CLICK = 1.5;
/** Continuation logit added for the same reason: a sequel of a show one has watched gets binged. */
const FRANCHISE_CONTINUATION = 1.5;
/** Dimension of the viewing-depth taste (who keeps watching what), drawn apart from the click latents. */
const DEPTH_DIM = 4;
/** Weight of the click preference's logit in the continuation logit. */
const CONTINUATION_PREFERENCE = 0.3;
const BINGE_STD = 0.5;
/** Minutes of the first playback (the one the unfamiliar collection started), at most the show's length. */
const FIRST_PLAY_MINUTES = 45;
/** Minutes of a show a user of binge 0 watches on a later day they come back to it. */
const DAILY_MINUTES = 60;
/** DWM's attribution window (Sec. 4.1): the day of the first playback and the 6 following days. */
export const DWM_WINDOW_DAYS = 7;
/** Click logit = logit q(u, i) - CLICK_SHIFT (+ the franchise term): impression CTR near the paper's 22%. */
const CLICK_SHIFT = 1.5;
const RETRIEVAL_POPULARITY = 0.5;
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

/**
 * Expected DWM of a click: the first playback, then on each of the following days of the window
 * the user is still on the show with probability continuation^day (each day they drop it for good
 * with probability 1 - continuation) and then watches min(daily, what is left of the show).
 */
export function expectedDwm(length: number, dailyMinutes: number, continuation: number): number {
  let total = Math.min(length, FIRST_PLAY_MINUTES);
  let left = length - total;
  let still = 1;
  for (let day = 1; day < DWM_WINDOW_DAYS && left > 0; day++) {
    still *= continuation;
    const minutes = Math.min(dailyMinutes, left);
    total += still * minutes;
    left -= minutes;
  }
  return total;
}

/** One draw of the process that expectedDwm averages. */
export function sampleDwm(length: number, dailyMinutes: number, continuation: number, rng: Rng): number {
  let total = Math.min(length, FIRST_PLAY_MINUTES);
  let left = length - total;
  for (let day = 1; day < DWM_WINDOW_DAYS && left > 0; day++) {
    if (rng.uniform() >= continuation) break;
    const minutes = Math.min(dailyMinutes, left);
    total += minutes;
    left -= minutes;
  }
  return total;
}

export interface SimulatedRraLog {
  log: RraLog;
  truth: RraTruth;
}

/** Franchises: each genre's shows in random order, cut into runs of 1..MAX_FRANCHISE. */
function drawFranchises(itemCategory: Int32Array, numItems: number, rng: Rng): Int32Array {
  const byGenre = new Map<number, number[]>();
  for (let i = 0; i < numItems; i++) {
    const list = byGenre.get(itemCategory[i]) ?? [];
    list.push(i);
    byGenre.set(itemCategory[i], list);
  }
  const franchise = new Int32Array(numItems);
  let next = 0;
  for (const genre of [...byGenre.keys()].sort((a, b) => a - b)) {
    const shows = byGenre.get(genre) as number[];
    rng.shuffle(shows);
    let k = 0;
    while (k < shows.length) {
      const size = rng.intIn(1, MAX_FRANCHISE);
      for (const i of shows.slice(k, k + size)) franchise[i] = next;
      next++;
      k += size;
    }
  }
  return franchise;
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
  const itemCategory = dataset.itemCategory.slice(0, numItems);

  // Shows: length in minutes, franchise and depth taste; users: binge propensity and depth taste.
  const length = new Float64Array(numItems);
  for (let i = 0; i < numItems; i++) {
    if (worldRng.uniform() < SERIES_SHARE) {
      const episodes = worldRng.intIn(4, 24);
      length[i] = episodes * worldRng.uniformIn(22, 60);
    } else {
      length[i] = worldRng.uniformIn(80, 160);
    }
  }
  const itemFranchise = drawFranchises(itemCategory, numItems, worldRng.fork(1));
  const numFranchises = itemFranchise.reduce((m, f) => Math.max(m, f + 1), 0);
  // Entries with std DEPTH_DIM^(-1/4) make <depth_u, depth_i> roughly standard normal.
  const depthStd = Math.pow(DEPTH_DIM, -0.25);
  const itemDepth = Float64Array.from({ length: numItems * DEPTH_DIM }, () => worldRng.normal(0, depthStd));
  const userDepth = Float64Array.from({ length: numUsers * DEPTH_DIM }, () => worldRng.normal(0, depthStd));
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

  const prefLogit = new Float64Array(numItems);
  /** Continuation logit without the franchise term, per show (for the current user). */
  const continuationBase = new Float64Array(numItems);
  const clickProb = new Float64Array(numItems);
  const continuation = new Float64Array(numItems);
  const franchiseWatched = new Int32Array(numFranchises);
  const watchedStamp = new Int32Array(numItems).fill(-1);
  const raceKeys = new Float64Array(numItems);
  const scratch = new Int32Array(Math.max(settings.candidates, perRequest));
  const candidateScores = new Float64Array(settings.candidates);
  const taken = new Uint8Array(settings.candidates);

  for (let u = 0; u < numUsers; u++) {
    const history = [...pastHistory[u]];
    franchiseWatched.fill(0);
    for (const i of history) {
      watchedStamp[i] = u;
      franchiseWatched[itemFranchise[i]]++;
    }
    const dailyMinutes = DAILY_MINUTES * Math.exp(binge[u]);
    for (let i = 0; i < numItems; i++) {
      prefLogit[i] = logit(gt.preference(u, i));
      let depth = 0;
      for (let k = 0; k < DEPTH_DIM; k++)
        depth += userDepth[u * DEPTH_DIM + k] * itemDepth[i * DEPTH_DIM + k];
      continuationBase[i] = depth + binge[u] + CONTINUATION_PREFERENCE * prefLogit[i];
    }
    const times = Float64Array.from(
      { length: settings.requestsPerUser },
      () => logRng.uniform() * settings.days,
    ).sort();
    for (const time of times) {
      const day = Math.min(settings.days - 1, Math.floor(time));
      builder.beginRequest(u, day, history);
      // The franchise terms as of this request (the history grows with every click).
      for (let i = 0; i < numItems; i++) {
        const sequel = franchiseWatched[itemFranchise[i]] > 0 ? 1 : 0;
        clickProb[i] = sigmoid(prefLogit[i] - CLICK_SHIFT + FRANCHISE_CLICK * sequel);
        continuation[i] = sigmoid(continuationBase[i] + FRANCHISE_CONTINUATION * sequel);
      }
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
        for (let i = 0; i < numItems; i++) {
          truthClick.push(clickProb[i]);
          truthDwm.push(expectedDwm(length[i], dailyMinutes, continuation[i]));
        }
      } else {
        truthOffset.push(-1);
      }
      // Logging ranking (a click model, blind to later watching): policy slots from its top list,
      // the others uniformly among the rest.
      let policySlots = 0;
      for (let s = 0; s < perRequest; s++) if (logRng.uniform() < sim.exposureBias) policySlots++;
      for (let c = 0; c < candidates.length; c++) {
        const i = candidates[c];
        const h = hashUniform(pairNoiseSeed, u, i);
        candidateScores[c] =
          logit(clickProb[i]) + RANKING_PAIR_NOISE * Math.log((h + 1e-9) / (1 - h + 1e-9)) + logRng.gumbel();
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
        const click = logRng.uniform() < clickProb[i];
        builder.impressionItem.push(i);
        builder.impressionClick.push(click ? 1 : 0);
        builder.impressionDwm.push(click ? sampleDwm(length[i], dailyMinutes, continuation[i], logRng) : 0);
        if (click) {
          watchedStamp[i] = u;
          franchiseWatched[itemFranchise[i]]++;
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
    itemCategory,
    itemFranchise,
    historyLength: settings.historyLength,
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
      builder.beginRequest(u, day, history);
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
    itemFranchise: Int32Array.from({ length: numItems }, (_, i) => i),
    historyLength: settings.historyLength,
    testDay: lastDay,
  });
}

/** First position of request r's history that the models pool (its last log.historyLength shows). */
export function pooledHistoryStart(log: RraLog, request: number): number {
  return Math.max(log.historyOffsets[request], log.historyOffsets[request + 1] - log.historyLength);
}

/** Request r's unfamiliar corpus: every show not in its watch history, ascending. */
export function unfamiliarShows(log: RraLog, request: number): Int32Array {
  const watched = new Uint8Array(log.numItems);
  for (let k = log.historyOffsets[request]; k < log.historyOffsets[request + 1]; k++)
    watched[log.historyItems[k]] = 1;
  const out: number[] = [];
  for (let i = 0; i < log.numItems; i++) if (!watched[i]) out.push(i);
  return Int32Array.from(out);
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
