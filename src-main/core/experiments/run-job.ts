/**
 * Runs one job — one (method, seed) of an experiment — through DAMCAR's two-stage cascade testbed
 * (section 5.1.2): backend -> data (materialise, stats, 6:2:2 split) -> ranking (train DeepFM or
 * DCN on the exposed training data, or reuse the one this worker trained for the seed) -> train
 * (the method, which may read the ranking model's scores) -> evaluate (retrieval R/P/F@K1 over the
 * corpus; the ranking model re-ranks each user's top K1 and keeps K2 = K1 / 10 for N/M/H@K2; ground
 * truth on simulated data). Every phase reports through `emit`; the same request and seed give the
 * same metrics.
 *
 * Ranking-stage ground truth (simulated data), GT-H@K2: the share of the final K2 list that the user
 * finishes or would finish among items not consumed before the test period, i.e. hits against the
 * union of the user's test positives and unexposed ground-truth positives (in the searched corpus),
 * divided by K2 and averaged over users with at least one such positive. It is H@K2 with the
 * exposure-biased test labels completed by the simulator's truth.
 */
import type { RankingModelName } from '../../contract/api';
import type { CascadeDataset, TrainingData, UserItemLists } from '../data/dataset';
import { datasetStats, groupItemsByUser, trainingView } from '../data/dataset';
import { readProcessedSync } from '../data/importers/processed';
import { toCascadeDataset } from '../data/importers/to-cascade';
import { simulateCascade } from '../data/simulator';
import type { DataSplit } from '../data/split';
import { splitByGlobalTime, splitByUserTime } from '../data/split';
import { throwIfCancelled } from '../methods/loop';
import { getMethod } from '../protocols/damcar/methods';
import type { MethodContext, RankingScorer } from '../protocols/damcar/methods';
import { rankingCutoff } from '../metrics/columns';
import { rankingMetrics } from '../metrics/ranking';
import { type RetrievedLists, evaluateRetrievalAsync } from '../metrics/retrieval';
import { readCachedRanking, writeCachedRanking } from '../models/ranking-cache';
import {
  type RankingKind,
  type TrainedRankingModel,
  rankingItemFields,
  rankingNetworkOptions,
  restoreRankingModel,
  trainRankingModel,
} from '../models/ranking-model';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import type { JobDataset, JobEvent, JobRequest, JobResult } from './job';
import { rankingNetworkReading, retrievalArchitecture } from '../protocols/damcar/settings';
import { findMethodDescriptor, getProtocolModule } from '../protocols/registry';
import { protocolOf, rankingModelOf, resolveParamValues, resolveProtocolParams } from './spec';

/** Shares of the overall progress fraction per phase (ranking only when a model is trained). */
const DATA_SHARE = 0.05;
const RANKING_SHARE = 0.25;
const EVAL_SHARE = 0.05;

/** Stream of the run's seed that initialises and shuffles the ranking model (not the method's). */
const RANKING_RNG_STREAM = 0x52414e4b;

let cached: { key: string; dataset: CascadeDataset } | null = null;

/**
 * Builds the job's dataset: simulated data is regenerated from its parameters (deterministic),
 * stored data is read from its processed columns (data/importers/processed.ts). The last one is
 * kept, so a worker running several seeds of one experiment builds it once.
 */
export function materializeDataset(source: JobDataset): CascadeDataset {
  const key = source.kind === 'stored' ? `stored:${source.path}` : JSON.stringify(source.params);
  if (cached && cached.key === key) return cached.dataset;
  const dataset =
    source.kind === 'stored'
      ? toCascadeDataset(readProcessedSync(source.path))
      : simulateCascade(source.params);
  cached = { key, dataset };
  return dataset;
}

type CurveEvent = Extract<JobEvent, { type: 'curve' }>;

/** A trained ranking model shared by the jobs of one (dataset, seed, model, training) in a worker. */
interface CachedRanking {
  key: string;
  model: TrainedRankingModel;
  /** Its training curves, replayed into every run that reuses it. */
  curves: CurveEvent[];
  seed: number;
  /** Jobs using it now; a replaced model is disposed once none is. */
  users: number;
  replaced: boolean;
}

let rankingCache: CachedRanking | null = null;

function releaseRanking(entry: CachedRanking): void {
  entry.users--;
  if (entry.replaced && entry.users === 0) entry.model.dispose();
}

function cacheRanking(entry: CachedRanking): void {
  const previous = rankingCache;
  rankingCache = entry;
  if (previous && previous !== entry) {
    previous.replaced = true;
    if (previous.users === 0) previous.model.dispose();
  }
}

/** Disposes the worker's cached ranking model (once no job uses it). */
export function clearRankingCache(): void {
  const previous = rankingCache;
  rankingCache = null;
  if (previous) {
    previous.replaced = true;
    if (previous.users === 0) previous.model.dispose();
  }
}

/**
 * The ranking model for the job: the cached one when this worker trained it for the same dataset,
 * seed, model, training settings and backend, else a freshly trained one (then cached). It never
 * depends on the method, so every method of a seed is re-ranked by the same model. The caller
 * releases the returned entry.
 */
async function acquireRankingModel(
  kind: RankingKind,
  request: JobRequest,
  data: TrainingData,
  split: DataSplit,
  backend: string,
  emit: (event: JobEvent) => void,
  signal: AbortSignal,
): Promise<CachedRanking> {
  const training = request.spec.training;
  const { split: splitKind, dayLength } = request.spec.evaluation;
  // The testbed's ranking network reading (spec level: every row of a seed shares the model).
  const reading = rankingNetworkReading(resolveProtocolParams(request.spec));
  const options = { model: rankingNetworkOptions(reading) };
  const key = JSON.stringify({
    dataset: request.dataset,
    split: splitKind ?? 'user-time',
    dayLength: splitKind === 'global-time' ? (dayLength ?? 86_400) : null,
    seed: request.seed,
    kind,
    // The categorical item inputs (the dataset's item fields where it has them); rankingItemFields.
    fields: rankingItemFields(data).map((f) => f.name),
    ...(reading === 'ours' ? {} : { reading }),
    training,
    backend,
  });
  const log = (message: string, level: 'info' | 'warn' = 'info') => emit({ type: 'log', level, message });
  const rng = () => createRng(request.seed).fork(RANKING_RNG_STREAM);
  if (rankingCache && rankingCache.key === key) {
    const entry = rankingCache;
    entry.users++;
    for (const curve of entry.curves) emit(curve);
    log(
      `Reusing the ${entry.model.name} ranking model trained for seed ${entry.seed} in this worker ` +
        `(validation AUC ${entry.model.validAuc.toFixed(4)}).`,
    );
    return entry;
  }
  const stored = request.cacheDir ? readCachedRanking(request.cacheDir, key) : null;
  if (stored && stored.kind === kind) {
    const model = restoreRankingModel(kind, data, training, rng(), stored.weights, stored.validAuc, options);
    for (const curve of stored.curves) emit(curve);
    log(
      `Loaded the ${model.name} ranking model trained earlier for seed ${request.seed} on the same data ` +
        `and settings from the cache (validation AUC ${model.validAuc.toFixed(4)}).`,
    );
    const entry: CachedRanking = {
      key,
      model,
      curves: stored.curves,
      seed: request.seed,
      users: 1,
      replaced: false,
    };
    cacheRanking(entry);
    return entry;
  }
  log(
    `Training the ranking model on ${split.train.length} exposed training interactions ` +
      `(seed ${request.seed}); every method of this seed shares it.`,
  );
  const curves: CurveEvent[] = [];
  const model = await trainRankingModel(
    kind,
    data,
    split,
    training,
    rng(),
    (event) => {
      if (event.type === 'curve') curves.push(event);
      emit(event);
    },
    signal,
    options,
  );
  if (request.cacheDir) {
    try {
      writeCachedRanking(request.cacheDir, key, {
        kind,
        validAuc: model.validAuc,
        curves,
        weights: await model.exportWeights(),
      });
    } catch (error) {
      log(`Could not cache the ranking model in ${request.cacheDir}: ${(error as Error).message}`, 'warn');
    }
  }
  const entry: CachedRanking = { key, model, curves, seed: request.seed, users: 1, replaced: false };
  cacheRanking(entry);
  return entry;
}

/** Distinct items of the rows, ascending. */
function distinctItems(dataset: CascadeDataset, rows: Int32Array): Int32Array {
  const seen = new Uint8Array(dataset.numItems);
  for (const r of rows) seen[dataset.interactions.item[r]] = 1;
  const out: number[] = [];
  for (let i = 0; i < seen.length; i++) if (seen[i]) out.push(i);
  return Int32Array.from(out);
}

export interface RankingStageInput {
  /** The retrieval stage's top lists (evaluateRetrievalAsync with keepTopLists). */
  lists: RetrievedLists;
  /** Retrieval cut-offs K1; each with an integer K2 = K1 / 10 gets N/M/H@K2. */
  ks: number[];
  scorer: RankingScorer;
  /** Test-split positives per user (the relevance of N/M/H@K2). */
  testPositives: UserItemLists;
  /** Unexposed ground-truth positives of a user inside the searched corpus (for GT-H@K2). */
  groundTruthPositives?: (user: number) => Int32Array;
}

/**
 * The cascade's ranking stage: the scorer scores every retrieved candidate once (the top K1 of a
 * smaller K1 is a prefix of the largest list), and for each K1 the K2 = K1 / 10 best candidates
 * per user are judged by rankingMetrics (N@K2, M@K2, H@K2 as the authors' code computes them,
 * NDCG@K2 standard), averaged over users with a test positive; with ground truth, GT-H@K2 (see
 * the file comment). A K1 that is not a multiple of 10 gets no ranking metrics.
 */
export async function evaluateRankingStage(input: RankingStageInput): Promise<Record<string, number>> {
  const { lists, scorer, testPositives } = input;
  const k = lists.k;
  const rows = lists.users.length;
  const metrics: Record<string, number> = {};
  if (rows === 0) return metrics;

  // Score every non-empty slot in one batched call.
  let filled = 0;
  for (const item of lists.items) if (item >= 0) filled++;
  const pairUsers = new Int32Array(filled);
  const pairItems = new Int32Array(filled);
  let p = 0;
  for (let row = 0; row < rows; row++) {
    for (let slot = 0; slot < k; slot++) {
      const item = lists.items[row * k + slot];
      if (item < 0) continue;
      pairUsers[p] = lists.users[row];
      pairItems[p++] = item;
    }
  }
  const pairScores = await scorer.score(pairUsers, pairItems);
  const scores = new Float32Array(rows * k);
  p = 0;
  for (let s = 0; s < scores.length; s++) if (lists.items[s] >= 0) scores[s] = pairScores[p++];

  // Relevance per row: test positives, and test plus ground-truth positives.
  const testOffsets = new Int32Array(rows + 1);
  const testItems: number[] = [];
  const truthOffsets = new Int32Array(rows + 1);
  const truthItems: number[] = [];
  for (let row = 0; row < rows; row++) {
    const u = lists.users[row];
    const positives = testPositives.items.subarray(testPositives.offsets[u], testPositives.offsets[u + 1]);
    testItems.push(...positives);
    testOffsets[row + 1] = testItems.length;
    if (input.groundTruthPositives) {
      truthItems.push(...positives, ...input.groundTruthPositives(u));
      truthOffsets[row + 1] = truthItems.length;
    }
  }
  const testPositiveItems = Int32Array.from(testItems);
  const truthPositiveItems = Int32Array.from(truthItems);

  for (const k1 of input.ks) {
    const k2 = rankingCutoff(k1);
    if (k2 === null) continue;
    // Prefixes of length K1 (slots beyond the list stay empty when K1 > k, which cannot happen
    // for lists kept at the largest K1).
    const width = Math.min(k1, k);
    const candidates = new Int32Array(rows * k1).fill(-1);
    const candidateScores = new Float32Array(rows * k1);
    for (let row = 0; row < rows; row++) {
      candidates.set(lists.items.subarray(row * k, row * k + width), row * k1);
      candidateScores.set(scores.subarray(row * k, row * k + width), row * k1);
    }
    if (testOffsets[rows] > 0) {
      const result = rankingMetrics({
        k1,
        k2,
        candidates,
        scores: candidateScores,
        positiveOffsets: testOffsets,
        positiveItems: testPositiveItems,
      });
      Object.assign(metrics, result.metrics);
    } else {
      for (const name of ['N', 'M', 'H', 'NDCG']) metrics[`${name}@${k2}`] = 0;
    }
    if (input.groundTruthPositives) {
      metrics[`GT-H@${k2}`] =
        truthOffsets[rows] > 0
          ? rankingMetrics({
              k1,
              k2,
              candidates,
              scores: candidateScores,
              positiveOffsets: truthOffsets,
              positiveItems: truthPositiveItems,
            }).metrics[`H@${k2}`]
          : 0;
    }
  }
  return metrics;
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ');
}

export async function runJob(
  request: JobRequest,
  emit: (e: JobEvent) => void,
  signal: AbortSignal,
): Promise<JobResult> {
  const timings: Record<string, number> = {};
  const log = (message: string, level: 'info' | 'warn' = 'info') => emit({ type: 'log', level, message });
  const progress = (phase: 'data' | 'ranking' | 'train' | 'eval' | 'done', fraction: number) =>
    emit({
      type: 'progress',
      phase,
      epoch: 0,
      epochs: request.spec.training.epochs,
      step: 0,
      stepsPerEpoch: 0,
      loss: null,
      samplesPerSecond: null,
      fraction,
    });
  const timed = async <T>(phase: string, work: () => T | Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    const ms = Math.round(performance.now() - start);
    timings[phase] = ms;
    emit({ type: 'timing', phase, ms });
    return result;
  };

  throwIfCancelled(signal);
  const protocol = protocolOf(request.spec);
  const descriptor = findMethodDescriptor(request.method.id);
  if (!descriptor) throw new Error(`Unknown method "${request.method.id}".`);
  if (descriptor.protocol !== protocol) {
    throw new Error(`${descriptor.name} runs in the "${descriptor.protocol}" protocol, not "${protocol}".`);
  }
  const params = resolveParamValues(
    descriptor.params,
    request.method.params,
    'method.params',
    descriptor.name,
  );
  const rankingModel: RankingModelName = rankingModelOf(request.spec);
  const rankingShare = rankingModel === 'none' || protocol !== 'damcar' ? 0 : RANKING_SHARE;
  const trainShare = 1 - DATA_SHARE - rankingShare - EVAL_SHARE;

  const backend = await initBackend(request.backend);
  emit({ type: 'backend', backend: backend.backend, device: backend.device, notes: backend.notes });
  for (const note of backend.notes) log(note);
  log(`Backend ${backend.backend} (${backend.device}).`);

  const protocolModule = getProtocolModule(protocol);
  if (protocolModule) {
    const shareOf: Record<string, [number, number]> = {
      data: [0, DATA_SHARE],
      train: [DATA_SHARE, trainShare],
      eval: [1 - EVAL_SHARE, EVAL_SHARE],
      done: [1, 0],
    };
    log(
      `Running ${request.method.label} (seed ${request.seed}) in the ${protocolModule.descriptor.name} testbed.`,
    );
    progress('data', 0);
    const metrics = await protocolModule.runJob({
      request,
      params,
      protocolParams: resolveProtocolParams(request.spec, {
        overrides: request.method.protocolParams,
        path: 'method.protocolParams',
      }),
      rng: createRng(request.seed),
      backend: backend.backend,
      signal,
      timed,
      materializeDataset: () => materializeDataset(request.dataset),
      emit: (event) => {
        if (event.type !== 'progress') return emit(event);
        const [start, share] = shareOf[event.phase] ?? [0, 1];
        emit({ ...event, fraction: start + share * Math.min(1, Math.max(0, event.fraction)) });
      },
    });
    for (const [key, value] of Object.entries(metrics)) {
      if (!Number.isFinite(value)) throw new Error(`${descriptor.name}: metric ${key} is ${value}.`);
    }
    log(`${request.method.label}: ${formatMetrics(metrics)}`);
    progress('done', 1);
    return { metrics, timings, backend: backend.backend, device: backend.device };
  }
  const method = getMethod(request.method.id);
  if (!method) throw new Error(`Method "${request.method.id}" has no cascade training module.`);

  // Data.
  progress('data', 0);
  const { dataset, split } = await timed('data', () => {
    const ds = materializeDataset(request.dataset);
    const evaluation = request.spec.evaluation;
    const split =
      evaluation.split === 'global-time'
        ? splitByGlobalTime(trainingView(ds), { dayLength: evaluation.dayLength ?? 86_400 })
        : splitByUserTime(trainingView(ds));
    return { dataset: ds, split };
  });
  const stats = datasetStats(dataset);
  emit({
    type: 'dataset',
    name: dataset.name,
    users: stats.users,
    items: stats.items,
    interactions: stats.interactions,
    positives: stats.positives,
    hasGroundTruth: stats.hasGroundTruth,
  });
  log(
    `${dataset.name}: ${stats.interactions} interactions (${(stats.positiveRate * 100).toFixed(1)}% finished); ` +
      `split ${split.train.length}/${split.valid.length}/${split.test.length} (train/valid/test).`,
  );
  progress('data', DATA_SHARE);
  throwIfCancelled(signal);

  // Ranking model: its own 'ranking' phase, so 'train' always means the method's training.
  let ranking: CachedRanking | null = null;
  if (rankingModel !== 'none') {
    ranking = await timed('ranking', () =>
      acquireRankingModel(
        rankingModel,
        request,
        trainingView(dataset),
        split,
        backend.backend,
        (event) => {
          if (event.type === 'progress') {
            emit({ ...event, phase: 'ranking', fraction: DATA_SHARE + rankingShare * event.fraction });
          } else {
            emit(event);
          }
        },
        signal,
      ),
    );
    progress('ranking', DATA_SHARE + rankingShare);
  }

  try {
    throwIfCancelled(signal);
    // Training. The method sees the ranking model as a scorer only: the cache owns (and disposes) it.
    const rankingModelOfRun = ranking?.model;
    const scorer: RankingScorer | null = rankingModelOfRun
      ? { name: rankingModelOfRun.name, score: (users, items) => rankingModelOfRun.score(users, items) }
      : null;
    const ctx: MethodContext = {
      dataset: trainingView(dataset),
      split,
      training: request.spec.training,
      retrieval: retrievalArchitecture(
        resolveProtocolParams(request.spec, {
          overrides: request.method.protocolParams,
          path: 'method.protocolParams',
        }),
      ),
      params,
      rng: createRng(request.seed),
      signal,
      ranking: scorer,
      emit: (event) => {
        if (event.type === 'progress' && event.phase === 'train') {
          emit({ ...event, fraction: DATA_SHARE + rankingShare + trainShare * event.fraction });
        } else {
          emit(event);
        }
      },
    };
    log(`Training ${request.method.label} (seed ${request.seed}).`);
    const trained = await timed('train', () => method.train(ctx));
    throwIfCancelled(signal);

    // Evaluation.
    progress('eval', 1 - EVAL_SHARE);
    const evaluation = request.spec.evaluation;
    const groundTruth = dataset.groundTruth;
    const corpus = evaluation.corpus === 'test' ? distinctItems(dataset, split.test) : null;
    const testPositives = groupItemsByUser(dataset, split.test, { onlyPositive: true, unique: true });
    const inCorpus = new Uint8Array(dataset.numItems);
    if (corpus) for (const i of corpus) inCorpus[i] = 1;
    else inCorpus.fill(1);
    const groundTruthPositives = groundTruth
      ? (u: number) => groundTruth.unexposedPositives(u).filter((i) => inCorpus[i] === 1)
      : undefined;
    // Asynchronous reads: the WebGPU backend cannot read GPU memory synchronously in Node.
    const { result, rankingResult } = await timed('eval', async () => {
      const retrieval = await evaluateRetrievalAsync({
        userVectors: trained.userVectors,
        itemVectors: trained.itemVectors,
        dim: trained.dim,
        numUsers: dataset.numUsers,
        numItems: dataset.numItems,
        testPositives,
        corpus,
        ks: evaluation.retrievalK,
        keepTopLists: ranking !== null,
        ...(groundTruthPositives ? { groundTruthPositives } : {}),
      });
      const rankingMetricsOfRun =
        ranking && retrieval.topLists
          ? await evaluateRankingStage({
              lists: retrieval.topLists,
              ks: evaluation.retrievalK,
              scorer: ranking.model,
              testPositives,
              ...(groundTruthPositives ? { groundTruthPositives } : {}),
            })
          : null;
      return { result: retrieval, rankingResult: rankingMetricsOfRun };
    });
    log(
      `Evaluated ${result.evaluatedUsers} test users over ${evaluation.corpus === 'all' ? 'all items' : 'test-split items'}` +
        (groundTruth ? `, ${result.groundTruthUsers} with ground truth` : '') +
        ': ' +
        formatMetrics(result.metrics),
    );
    if (ranking && rankingResult) {
      const skipped = evaluation.retrievalK.filter((k) => rankingCutoff(k) === null);
      if (skipped.length > 0)
        log(`No ranking metrics for K = ${skipped.join(', ')}: K2 = K / 10 needs a multiple of 10.`, 'warn');
      log(`${ranking.model.name} re-ranked each user's top K (K2 = K / 10): ${formatMetrics(rankingResult)}`);
    }
    progress('done', 1);
    return {
      metrics: { ...result.metrics, ...rankingResult },
      timings,
      backend: backend.backend,
      device: backend.device,
    };
  } finally {
    if (ranking) releaseRanking(ranking);
  }
}
