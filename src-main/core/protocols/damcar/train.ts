/**
 * One job of the cascade testbed — one (method, seed) — (DAMCAR section 5.1.2): data (data.ts:
 * materialise, stats, split) -> ranking (train DeepFM or DCN on the exposed training data, or reuse
 * the one this worker trained for the seed; model-ranking.ts) -> train (the method, which may read
 * the ranking model's scores; methods.ts) -> evaluate (metrics.ts: retrieval R/P/F@K1 over the
 * corpus; the ranking model re-ranks each user's top K1 and keeps K2 = K1 / 10 for N/M/H@K2; ground
 * truth on simulated data). Every phase reports through `ctx.emit` with its own progress fraction
 * (runJob lays the phases out by index.ts's progressShares); the same request and seed give the
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
import { type CachedRanking, acquireRankingModel, releaseRanking } from './model-ranking';
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

  // Ranking model: its own 'ranking' phase, so 'train' always means the method's training.
  let ranking: CachedRanking | null = null;
  if (rankingModel !== 'none') {
    ranking = await ctx.timed('ranking', () =>
      acquireRankingModel(
        rankingModel,
        request,
        trainingView(dataset),
        split,
        ctx.backend,
        (event: JobEvent) => ctx.emit(event.type === 'progress' ? { ...event, phase: 'ranking' } : event),
        signal,
      ),
    );
    progress('ranking', 1);
  }

  try {
    throwIfCancelled(signal);
    // Training. The method sees the ranking model as a scorer only: the cache owns (and disposes) it.
    const rankingModelOfRun = ranking?.model;
    const scorer: RankingScorer | null = rankingModelOfRun
      ? { name: rankingModelOfRun.name, score: (users, items) => rankingModelOfRun.score(users, items) }
      : null;
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
    log(`Training ${request.method.label} (seed ${request.seed}).`);
    const trained = await ctx.timed('train', () => method.train(methodContext));
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
    if (ranking) releaseRanking(ranking);
  }
}
