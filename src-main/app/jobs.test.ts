import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent, JobRequest, JobResult } from '../core/experiments/job';
import { JobPool, probeBackend, resolveTrainingWorkerEntry, type JobHooks } from './jobs';

const SCRIPTED = new URL('./fixtures/scripted-worker.mjs', import.meta.url);

function request(runId: number, behaviour: string, seed = runId): JobRequest {
  return {
    runId,
    experimentId: 1,
    spec: {
      name: 't',
      dataset: { kind: 'simulated', params: {} },
      retrieval: { model: 'dssm' },
      methods: [{ id: behaviour }],
      training: { epochs: 1, batchSize: 1, learningRate: 0.1, embeddingDim: 2 },
      evaluation: { retrievalK: [1], corpus: 'all' },
      seeds: [seed],
      backend: 'auto',
    },
    method: { id: behaviour, params: {}, label: behaviour },
    seed,
    dataset: {
      kind: 'simulated',
      params: {
        users: 1,
        items: 1,
        categories: 1,
        latentDim: 1,
        multimodalDim: 1,
        exposuresPerUser: 1,
        candidatesPerRequest: 1,
        exposedPerRequest: 1,
        exposureBias: 0,
        seed: 1,
      },
    },
    backend: 'auto',
  };
}

type Outcome =
  | { runId: number; kind: 'finished'; result: JobResult }
  | { runId: number; kind: 'failed'; message: string }
  | { runId: number; kind: 'cancelled'; reason: string | null };

/** Hooks that record everything, with the behaviour of each run given by a map. */
function recorder(behaviours: Record<number, string>) {
  const outcomes: Outcome[] = [];
  const events: { runId: number; event: JobEvent }[] = [];
  const started: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const waiters: (() => void)[] = [];
  const settle = (outcome: Outcome): void => {
    running -= 1;
    outcomes.push(outcome);
    waiters.splice(0).forEach((w) => w());
  };
  const hooks: JobHooks = {
    start(runId) {
      started.push(runId);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      return request(runId, behaviours[runId]);
    },
    event: (runId, event) => events.push({ runId, event }),
    finished: (runId, result) => settle({ runId, kind: 'finished', result }),
    failed: (runId, message) => settle({ runId, kind: 'failed', message }),
    cancelled: (runId, reason) => settle({ runId, kind: 'cancelled', reason }),
  };
  const until = async (count: number): Promise<void> => {
    while (outcomes.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { hooks, outcomes, events, started, until, maxRunning: () => maxRunning };
}

let pool: JobPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('JobPool', () => {
  it('runs at most maxParallel workers, in queue order, and forwards events and results', async () => {
    const r = recorder({ 1: 'ok', 2: 'ok', 3: 'ok' });
    pool = new JobPool({ maxParallel: 2, hooks: r.hooks, workerEntry: SCRIPTED });
    pool.enqueue([1, 2, 3]);
    expect(pool.runningRunIds).toEqual([1, 2]);
    expect(pool.queuedRunIds).toEqual([3]);
    await r.until(3);
    expect(r.maxRunning()).toBe(2);
    expect(r.started).toEqual([1, 2, 3]);
    expect(r.outcomes.map((o) => o.kind)).toEqual(['finished', 'finished', 'finished']);
    for (const outcome of r.outcomes) {
      if (outcome.kind === 'finished') expect(outcome.result.metrics.seed).toBe(outcome.runId);
    }
    expect(
      r.events
        .filter((e) => e.event.type === 'progress')
        .map((e) => e.runId)
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(pool.runningRunIds).toEqual([]);
  });

  it('starts a helper for a run on cores no worker uses, only with prefetch on and a cache folder', async () => {
    const helperLogs = (r: ReturnType<typeof recorder>) =>
      r.events.flatMap((e) =>
        e.event.type === 'log' && e.event.message.startsWith('Spare core: ')
          ? [`${e.runId} ${e.event.level} ${e.event.message}`]
          : [],
      );
    const withCache = (r: ReturnType<typeof recorder>): JobHooks => ({
      ...r.hooks,
      start: (runId) => ({ ...(r.hooks.start(runId) as JobRequest), cacheDir: '/cache' }),
    });
    // One run, four cores (a worker's two threads each): its helper runs the same request as a
    // prefetch and logs into the run.
    const alone = recorder({ 1: 'slow' });
    const options = { workerEntry: SCRIPTED, prefetch: true, cores: 4 };
    pool = new JobPool({ ...options, maxParallel: 4, hooks: withCache(alone) });
    pool.enqueue([1]);
    await alone.until(1);
    expect(alone.outcomes[0]).toMatchObject({ runId: 1, kind: 'finished' });
    expect(helperLogs(alone)).toEqual(['1 info Spare core: prefetched for run 1']);
    await pool.close();

    // A helper that fails leaves a warning; the run goes on.
    const failing = recorder({ 1: 'slow-helper-fails' });
    pool = new JobPool({ ...options, maxParallel: 4, hooks: withCache(failing) });
    pool.enqueue([1]);
    await failing.until(1);
    expect(failing.outcomes[0]).toMatchObject({ runId: 1, kind: 'finished' });
    expect(helperLogs(failing)).toEqual([
      '1 warn Spare core: the helper failed (no space left for the cache file); the run does its part itself.',
    ]);
    await pool.close();

    // Every core taken by the runs at their start (run 2 alone after run 1 ends gets none either),
    // 2 cores (one run's two threads), prefetch off, or no cache folder: no helper.
    const full = recorder({ 1: 'ok', 2: 'slow' });
    pool = new JobPool({ ...options, maxParallel: 4, hooks: withCache(full) });
    pool.enqueue([1, 2]);
    await full.until(2);
    expect(helperLogs(full)).toEqual([]);
    await pool.close();
    const twoCores = recorder({ 1: 'slow' });
    pool = new JobPool({ ...options, cores: 2, maxParallel: 2, hooks: withCache(twoCores) });
    pool.enqueue([1]);
    await twoCores.until(1);
    expect(helperLogs(twoCores)).toEqual([]);
    await pool.close();
    // A testbed with nothing to prefetch (RRA's) gets none either.
    const rra = recorder({ 1: 'slow' });
    pool = new JobPool({
      ...options,
      maxParallel: 4,
      hooks: {
        ...withCache(rra),
        start: (runId) => {
          const request = withCache(rra).start(runId) as JobRequest;
          return { ...request, spec: { ...request.spec, protocol: 'rra' } };
        },
      },
    });
    pool.enqueue([1]);
    await rra.until(1);
    expect(helperLogs(rra)).toEqual([]);
    await pool.close();
    const off = recorder({ 1: 'slow' });
    pool = new JobPool({ ...options, prefetch: false, maxParallel: 4, hooks: withCache(off) });
    pool.enqueue([1]);
    await off.until(1);
    expect(helperLogs(off)).toEqual([]);
    await pool.close();
    const noCache = recorder({ 1: 'slow' });
    pool = new JobPool({ ...options, maxParallel: 4, hooks: noCache.hooks });
    pool.enqueue([1]);
    await noCache.until(1);
    expect(helperLogs(noCache)).toEqual([]);
  });

  it('reports an engine error, a crashed worker and an exited worker as failures with the reason', async () => {
    const r = recorder({ 1: 'fail', 2: 'crash', 3: 'exit' });
    pool = new JobPool({ maxParallel: 3, hooks: r.hooks, workerEntry: SCRIPTED });
    pool.enqueue([1, 2, 3]);
    await r.until(3);
    const byRun = Object.fromEntries(r.outcomes.map((o) => [o.runId, o]));
    expect(byRun[1]).toEqual({ runId: 1, kind: 'failed', message: 'loss became NaN at epoch 1, step 3' });
    expect(byRun[2]).toMatchObject({
      kind: 'failed',
      message: 'the training worker crashed: boom in the worker',
    });
    expect(byRun[3]).toMatchObject({
      kind: 'failed',
      message: 'the training worker stopped unexpectedly (exit code 3) before the run ended',
    });
  });

  it('cancels a queued run at once and a running one through its worker', async () => {
    const r = recorder({ 1: 'wait-for-abort', 2: 'ok' });
    pool = new JobPool({ maxParallel: 1, hooks: r.hooks, workerEntry: SCRIPTED });
    pool.enqueue([1, 2]);
    expect(pool.cancel(2)).toBe('queued');
    expect(r.outcomes).toEqual([{ runId: 2, kind: 'cancelled', reason: null }]);
    expect(pool.cancel(1)).toBe('running');
    await r.until(2);
    expect(r.outcomes[1]).toEqual({ runId: 1, kind: 'cancelled', reason: null });
    expect(r.started).toEqual([1]);
    expect(pool.cancel(1)).toBeNull();
  });

  it('terminates a worker that ignores the cancel after the grace period', async () => {
    const r = recorder({ 1: 'ignore-abort' });
    pool = new JobPool({ maxParallel: 1, hooks: r.hooks, workerEntry: SCRIPTED, cancelGraceMs: 200 });
    pool.enqueue([1]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the worker start
    const asked = Date.now();
    pool.cancel(1);
    await r.until(1);
    expect(Date.now() - asked).toBeGreaterThanOrEqual(190);
    expect(r.outcomes[0]).toMatchObject({ kind: 'cancelled' });
    expect((r.outcomes[0] as { reason: string }).reason).toMatch(/did not stop .* terminated/);
  });

  it('fails a run whose start hook throws and goes on with the next', async () => {
    const r = recorder({ 2: 'ok' });
    const start = r.hooks.start;
    r.hooks.start = (runId) => {
      if (runId === 1) throw new Error('dataset 4 has no processed files');
      return start(runId);
    };
    pool = new JobPool({ maxParallel: 1, hooks: r.hooks, workerEntry: SCRIPTED });
    pool.enqueue([1, 2]);
    await r.until(2);
    expect(r.outcomes[0]).toEqual({ runId: 1, kind: 'failed', message: 'dataset 4 has no processed files' });
    expect(r.outcomes[1]).toMatchObject({ runId: 2, kind: 'finished' });
  });

  it('cancels queued and running runs when closed', async () => {
    const r = recorder({ 1: 'ignore-abort', 2: 'ok' });
    pool = new JobPool({ maxParallel: 1, hooks: r.hooks, workerEntry: SCRIPTED });
    pool.enqueue([1, 2]);
    await pool.close('app closed');
    expect(r.outcomes).toEqual([
      { runId: 2, kind: 'cancelled', reason: 'app closed' },
      { runId: 1, kind: 'cancelled', reason: 'app closed' },
    ]);
    expect(() => pool?.enqueue([3])).toThrow(/closed/);
  });
});

describe('probeBackend', () => {
  it('asks a short-lived worker', async () => {
    await expect(probeBackend('auto', SCRIPTED)).resolves.toEqual({
      backend: 'scripted',
      device: 'test',
      notes: [],
    });
  });
});

describe('resolveTrainingWorkerEntry', () => {
  it('uses the tsx bootstrap from source', () => {
    expect(resolveTrainingWorkerEntry().pathname.endsWith('/src-main/app/training-worker.mjs')).toBe(true);
  });

  it('finds a bundled training-worker.js beside the module or one folder up, else says where it looked', () => {
    const out = mkdtempSync(join(tmpdir(), 'cascade-bundle-'));
    try {
      writeFileSync(join(out, 'training-worker.js'), '');
      mkdirSync(join(out, 'chunks'));
      expect(fileURLToPath(resolveTrainingWorkerEntry(pathToFileURL(join(out, 'index.js')).href))).toBe(
        join(out, 'training-worker.js'),
      );
      expect(
        fileURLToPath(resolveTrainingWorkerEntry(pathToFileURL(join(out, 'chunks', 'lab.js')).href)),
      ).toBe(join(out, 'training-worker.js'));
      rmSync(join(out, 'training-worker.js'));
      expect(() => resolveTrainingWorkerEntry(pathToFileURL(join(out, 'index.js')).href)).toThrow(
        /cannot find the training worker/,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
