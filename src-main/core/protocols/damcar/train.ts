/**
 * One job of the cascade testbed — one (method, seed) — (DAMCAR section 5.1.2): data (data.ts:
 * materialise, stats, split) -> train (the method, which may read the ranking model's scores;
 * methods.ts) -> evaluate (metrics.ts: retrieval R/P/F@K1 over the corpus; the ranking model
 * re-ranks each user's top K1 and keeps K2 = K1 / 10 for N/M/H@K2; ground truth on simulated data).
 * The ranking model (DeepFM or DCN on the exposed training data; model-ranking.ts) is its own
 * phase, acquired when the method first asks for scores, or before it trains when it reads none
 * (MethodModule.readsRanking): reused from this worker, loaded from the cache folder (where another
 * run or a helper on a spare core may have trained it meanwhile: prefetchCascadeRanking), or
 * trained. Every phase reports through `ctx.emit` with its own progress
 * fraction (runJob weighs them by index.ts's progressShares); the same request and seed give the
 * same metrics.
 */
import type { JobEvent } from '../../experiments/job';
import { formatMetrics, phaseProgress } from '../../experiments/job';
import { trainingView } from '../../data/dataset';
import { throwIfCancelled } from '../../methods/loop';
import type { ProtocolJobContext } from '../types';
import { loadCascadeData } from './data';
import { type MethodContext, type RankingScorer, getMethod } from './methods';
import { evaluateCascade, rankingCutoff } from './metrics';
import { type RankingKind, rankingModelName } from '../../models/ranking-model';
import {
  type CachedRanking,
  acquireRankingModel,
  prefetchRankingModel,
  releaseRanking,
} from './model-ranking';
import { rankingModelOf, retrievalArchitecture } from './settings';

export async function runCascadeJob(ctx: ProtocolJobContext): Promise<Record<string, number>> {
  const { request, signal } = ctx;
  const method = getMethod(request.method.id);
  if (!method) throw new Error(`Method "${request.method.id}" has no cascade training module.`);
  const rankingModel = rankingModelOf(request.spec);
  const log = (message: string, level: 'info' | 'warn' = 'info') => ctx.emit({ type: 'log', level, message });
  /** A phase's own fraction done (runJob maps it onto the whole job). */
  const progress = (phase: 'data' | 'ranking' | 'eval', fraction: number) =>
    ctx.emit(phaseProgress(phase, request.spec.training.epochs, fraction));

  // Data.
  const { dataset, split } = await loadCascadeData(ctx);
  progress('data', 1);
  throwIfCancelled(signal);

  // Ranking model: acquired when the method first asks for ranking scores, so a method that trains
  // long before it reads them (DAMCAR's target domain and label generator) does not stop for it,
  // and another run of the seed or a helper on a spare core (prefetchCascadeRanking) can train it
  // meanwhile; before training for a method that reads none. Its own 'ranking' phase, whose time
  // runJob leaves out of 'train'.
  let acquiring = null as Promise<CachedRanking> | null;
  const acquireRanking = (kind: RankingKind): Promise<CachedRanking> => {
    acquiring ??= ctx
      .timed('ranking', () =>
        acquireRankingModel({
          kind,
          request,
          data: trainingView(dataset),
          split,
          backend: ctx.backend,
          emit: (event: JobEvent) =>
            ctx.emit(event.type === 'progress' ? { ...event, phase: 'ranking' } : event),
          signal,
        }),
      )
      .then((entry) => {
        progress('ranking', 1);
        return entry;
      });
    return acquiring;
  };

  try {
    throwIfCancelled(signal);
    // Training. The method sees the ranking model as a scorer only: the cache owns (and disposes) it.
    const scorer: RankingScorer | null =
      rankingModel === 'none'
        ? null
        : {
            name: rankingModelName(rankingModel),
            score: async (users, items) => (await acquireRanking(rankingModel)).model.score(users, items),
          };
    const methodContext: MethodContext = {
      dataset: trainingView(dataset),
      split,
      training: request.spec.training,
      retrieval: retrievalArchitecture(ctx.protocolParams),
      params: ctx.params,
      rng: ctx.rng,
      signal,
      ranking: scorer,
      // The method's 'train' progress is the share of its training done: the job's 'train' phase.
      emit: ctx.emit,
    };
    // A method that reads no ranking scores acquires the model before it trains: the same work
    // on this run's thread as at its evaluation, but ready sooner for the runs that read them.
    if (rankingModel !== 'none' && !method.readsRanking) await acquireRanking(rankingModel);
    log(`Training ${request.method.label} (seed ${request.seed}).`);
    const trained = await ctx.timed('train', () => method.train(methodContext));
    throwIfCancelled(signal);
    const ranking = rankingModel === 'none' ? null : await acquireRanking(rankingModel);
    throwIfCancelled(signal);

    // Evaluation.
    progress('eval', 0);
    const evaluation = request.spec.evaluation;
    const result = await ctx.timed('eval', () =>
      evaluateCascade({ dataset, split, evaluation, trained, ranking: ranking?.model ?? null }),
    );
    log(
      `Evaluated ${result.retrieval.evaluatedUsers} test users over ${evaluation.corpus === 'all' ? 'all items' : 'test-split items'}` +
        (dataset.groundTruth ? `, ${result.retrieval.groundTruthUsers} with ground truth` : '') +
        ': ' +
        formatMetrics(result.retrieval.metrics),
    );
    if (ranking && result.ranking) {
      const skipped = evaluation.retrievalK.filter((k) => rankingCutoff(k) === null);
      if (skipped.length > 0)
        log(`No ranking metrics for K = ${skipped.join(', ')}: K2 = K / 10 needs a multiple of 10.`, 'warn');
      log(
        `${ranking.model.name} re-ranked each user's top K (K2 = K / 10): ${formatMetrics(result.ranking)}`,
      );
    }
    return { ...result.retrieval.metrics, ...result.ranking };
  } finally {
    // Not awaited: a job that failed while its ranking model was still training ends now.
    acquiring?.then(releaseRanking, () => undefined);
  }
}

/**
 * The cascade testbed's prefetch (ProtocolModule.prefetch): the job's data, then its ranking
 * model trained into the cache folder unless it is there or being trained, for the job to load
 * when it first needs it.
 */
export async function prefetchCascadeRanking(ctx: ProtocolJobContext): Promise<void> {
  const { request } = ctx;
  const rankingModel = rankingModelOf(request.spec);
  if (rankingModel === 'none' || !request.cacheDir) return;
  const { dataset, split } = await loadCascadeData(ctx);
  const start = performance.now();
  const outcome = await prefetchRankingModel({
    kind: rankingModel,
    request,
    data: trainingView(dataset),
    split,
    backend: ctx.backend,
    // Its epochs are the helper's own; the run shows the curves when it loads the model.
    emit: (event) => (event.type === 'log' ? ctx.emit(event) : undefined),
    signal: ctx.signal,
  });
  const name = rankingModelName(rankingModel);
  const seconds = ((performance.now() - start) / 1000).toFixed(0);
  const messages = {
    trained: `Trained the ${name} ranking model in ${seconds} s and stored it for the run.`,
    cached: `The ${name} ranking model is stored already; nothing to prefetch.`,
    claimed: `The ${name} ranking model is being trained by another run; nothing to prefetch.`,
    unclaimable: `The ${name} ranking model's training could not be claimed in the cache folder; the run trains it.`,
  };
  ctx.emit({ type: 'log', level: 'info', message: messages[outcome] });
}
