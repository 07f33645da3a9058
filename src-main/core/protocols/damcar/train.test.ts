import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { JobCancelledError, type JobEvent, type JobRequest } from '../../experiments/job';
import { materializeDataset, runJob } from '../../experiments/run-job';
import { trainingView } from '../../data/dataset';
import { claimRankingTraining } from '../../node/ranking-cache';
import { bcMethod } from './method-bc';
import { damcarMethod } from './method-damcar';
import type { MethodContext, RankingScorer } from './methods';
import { clearRankingCache, rankingCacheKey } from './model-ranking';
import { cascadeJobRequest, runCollecting } from './test-support';

function withoutRanking(req: JobRequest): JobRequest {
  return { ...req, spec: { ...req.spec, ranking: { model: 'none' } } };
}

const RETRIEVAL_KEYS = ['F@10', 'F@20', 'GT-R@10', 'GT-R@20', 'P@10', 'P@20', 'R@10', 'R@20'];
const RANKING_KEYS = ['N@1', 'M@1', 'H@1', 'NDCG@1', 'GT-H@1', 'N@2', 'M@2', 'H@2', 'NDCG@2', 'GT-H@2'];

describe('runJob', () => {
  it('runs the cascade end to end: DeepFM ranking, BC retrieval, N/M/H@K2 with K2 = K1 / 10', async () => {
    clearRankingCache();
    const { result, events } = await runCollecting(cascadeJobRequest(1));
    expect(result.backend).toBe('wasm');
    expect(Object.keys(result.metrics).sort()).toEqual([...RETRIEVAL_KEYS, ...RANKING_KEYS].sort());
    for (const value of Object.values(result.metrics)) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(result.metrics['R@20']).toBeGreaterThanOrEqual(result.metrics['R@10']);
    // The final K2 lists are cut from the retrieved lists: no more hits than retrieval found.
    expect(result.metrics['H@1']).toBeLessThanOrEqual(result.metrics['P@10'] * 10 + 1e-9);
    expect(Object.keys(result.timings).sort()).toEqual(['data', 'eval', 'ranking', 'train']);
    const logs = events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(logs.some((m) => m.startsWith('Training the ranking model'))).toBe(true);
    expect(logs.some((m) => m.startsWith('DeepFM re-ranked'))).toBe(true);
    const rankingCurves = events.flatMap((e) =>
      e.type === 'curve' && e.name.startsWith('ranking/') ? [e.name] : [],
    );
    expect(rankingCurves).toEqual([
      'ranking/train/bce',
      'ranking/valid/bce',
      'ranking/valid/auc',
      'ranking/train/bce',
      'ranking/valid/bce',
      'ranking/valid/auc',
    ]);
    const fractions = events.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
    expect(fractions[fractions.length - 1]).toBe(1);
    // BC reads no ranking scores: it acquires the ranking model before it trains (ready sooner for
    // the other runs of the seed), whose epochs report as 'ranking' before the method's steps.
    expect(
      events.filter((e) => e.type === 'timing').map((e) => (e.type === 'timing' ? e.phase : '')),
    ).toEqual(['data', 'ranking', 'train', 'eval']);
    const phases = events.flatMap((e) => (e.type === 'progress' ? [e.phase] : []));
    const rankingEpochs = events.filter((e) => e.type === 'progress' && e.phase === 'ranking' && e.epoch > 0);
    expect(rankingEpochs.length).toBeGreaterThan(0);
    expect(phases.lastIndexOf('ranking')).toBeLessThan(phases.indexOf('train'));
    expect([...new Set(phases)]).toEqual(['data', 'ranking', 'train', 'eval', 'done']);
  });

  it("acquires the ranking model when a method that reads it first asks, its time left out of 'train'", async () => {
    // DAMCAR reads ranking scores after its target domain and label generator.
    const original = damcarMethod.train;
    let trainWallMs = 0;
    const spy = vi.spyOn(damcarMethod, 'train').mockImplementation(async (ctx: MethodContext) => {
      const start = performance.now();
      const trained = await original(ctx);
      trainWallMs = performance.now() - start;
      return trained;
    });
    let run: Awaited<ReturnType<typeof runCollecting>>;
    try {
      clearRankingCache();
      run = await runCollecting(
        cascadeJobRequest(2, { method: { id: 'damcar', params: {}, label: 'DAMCAR' } }),
      );
    } finally {
      spy.mockRestore();
    }
    const { result, events } = run;
    const logs = events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    // Trained once, inside the method's training, after its label generator; the evaluation reuses it.
    expect(logs.filter((m) => m.startsWith('Training the ranking model'))).toHaveLength(1);
    expect(logs.findIndex((m) => m.startsWith('Training the ranking model'))).toBeGreaterThan(
      logs.findIndex((m) => m.startsWith('DAMCAR: target domain of')),
    );
    expect(
      events.filter((e) => e.type === 'timing').map((e) => (e.type === 'timing' ? e.phase : '')),
    ).toEqual(['data', 'ranking', 'train', 'eval']);
    // 'train' is the method's own time: with the ranking model's, the method's whole wall time.
    expect(result.timings.ranking).toBeGreaterThan(0);
    expect(Math.abs(result.timings.train + result.timings.ranking - trainWallMs)).toBeLessThan(20);
    // The ranking model's progress comes after the method's first training steps; the job's bar
    // still never moves back.
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e] : []));
    const firstRanking = progress.findIndex((e) => e.phase === 'ranking');
    expect(progress.slice(0, firstRanking).some((e) => e.phase === 'train')).toBe(true);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i].fraction).toBeGreaterThanOrEqual(progress[i - 1].fraction);
    expect(progress[progress.length - 1].fraction).toBe(1);
  });

  it('trains the ranking model once per seed in a worker and gives every method the same one', async () => {
    clearRankingCache();
    const first = await runCollecting(cascadeJobRequest(4));
    const second = await runCollecting(
      cascadeJobRequest(4, { method: { id: 'bc', params: {}, label: 'BC again' } }),
    );
    const logs = second.events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(logs.some((m) => m.startsWith('Reusing the DeepFM ranking model trained for seed 4'))).toBe(true);
    // The reused model's curves are replayed, so every run stores them.
    const curves = (events: JobEvent[]) =>
      events.flatMap((e) =>
        e.type === 'curve' && e.name.startsWith('ranking/') ? [`${e.name}=${e.value}`] : [],
      );
    expect(curves(second.events)).toEqual(curves(first.events));
    expect(second.result.metrics).toEqual(first.result.metrics);
    // A retrained model (after the cache moved on) is the same model: training is deterministic.
    await runCollecting(cascadeJobRequest(5));
    const third = await runCollecting(cascadeJobRequest(4));
    expect(third.result.metrics).toEqual(first.result.metrics);
  });

  it('shares the ranking model across workers through the disk cache, with the same metrics', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'run-job-cache-'));
    try {
      clearRankingCache();
      const first = await runCollecting(cascadeJobRequest(6, { cacheDir }));
      // A fresh worker: nothing in memory, so the model comes from the file.
      clearRankingCache();
      const second = await runCollecting(
        cascadeJobRequest(6, { cacheDir, method: { id: 'bc', params: {}, label: 'BC 2' } }),
      );
      const logs = second.events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
      expect(
        logs.some((m) => m.startsWith('Loaded the DeepFM ranking model trained earlier for seed 6')),
      ).toBe(true);
      expect(logs.some((m) => m.startsWith('Training the ranking model'))).toBe(false);
      expect(second.result.metrics).toEqual(first.result.metrics);
      // Another split is other training data: not served from the cache.
      clearRankingCache();
      const globalSplit = cascadeJobRequest(6, { cacheDir });
      globalSplit.spec = {
        ...globalSplit.spec,
        evaluation: { ...globalSplit.spec.evaluation, split: 'global-time' },
      };
      const third = await runCollecting(globalSplit);
      const thirdLogs = third.events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
      expect(thirdLogs.some((m) => m.startsWith('Training the ranking model'))).toBe(true);
    } finally {
      clearRankingCache();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('prefetches the ranking model into the cache folder for the run, and stands aside for a stored or claimed one', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'run-job-prefetch-'));
    const logsOf = (events: JobEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    try {
      clearRankingCache();
      const plain = await runCollecting(cascadeJobRequest(9));
      // Without a cache folder a helper has nowhere to leave the model: it does nothing.
      clearRankingCache();
      const nowhere = await runCollecting(cascadeJobRequest(9, { prefetch: true }));
      expect(nowhere.result.metrics).toEqual({});
      expect(nowhere.events.some((e) => e.type === 'curve' || e.type === 'dataset')).toBe(false);

      const helper = await runCollecting(cascadeJobRequest(9, { cacheDir, prefetch: true }));
      expect(helper.result.metrics).toEqual({});
      expect(
        logsOf(helper.events).filter((m) => /^Trained the DeepFM ranking model in \d+ s/.test(m)),
      ).toHaveLength(1);
      // No method trained, no epochs of its own reported (the run replays the stored curves).
      expect(helper.events.some((e) => e.type === 'progress' && e.phase === 'train')).toBe(false);
      expect(helper.events.some((e) => e.type === 'curve')).toBe(false);

      clearRankingCache();
      const run = await runCollecting(cascadeJobRequest(9, { cacheDir }));
      const runLogs = logsOf(run.events);
      expect(
        runLogs.some((m) => m.startsWith('Loaded the DeepFM ranking model trained earlier for seed 9')),
      ).toBe(true);
      expect(runLogs.some((m) => m.startsWith('Training the ranking model'))).toBe(false);
      expect(run.result.metrics).toEqual(plain.result.metrics);

      const again = await runCollecting(cascadeJobRequest(9, { cacheDir, prefetch: true }));
      expect(logsOf(again.events)).toContain(
        'The DeepFM ranking model is stored already; nothing to prefetch.',
      );

      // Another job holds the training of seed 10's model: the helper leaves it to that job.
      const seed10 = cascadeJobRequest(10, { cacheDir, prefetch: true });
      const key = rankingCacheKey('deepfm', seed10, trainingView(materializeDataset(seed10.dataset)), 'wasm');
      const claim = claimRankingTraining(cacheDir, key);
      expect(claim).not.toBeNull();
      try {
        const claimed = await runCollecting(seed10);
        expect(logsOf(claimed.events)).toContain(
          'The DeepFM ranking model is being trained by another run; nothing to prefetch.',
        );
      } finally {
        claim?.release();
      }

      // A cache folder that takes no claim (here a file): a warning, and the run trains the model.
      const notAFolder = join(cacheDir, 'file');
      writeFileSync(notAFolder, '');
      const unclaimable = logsOf(
        (await runCollecting(cascadeJobRequest(9, { cacheDir: notAFolder, prefetch: true }))).events,
      );
      expect(unclaimable.some((m) => m.startsWith("Could not claim the ranking model's training in"))).toBe(
        true,
      );
      expect(unclaimable).toContain(
        "The DeepFM ranking model's training could not be claimed in the cache folder; the run trains it.",
      );
    } finally {
      clearRankingCache();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('passes the ranking model to the method as ctx.ranking, or null without a ranking stage', async () => {
    const original = bcMethod.train;
    const seen: (RankingScorer | null)[] = [];
    const probeScores: Float32Array[] = [];
    const spy = vi.spyOn(bcMethod, 'train').mockImplementation(async (ctx: MethodContext) => {
      seen.push(ctx.ranking);
      if (ctx.ranking)
        probeScores.push(await ctx.ranking.score(Int32Array.from([0, 1, 2]), Int32Array.from([5, 5, 7])));
      return original(ctx);
    });
    try {
      clearRankingCache();
      await runCollecting(cascadeJobRequest(1));
      await runCollecting(
        cascadeJobRequest(1, { spec: { ...cascadeJobRequest(1).spec, ranking: { model: 'dcn' } } }),
      );
      await runCollecting(withoutRanking(cascadeJobRequest(1)));
    } finally {
      spy.mockRestore();
    }
    expect(seen.map((r) => r?.name ?? null)).toEqual(['DeepFM', 'DCN', null]);
    for (const scores of probeScores) {
      expect(scores).toHaveLength(3);
      for (const p of scores) expect(p > 0 && p < 1).toBe(true);
    }
    expect(probeScores[1]).not.toEqual(probeScores[0]);

    const { result, events } = await runCollecting(withoutRanking(cascadeJobRequest(1)));
    expect(Object.keys(result.metrics).sort()).toEqual([...RETRIEVAL_KEYS].sort());
    expect(Object.keys(result.timings).sort()).toEqual(['data', 'eval', 'train']);
    expect(events.some((e) => e.type === 'curve' && e.name.startsWith('ranking/'))).toBe(false);
    const fractions = events.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
    expect(fractions[fractions.length - 1]).toBe(1);
  });

  it('runs BC end to end without a ranking stage, reporting every phase', async () => {
    const { result, events } = await runCollecting(withoutRanking(cascadeJobRequest(1)));
    expect(result.backend).toBe('wasm');
    expect(Object.keys(result.metrics).sort()).toEqual([...RETRIEVAL_KEYS].sort());
    for (const value of Object.values(result.metrics)) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(result.metrics['R@20']).toBeGreaterThanOrEqual(result.metrics['R@10']);
    expect(Object.keys(result.timings).sort()).toEqual(['data', 'eval', 'train']);
    expect(events[0]).toMatchObject({ type: 'backend', backend: 'wasm' });
    const dataset = events.find((e) => e.type === 'dataset');
    expect(dataset).toMatchObject({ users: 80, items: 150, interactions: 1600, hasGroundTruth: true });
    const curves = events.filter((e) => e.type === 'curve');
    expect(curves.map((e) => (e.type === 'curve' ? `${e.name}@${e.step}` : ''))).toEqual([
      'train/bce@1',
      'valid/bce@1',
      'train/bce@2',
      'valid/bce@2',
    ]);
    const fractions = events.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
    expect(fractions[fractions.length - 1]).toBe(1);
    const trainProgress = events.filter((e) => e.type === 'progress' && e.phase === 'train');
    expect(trainProgress.length).toBeGreaterThanOrEqual(2); // at least the end of each epoch
    expect(
      events.filter((e) => e.type === 'timing').map((e) => (e.type === 'timing' ? e.phase : '')),
    ).toEqual(['data', 'train', 'eval']);
  });

  it('is deterministic for a seed and changes with the seed, ranking metrics included', async () => {
    const a = await runCollecting(cascadeJobRequest(7));
    const c = await runCollecting(cascadeJobRequest(8));
    const b = await runCollecting(cascadeJobRequest(7)); // the cache now holds seed 8: seed 7's ranking model is retrained
    expect(b.result.metrics).toEqual(a.result.metrics);
    expect(a.result.metrics['N@2']).toBeDefined();
    expect(c.result.metrics).not.toEqual(a.result.metrics);
    const curve = (events: JobEvent[]) => events.flatMap((e) => (e.type === 'curve' ? [e.value] : []));
    expect(curve(b.events)).toEqual(curve(a.events));
    expect(curve(c.events)).not.toEqual(curve(a.events));
  });

  it('learns: training loss falls and test recall beats popularity-blind chance', async () => {
    const req = cascadeJobRequest(3);
    req.spec.training = { ...req.spec.training, epochs: 4 };
    const { result, events } = await runCollecting(req);
    const curve = (name: string) =>
      events.flatMap((e) => (e.type === 'curve' && e.name === name ? [e.value] : []));
    const train = curve('train/bce');
    expect(train[train.length - 1]).toBeLessThan(train[0]);
    // Random top-20 of 150 items recalls 20/150 = 0.133 of the test positives on average.
    expect(result.metrics['R@20']).toBeGreaterThan(0.2);
    const rankingTrain = curve('ranking/train/bce');
    expect(rankingTrain[rankingTrain.length - 1]).toBeLessThan(rankingTrain[0]);
    expect(curve('ranking/valid/auc').at(-1)).toBeGreaterThan(0.5);
  });

  it('leaves no tensors behind: the cached ranking model is replaced, not accumulated', async () => {
    await runCollecting(cascadeJobRequest(1)); // backend initialised, kernels warmed, seed 1's ranking model cached
    const before = tf.memory().numTensors;
    await runCollecting(cascadeJobRequest(2)); // trains seed 2's model, disposes seed 1's
    expect(tf.memory().numTensors).toBe(before);
    await runCollecting(cascadeJobRequest(2)); // reuses it
    expect(tf.memory().numTensors).toBe(before);
    await runCollecting(withoutRanking(cascadeJobRequest(3)));
    expect(tf.memory().numTensors).toBe(before);
    clearRankingCache();
    const withoutModel = tf.memory().numTensors;
    expect(withoutModel).toBeLessThan(before);
    await runCollecting(withoutRanking(cascadeJobRequest(3)));
    expect(tf.memory().numTensors).toBe(withoutModel);
  });

  it('stops with JobCancelledError when aborted, without leaking tensors', async () => {
    await runCollecting(cascadeJobRequest(1));
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const events: JobEvent[] = [];
    const pending = runJob(
      cascadeJobRequest(1),
      (e) => {
        events.push(e);
        if (e.type === 'progress' && e.phase === 'train') controller.abort();
      },
      controller.signal,
    );
    await expect(pending).rejects.toBeInstanceOf(JobCancelledError);
    expect(events.some((e) => e.type === 'timing' && e.phase === 'eval')).toBe(false);
    expect(tf.memory().numTensors).toBe(before);

    // Cancelled while the ranking model trains: nothing leaks, the cache keeps its model.
    const duringRanking = new AbortController();
    const rankingEvents: JobEvent[] = [];
    const pendingRanking = runJob(
      cascadeJobRequest(6),
      (e) => {
        rankingEvents.push(e);
        if (e.type === 'progress' && e.phase === 'ranking' && e.fraction > 0.05) duringRanking.abort();
      },
      duringRanking.signal,
    );
    await expect(pendingRanking).rejects.toBeInstanceOf(JobCancelledError);
    expect(rankingEvents.some((e) => e.type === 'timing' && e.phase === 'ranking')).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    const reuse = await runCollecting(cascadeJobRequest(1));
    expect(reuse.events.some((e) => e.type === 'log' && e.message.startsWith('Reusing'))).toBe(true);

    const aborted = new AbortController();
    aborted.abort();
    await expect(runJob(cascadeJobRequest(1), () => undefined, aborted.signal)).rejects.toBeInstanceOf(
      JobCancelledError,
    );
  });

  it("fails a run whose retrieval model collapsed (the authors' DSSM on a tiny world) and says why", async () => {
    const req = withoutRanking(cascadeJobRequest(1));
    req.spec = { ...req.spec, protocolParams: {} };
    await expect(runCollecting(req)).rejects.toThrow(
      /^The retrieval model collapsed: user outputs use \d+ and item outputs \d+ of 128 dimensions, none in common/,
    );
    // A row may switch the last layer to linear: then it trains and is evaluated.
    const linear = {
      ...req,
      method: { ...req.method, protocolParams: { retrievalOutputActivation: 'linear' } },
    };
    const { result } = await runCollecting(linear);
    expect(result.metrics['R@10']).toBeGreaterThan(0);
  });

  it('evaluates over test-split items when the spec says so', async () => {
    const req = cascadeJobRequest(1);
    req.spec.evaluation = { retrievalK: [10], corpus: 'test' };
    const all = await runCollecting(cascadeJobRequest(1));
    const { result } = await runCollecting(req);
    // A smaller corpus that still holds every test positive can only raise recall.
    expect(result.metrics['R@10']).toBeGreaterThanOrEqual(all.result.metrics['R@10']);
    expect(Object.keys(result.metrics).sort()).toEqual(
      ['F@10', 'GT-R@10', 'P@10', 'R@10', 'N@1', 'M@1', 'H@1', 'NDCG@1', 'GT-H@1'].sort(),
    );
  });
});
