/**
 * One job of RRA's testbed (KDD 2023, retrieval and ranking alignment).
 *
 * Job: data (impression log with request-level candidate sets, data.ts; last day = test) ->
 * production ranking model (trained once per dataset and seed in a worker, cached as scores:
 * it fixes the ranking order NKTD compares with, and is the pre-trained teacher of offline
 * distillation) -> the method's training (model-trainer.ts, plan from methods.ts) -> evaluation on the
 * test day (metrics.ts): Recall@K, WRecall@K and NKTD@N as the paper defines them, plus
 * ground-truth recall on simulated data.
 *
 * The paper's NKTD compares retrieval with "the ranking model"; at serving time RRA runs only the
 * retrieval part (Figure 2) and the online ranking is the production model, so every method is
 * compared with the same, separately trained production ranking model (own embeddings and
 * bottom, ProdModel-like MMoE + product features whatever the retrieval architecture, Eq. 1-2 on
 * the training impressions), ordering by rankingWCtr * s_ctr + (1 - rankingWCtr) * s_dwm.
 */
import { runEpochs, throwIfCancelled } from '../../methods/loop';
import { createRng } from '../../random';
import type { ProtocolJobContext } from '../types';
import { type RraData, type RraLog, buildRraData, describeLog, unfamiliarShows } from './data';
import { fuseUserEmbeddings } from './losses';
import { RRA_METHODS, planOf } from './methods';
import { addRecall, expectedRecall, metricKeys, newRecallAccumulator, nktd, recallOf } from './metrics';
import { impressionLogQ } from './negatives';
import { type RraSettings, resolveRraSettings } from './settings';
import {
  LOSS_CURVE_NAMES,
  LOSS_TERMS,
  type LossTerm,
  RraTrainer,
  type TrainingPlan,
  dwmScale,
} from './model-trainer';

/** Streams of the job seed: the production ranking model, the method's model, its shuffling and sampling. */
const PRODUCTION_STREAM = 0x50524f44;
const MODEL_STREAM = 1;
const SHUFFLE_STREAM = 2;
const SAMPLING_STREAM = 3;
/** Share of the training progress given to the production ranking model when it is trained. */
const PRODUCTION_PROGRESS_SHARE = 0.3;

/** What the production ranking model leaves behind (plain arrays: no tensors outlive a job). */
interface ProductionRanking {
  /** Per test request (index = position in split.test): its unfamiliar corpus (unfamiliarShows). */
  testShows: Int32Array[];
  /** Fused ranking score per test request, aligned with testShows. */
  testScores: Float32Array[];
  /** sigmoid(s_ctr), sigmoid(s_dwm) per impression of the log (training requests only; 0 elsewhere). */
  teacher: { ctr: Float32Array; dwm: Float32Array };
}

let productionCache: { key: string; ranking: ProductionRanking } | null = null;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

type Emit = ProtocolJobContext['emit'];

/** An emitter mapping 'train' progress fractions into [start, start + share]. */
function scaledProgress(emit: Emit, start: number, share: number, keepCurves: boolean): Emit {
  return (event) => {
    if (event.type === 'progress') emit({ ...event, fraction: start + share * event.fraction });
    else if (event.type !== 'curve' || keepCurves) emit(event);
  };
}

async function trainPlan(
  ctx: ProtocolJobContext,
  emit: Emit,
  data: RraData,
  plan: TrainingPlan,
  settings: RraSettings,
  seedStream: number,
  label: string,
  curvePrefix: string,
): Promise<RraTrainer> {
  const { log, split } = data;
  const training = ctx.request.spec.training;
  const rng = createRng(ctx.request.seed).fork(seedStream);
  const examples =
    plan.samples.kind === 'corpus-negatives' ? withClicks(log, split.train) : Int32Array.from(split.train);
  const negatives =
    plan.negatives.strategy === 'BNC'
      ? { ...plan.negatives, logQ: impressionLogQ(log, split.train) }
      : plan.negatives;
  const trainer = new RraTrainer(
    log,
    { ...plan, negatives },
    {
      numItems: log.numItems,
      learningRate: training.learningRate,
      embeddingDim: training.embeddingDim,
      architecture: settings.architecture,
      experts: settings.experts,
      rng: rng.fork(MODEL_STREAM),
    },
    dwmScale(log, split.train),
    rng.fork(SAMPLING_STREAM),
  );
  try {
    const active = LOSS_TERMS.filter((t) => plan.losses[t]);
    const sums = new Map<LossTerm, number>();
    let count = 0;
    await runEpochs({
      ctx: { emit, signal: ctx.signal },
      label,
      examples,
      epochs: training.epochs,
      batchSize: training.batchSize,
      shuffle: rng.fork(SHUFFLE_STREAM),
      lossCurve: `${curvePrefix}/L_total`,
      step: async (batch) => {
        const losses = await trainer.step(batch);
        for (const t of active) sums.set(t, (sums.get(t) ?? 0) + losses[t] * batch.length);
        count += batch.length;
        return losses.total;
      },
      afterEpoch: () => {
        const out: Record<string, number> = {};
        for (const t of active) out[`${curvePrefix}/${LOSS_CURVE_NAMES[t]}`] = (sums.get(t) ?? 0) / count;
        sums.clear();
        count = 0;
        return out;
      },
    });
    return trainer;
  } catch (error) {
    trainer.dispose();
    throw error;
  }
}

function withClicks(log: RraLog, requests: Int32Array): Int32Array {
  return requests.filter((r) => {
    for (let k = log.impressionOffsets[r]; k < log.impressionOffsets[r + 1]; k++)
      if (log.impressionClick[k]) return true;
    return false;
  });
}

function candidatesOf(log: RraLog, request: number): Int32Array {
  return log.candidateItems.subarray(log.candidateOffsets[request], log.candidateOffsets[request + 1]);
}

function impressionsOf(log: RraLog, request: number): Int32Array {
  return log.impressionItem.subarray(log.impressionOffsets[request], log.impressionOffsets[request + 1]);
}

/** Trains (or reuses) the production ranking model of this dataset and seed. */
async function productionRanking(
  ctx: ProtocolJobContext,
  data: RraData,
  settings: RraSettings,
  emit: Emit,
): Promise<{ ranking: ProductionRanking; trained: boolean }> {
  const key = JSON.stringify({
    source: ctx.request.dataset,
    dayLength: ctx.request.spec.evaluation.dayLength ?? 86_400,
    settings,
    training: ctx.request.spec.training,
    seed: ctx.request.seed,
  });
  if (productionCache && productionCache.key === key)
    return { ranking: productionCache.ranking, trained: false };
  const { log, split } = data;
  const plan: TrainingPlan = {
    losses: {
      clsCtr: false,
      clsDwm: false,
      rankCtr: true,
      rankDwm: true,
      maskCtr: false,
      maskDwm: false,
      kdCtr: false,
      kdDwm: false,
    },
    wCtr: 0,
    wServe: 0.5,
    negatives: { strategy: 'AN', randomNegatives: 0, hardFrom: 1, hardTo: 1 },
    retrieval: false,
    ranking: 'separate',
    samples: { kind: 'impressions' },
  };
  // The production ranking is the complex model whatever the retrieval architecture (Sec. 1, 5.1.4).
  const trainer = await trainPlan(
    ctx,
    emit,
    data,
    plan,
    { ...settings, architecture: 'prod' },
    PRODUCTION_STREAM,
    'Production ranking model',
    'production-ranking',
  );
  try {
    const w = settings.rankingWCtr;
    const testShows = Array.from(split.test, (r) => unfamiliarShows(log, r));
    const test = await trainer.rankingScores(split.test, (b) => testShows[b], 4);
    const testScores = test.map(({ ctr, dwm }) => Float32Array.from(ctr, (c, k) => w * c + (1 - w) * dwm[k]));
    const teacher = {
      ctr: new Float32Array(log.impressionItem.length),
      dwm: new Float32Array(log.impressionItem.length),
    };
    const train = await trainer.rankingScores(split.train, (b) => impressionsOf(log, split.train[b]), 64);
    split.train.forEach((r, b) => {
      const start = log.impressionOffsets[r];
      train[b].ctr.forEach((s, k) => (teacher.ctr[start + k] = sigmoid(s)));
      train[b].dwm.forEach((s, k) => (teacher.dwm[start + k] = sigmoid(s)));
    });
    const ranking = { testShows, testScores, teacher };
    productionCache = { key, ranking };
    return { ranking, trained: true };
  } finally {
    trainer.dispose();
  }
}

async function evaluate(
  trainer: RraTrainer,
  data: RraData,
  production: ProductionRanking,
  settings: RraSettings,
  wServe: number,
): Promise<Record<string, number>> {
  const { log, split, truth } = data;
  const keys = metricKeys(settings);
  const users = await trainer.userEmbeddings(split.test);
  const serve = fuseUserEmbeddings(users.ctr, users.dwm, wServe);
  const shows = trainer.showEmbeddings();
  const dim = users.dim;
  const corpus = newRecallAccumulator();
  const inCandidates = newRecallAccumulator();
  const scores = new Float32Array(log.numItems);
  let nktdSum = 0;
  let gtRecall = 0;
  let gtWRecall = 0;
  split.test.forEach((r, b) => {
    for (let i = 0; i < log.numItems; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += serve[b * dim + k] * shows[i * dim + k];
      scores[i] = s;
    }
    const clicked: number[] = [];
    const clickedDwm: number[] = [];
    for (let k = log.impressionOffsets[r]; k < log.impressionOffsets[r + 1]; k++) {
      if (log.impressionClick[k] === 1) {
        clicked.push(log.impressionItem[k]);
        clickedDwm.push(log.impressionDwm[k]);
      }
    }
    const unfamiliar = production.testShows[b];
    const corpusScores = Float32Array.from(unfamiliar, (i) => scores[i]);
    addRecall(corpus, unfamiliar, corpusScores, settings.recallK, clicked, clickedDwm);
    const candidates = candidatesOf(log, r);
    const candidateScores = Float32Array.from(candidates, (i) => scores[i]);
    addRecall(inCandidates, candidates, candidateScores, settings.recallK, clicked, clickedDwm);
    nktdSum += nktd(corpusScores, production.testScores[b], settings.nktdN);
    if (truth) {
      const offset = truth.offset[r];
      if (offset < 0) throw new Error(`RRA: test request ${r} has no ground truth`);
      const p = Float32Array.from(unfamiliar, (i) => truth.clickProb[offset + i]);
      gtRecall += expectedRecall(corpusScores, p, settings.recallK);
      gtWRecall += expectedRecall(
        corpusScores,
        Float32Array.from(unfamiliar, (i, k) => p[k] * truth.expectedDwm[offset + i]),
        settings.recallK,
      );
    }
  });
  const main = recallOf(corpus);
  const candidate = recallOf(inCandidates);
  const out: Record<string, number> = {
    [keys.recall]: main.recall,
    [keys.wRecall]: main.wRecall,
    [keys.nktd]: nktdSum / split.test.length,
    [keys.candidateRecall]: candidate.recall,
    [keys.candidateWRecall]: candidate.wRecall,
  };
  if (truth) {
    out[keys.gtRecall] = gtRecall / split.test.length;
    out[keys.gtWRecall] = gtWRecall / split.test.length;
  }
  return out;
}

export async function runRraJob(ctx: ProtocolJobContext): Promise<Record<string, number>> {
  const settings = resolveRraSettings(ctx.protocolParams);
  const methodId = ctx.request.method.id;
  const { plan, needsTeacher, wServe } = planOf(methodId, ctx.params);
  const log = (message: string): void => ctx.emit({ type: 'log', level: 'info', message });
  const data = await ctx.timed('data', () => buildRraData(ctx, settings));
  for (const r of data.split.test) {
    const watched = data.log.historyOffsets[r + 1] - data.log.historyOffsets[r];
    if (data.log.numItems - watched <= Math.max(settings.nktdN, settings.recallK)) {
      throw new Error(
        `protocolParams.nktdN: test request ${r} has only ${data.log.numItems - watched} unwatched shows, ` +
          `not more than N = ${settings.nktdN} and K = ${settings.recallK}`,
      );
    }
  }
  let clicks = 0;
  for (let k = 0; k < data.log.impressionClick.length; k++) clicks += data.log.impressionClick[k];
  ctx.emit({
    type: 'dataset',
    name: data.log.name,
    users: data.log.numUsers,
    items: data.log.numItems,
    interactions: data.log.impressionItem.length,
    positives: clicks,
    hasGroundTruth: data.truth !== null,
  });
  log(describeLog(data.log, data.split));
  throwIfCancelled(ctx.signal);

  let trainer: RraTrainer | null = null;
  try {
    const { production, trainedShare } = await ctx.timed('ranking', async () => {
      const result = await productionRanking(
        ctx,
        data,
        settings,
        scaledProgress(ctx.emit, 0, PRODUCTION_PROGRESS_SHARE, false),
      );
      log(
        result.trained
          ? 'Trained the production ranking model (Eq. 1-2, own embeddings): the ranking order of NKTD and the offline teacher.'
          : 'Reused the production ranking model of this dataset and seed.',
      );
      return { production: result.ranking, trainedShare: result.trained ? PRODUCTION_PROGRESS_SHARE : 0 };
    });
    throwIfCancelled(ctx.signal);
    const fullPlan: TrainingPlan = needsTeacher ? { ...plan, teacher: production.teacher } : plan;
    const method = RRA_METHODS.find((m) => m.id === methodId);
    trainer = await ctx.timed('train', () =>
      trainPlan(
        ctx,
        scaledProgress(ctx.emit, trainedShare, 1 - trainedShare, true),
        data,
        fullPlan,
        settings,
        0,
        method?.name ?? methodId,
        methodId,
      ),
    );
    throwIfCancelled(ctx.signal);
    const done = trainer;
    return await ctx.timed('eval', () => evaluate(done, data, production, settings, wServe));
  } finally {
    trainer?.dispose();
  }
}
