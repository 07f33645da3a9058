import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { SimulatorParams } from '../../contract/api';
import { resolveSimulatorParams } from '../data/simulator';
import { JobCancelledError, type JobEvent, type JobRequest } from './job';
import { runJob } from './run-job';
import { defaultExperimentSpec } from './spec';

const TINY: SimulatorParams = resolveSimulatorParams({
  users: 80,
  items: 150,
  categories: 5,
  latentDim: 4,
  multimodalDim: 4,
  exposuresPerUser: 20,
  candidatesPerRequest: 30,
  exposedPerRequest: 5,
  seed: 2,
});

function request(seed: number, overrides: Partial<JobRequest> = {}): JobRequest {
  const spec = defaultExperimentSpec();
  spec.training = { epochs: 2, batchSize: 128, learningRate: 0.01, embeddingDim: 16 };
  spec.evaluation = { retrievalK: [10, 20], corpus: 'all' };
  return {
    runId: 1,
    experimentId: 1,
    spec,
    method: { id: 'bc', params: {}, label: 'BC' },
    seed,
    dataset: { kind: 'simulated', params: TINY },
    backend: 'wasm',
    ...overrides,
  };
}

async function run(req: JobRequest, signal = new AbortController().signal) {
  const events: JobEvent[] = [];
  const result = await runJob(req, (e) => events.push(e), signal);
  return { result, events };
}

describe('runJob', () => {
  it('runs BC end to end, reporting every phase', async () => {
    const { result, events } = await run(request(1));
    expect(result.backend).toBe('wasm');
    expect(Object.keys(result.metrics).sort()).toEqual(
      ['F@10', 'F@20', 'GT-R@10', 'GT-R@20', 'P@10', 'P@20', 'R@10', 'R@20'].sort(),
    );
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

  it('is deterministic for a seed and changes with the seed', async () => {
    const a = await run(request(7));
    const b = await run(request(7));
    const c = await run(request(8));
    expect(b.result.metrics).toEqual(a.result.metrics);
    const curve = (events: JobEvent[]) => events.flatMap((e) => (e.type === 'curve' ? [e.value] : []));
    expect(curve(b.events)).toEqual(curve(a.events));
    expect(curve(c.events)).not.toEqual(curve(a.events));
  });

  it('learns: training loss falls and test recall beats popularity-blind chance', async () => {
    const req = request(3);
    req.spec.training = { ...req.spec.training, epochs: 4 };
    const { result, events } = await run(req);
    const train = events.flatMap((e) => (e.type === 'curve' && e.name === 'train/bce' ? [e.value] : []));
    expect(train[train.length - 1]).toBeLessThan(train[0]);
    // Random top-20 of 150 items recalls 20/150 = 0.133 of the test positives on average.
    expect(result.metrics['R@20']).toBeGreaterThan(0.2);
  });

  it('leaves no tensors behind', async () => {
    await run(request(1)); // backend initialised, kernels warmed
    const before = tf.memory().numTensors;
    await run(request(2));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops with JobCancelledError when aborted, without leaking tensors', async () => {
    await run(request(1));
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const events: JobEvent[] = [];
    const pending = runJob(
      request(1),
      (e) => {
        events.push(e);
        if (e.type === 'progress' && e.phase === 'train') controller.abort();
      },
      controller.signal,
    );
    await expect(pending).rejects.toBeInstanceOf(JobCancelledError);
    expect(events.some((e) => e.type === 'timing' && e.phase === 'eval')).toBe(false);
    expect(tf.memory().numTensors).toBe(before);

    const aborted = new AbortController();
    aborted.abort();
    await expect(runJob(request(1), () => undefined, aborted.signal)).rejects.toBeInstanceOf(
      JobCancelledError,
    );
  });

  it('evaluates over test-split items when the spec says so', async () => {
    const req = request(1);
    req.spec.evaluation = { retrievalK: [10], corpus: 'test' };
    const all = await run(request(1));
    const { result } = await run(req);
    // A smaller corpus that still holds every test positive can only raise recall.
    expect(result.metrics['R@10']).toBeGreaterThanOrEqual(all.result.metrics['R@10']);
    expect(Object.keys(result.metrics).sort()).toEqual(['F@10', 'GT-R@10', 'P@10', 'R@10']);
  });

  it('refuses stored datasets and unknown methods clearly', async () => {
    await expect(
      run(request(1, { dataset: { kind: 'stored', datasetId: 4, path: '/tmp/ds4' } })),
    ).rejects.toThrow(/Stored datasets are not supported.*dataset 4/);
    await expect(run(request(1, { method: { id: 'nope', params: {}, label: 'x' } }))).rejects.toThrow(
      /Unknown method "nope"/,
    );
  });
});
