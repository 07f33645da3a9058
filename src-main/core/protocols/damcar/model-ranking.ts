/**
 * The ranking stage's model of the cascade testbed (DAMCAR section 5.1.2): DeepFM or DCN trained on
 * the exposed training data, or reused. It never depends on the method, so a worker keeps the one
 * it trained for a (dataset, seed, model, training settings, backend) and every method of the seed
 * is re-ranked by the same model; across workers and runs it is shared through the disk cache
 * (node/ranking-cache.ts) when the job names a cache folder.
 */
import type { JobEvent, JobRequest } from '../../experiments/job';
import type { TrainingData } from '../../data/dataset';
import type { DataSplit } from '../../data/split';
import {
  type RankingClaim,
  claimRankingTraining,
  readCachedRanking,
  writeCachedRanking,
} from '../../node/ranking-cache';
import { throwIfCancelled } from '../../methods/loop';
import {
  type RankingKind,
  type TrainedRankingModel,
  rankingItemFields,
  rankingNetworkOptions,
  restoreRankingModel,
  trainRankingModel,
} from '../../models/ranking-model';
import { type Rng, createRng } from '../../random';
import { rankingNetworkReading } from './settings';

/** How often a job waiting for another's ranking model looks for its file. */
const CLAIM_POLL_MS = 500;

/** Stream of the run's seed that initialises and shuffles the ranking model (not the method's). */
const RANKING_RNG_STREAM = 0x52414e4b;

type CurveEvent = Extract<JobEvent, { type: 'curve' }>;

/** A trained ranking model shared by the jobs of one (dataset, seed, model, training) in a worker. */
export interface CachedRanking {
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

export function releaseRanking(entry: CachedRanking): void {
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

/** Everything the ranking model's training reads, as the key of the worker's and the disk's caches. */
export function rankingCacheKey(
  kind: RankingKind,
  request: JobRequest,
  data: TrainingData,
  backend: string,
): string {
  const { split: splitKind, dayLength } = request.spec.evaluation;
  // The testbed's ranking network reading (spec level: every row of a seed shares the model).
  const reading = rankingNetworkReading({ ...request.spec.protocolParams });
  return JSON.stringify({
    dataset: request.dataset,
    split: splitKind ?? 'user-time',
    dayLength: splitKind === 'global-time' ? (dayLength ?? 86_400) : null,
    seed: request.seed,
    kind,
    // The categorical item inputs (the dataset's item fields where it has them); rankingItemFields.
    fields: rankingItemFields(data).map((f) => f.name),
    ...(reading === 'ours' ? {} : { reading }),
    training: request.spec.training,
    backend,
  });
}

/** Everything the ranking model's training of a job reads. */
export interface RankingJob {
  kind: RankingKind;
  request: JobRequest;
  data: TrainingData;
  split: DataSplit;
  backend: string;
  emit: (event: JobEvent) => void;
  signal: AbortSignal;
}

/**
 * The ranking model for the job: the cached one when this worker trained it for the same dataset,
 * seed, model, training settings and backend, else a freshly trained one (then cached). It never
 * depends on the method, so every method of a seed is re-ranked by the same model. The caller
 * releases the returned entry.
 */
export async function acquireRankingModel(job: RankingJob): Promise<CachedRanking> {
  const { kind, request, data, backend, emit, signal } = job;
  const key = rankingCacheKey(kind, request, data, backend);
  const log = (message: string) => emit({ type: 'log', level: 'info', message });
  /** The model this worker trained for the key, if it still holds it. */
  const reuseInWorker = (): CachedRanking | null => {
    if (!rankingCache || rankingCache.key !== key) return null;
    const entry = rankingCache;
    entry.users++;
    for (const curve of entry.curves) emit(curve);
    log(
      `Reusing the ${entry.model.name} ranking model trained for seed ${entry.seed} in this worker ` +
        `(validation AUC ${entry.model.validAuc.toFixed(4)}).`,
    );
    return entry;
  };
  /** The model of the key from the disk cache, if a job stored it. */
  const loadFromCache = (): CachedRanking | null => {
    const stored = request.cacheDir ? readCachedRanking(request.cacheDir, key) : null;
    if (!stored || stored.kind !== kind) return null;
    const options = modelOptions(request);
    const model = restoreRankingModel(
      kind,
      data,
      request.spec.training,
      rankingRng(request),
      stored.weights,
      stored.validAuc,
      options,
    );
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
  };

  // Another job training the same model (they start together on an experiment's job slots, or a
  // helper started it on a spare core): wait for its file rather than train it too.
  let claim: RankingClaim | null = null;
  for (let waiting = false; ; waiting = true) {
    const found = reuseInWorker() ?? loadFromCache();
    if (found) return found;
    if (!request.cacheDir) break;
    const claimed = tryClaim(job, request.cacheDir, key);
    if (claimed === 'unavailable') break;
    claim = claimed;
    if (claim) {
      // Its trainer may have stored it between our read and our claim.
      const late = loadFromCache();
      if (!late) break;
      claim.release();
      return late;
    }
    if (!waiting)
      log(
        'Waiting for the ranking model that another run, or a helper on a spare core, is training on the same data and settings.',
      );
    throwIfCancelled(signal);
    await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
  }
  const { model, curves } = await trainAndStore(job, key, claim);
  const entry: CachedRanking = { key, model, curves, seed: request.seed, users: 1, replaced: false };
  cacheRanking(entry);
  return entry;
}

/**
 * A helper's part (JobRequest.prefetch): trains the job's ranking model into the cache folder
 * unless it is there already or another job is training it, and keeps nothing. What it did, for
 * its log.
 */
export async function prefetchRankingModel(
  job: RankingJob,
): Promise<'trained' | 'cached' | 'claimed' | 'unclaimable'> {
  const { kind, request, data, backend } = job;
  const { cacheDir } = request;
  if (!cacheDir) throw new Error("prefetching the ranking model needs the request's cache folder");
  const key = rankingCacheKey(kind, request, data, backend);
  const stored = (): boolean => readCachedRanking(cacheDir, key)?.kind === kind;
  if (stored()) return 'cached';
  const claim = tryClaim(job, cacheDir, key);
  if (claim === 'unavailable') return 'unclaimable';
  if (claim === null) return 'claimed';
  if (stored()) {
    claim.release();
    return 'cached';
  }
  const { model } = await trainAndStore(job, key, claim);
  model.dispose();
  return 'trained';
}

function modelOptions(request: JobRequest) {
  return { model: rankingNetworkOptions(rankingNetworkReading({ ...request.spec.protocolParams })) };
}

function rankingRng(request: JobRequest): Rng {
  return createRng(request.seed).fork(RANKING_RNG_STREAM);
}

/**
 * The claim of the key's training, null while another job holds it, 'unavailable' when the folder
 * takes no claim (logged as a warning).
 */
function tryClaim(job: RankingJob, cacheDir: string, key: string): RankingClaim | null | 'unavailable' {
  try {
    return claimRankingTraining(cacheDir, key);
  } catch (error) {
    job.emit({
      type: 'log',
      level: 'warn',
      message: `Could not claim the ranking model's training in ${cacheDir}: ${(error as Error).message}`,
    });
    return 'unavailable';
  }
}

/** Trains the job's ranking model, stores it in the cache folder if any, and gives up the claim. */
async function trainAndStore(
  job: RankingJob,
  key: string,
  claim: RankingClaim | null,
): Promise<{ model: TrainedRankingModel; curves: CurveEvent[] }> {
  const { kind, request, data, split, emit, signal } = job;
  try {
    emit({
      type: 'log',
      level: 'info',
      message:
        `Training the ranking model on ${split.train.length} exposed training interactions ` +
        `(seed ${request.seed}); every method of this seed shares it.`,
    });
    const curves: CurveEvent[] = [];
    const model = await trainRankingModel(
      kind,
      data,
      split,
      request.spec.training,
      rankingRng(request),
      (event) => {
        claim?.beat();
        if (event.type === 'curve') curves.push(event);
        emit(event);
      },
      signal,
      modelOptions(request),
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
        emit({
          type: 'log',
          level: 'warn',
          message: `Could not cache the ranking model in ${request.cacheDir}: ${(error as Error).message}`,
        });
      }
    }
    return { model, curves };
  } finally {
    claim?.release();
  }
}
