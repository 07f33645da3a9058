/**
 * End-to-end jobs of the RRA testbed on a tiny simulated world: every method runs, reports finite
 * metrics in range with the declared columns, emits its loss curves, frees its tensors, is
 * deterministic, can be cancelled, and never trains on the test day.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentSpec, ParamValues } from '../../../contract/api';
import { type CascadeDataset, createCascadeDataset } from '../../data/dataset';
import { resolveSimulatorParams, simulateCascade } from '../../data/simulator';
import { JobCancelledError } from '../../experiments/job';
import { initBackend } from '../../tf/backend';
import { TINY_SIMULATOR, protocolTestContext } from '../test-support';
import { rraProtocol } from './index';

beforeAll(async () => {
  await initBackend('wasm');
});

const PROTOCOL_PARAMS: ParamValues = { candidates: 40, recallK: 10, nktdN: 20, historyLength: 10 };
const KEYS = [
  'Recall@10',
  'WRecall@10',
  'NKTD@20',
  'Recall@10 (in candidates)',
  'WRecall@10 (in candidates)',
  'GT-Recall@10',
  'GT-WRecall@10',
];

function context(method: string, params: ParamValues = {}) {
  return protocolTestContext({ protocol: 'rra', method, params, protocolParams: PROTOCOL_PARAMS });
}

function curveNames(ctx: ReturnType<typeof context>): string[] {
  return [...new Set(ctx.events.flatMap((e) => (e.type === 'curve' ? [e.name] : [])))];
}

describe('RRA protocol jobs', () => {
  it.each([
    ['rra-base', ['rra-base/L_total', 'rra-base/L_cls^ctr', 'rra-base/L_cls^dwm']],
    ['rra-dmtl', ['rra-dmtl/L_rank^ctr', 'rra-dmtl/L_mask^dwm', 'rra-dmtl/L_kd^ctr']],
    ['rra-sharing', ['rra-sharing/L_cls^ctr', 'rra-sharing/L_rank^dwm']],
    ['rra-offline', ['rra-offline/L_kd^ctr', 'rra-offline/L_mask^ctr', 'rra-offline/L_cls^dwm']],
    [
      'rra',
      ['rra/L_cls^ctr', 'rra/L_cls^dwm', 'rra/L_rank^ctr', 'rra/L_mask^dwm', 'rra/L_kd^ctr', 'rra/L_kd^dwm'],
    ],
  ])('%s trains, evaluates in range and frees its tensors', async (method, curves) => {
    const before = tf.memory().numTensors;
    const ctx = context(method);
    const metrics = await rraProtocol.runJob(ctx);
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(metrics).sort()).toEqual([...KEYS].sort());
    for (const key of KEYS) {
      expect(Number.isFinite(metrics[key])).toBe(true);
      expect(metrics[key]).toBeGreaterThanOrEqual(0);
      expect(metrics[key]).toBeLessThanOrEqual(1);
    }
    expect(curveNames(ctx)).toEqual(expect.arrayContaining(curves));
    const fractions = ctx.events.flatMap((e) =>
      e.type === 'progress' && e.phase === 'train' ? [e.fraction] : [],
    );
    expect(fractions.length).toBeGreaterThan(0);
    expect(fractions.every((f, k) => k === 0 || f >= fractions[k - 1])).toBe(true);
    const spec = { ...ctx.request.spec, protocolParams: PROTOCOL_PARAMS } as ExperimentSpec;
    expect(rraProtocol.columns(spec, true).map((c) => c.key)).toEqual(KEYS);
  });

  it.each(['RN', 'BN', 'BNC', 'HN', 'MN'])('RRA runs with %s negatives', async (negatives) => {
    const metrics = await rraProtocol.runJob(
      context('rra', { negatives, randomNegatives: 10, hardFrom: 5, hardTo: 15 }),
    );
    expect(Number.isFinite(metrics['Recall@10'])).toBe(true);
  });

  it('the trained RRA retrieval beats a random scorer and is deterministic', async () => {
    // A world large enough that test-day recall is not noise: 150 users, 200 shows, 144 test requests.
    const options = {
      protocol: 'rra' as const,
      method: 'rra',
      simulator: { users: 150, items: 200, exposuresPerUser: 16, exposedPerRequest: 5 },
      protocolParams: { candidates: 60, recallK: 15, nktdN: 30, historyLength: 10 },
      training: { epochs: 6, learningRate: 0.1 },
    };
    const first = await rraProtocol.runJob(protocolTestContext(options));
    const second = await rraProtocol.runJob(protocolTestContext(options));
    expect(second).toEqual(first);
    // A random top 15 of 60 candidates keeps 25% of the clicks; a random top 15 of the unfamiliar
    // corpus (about 160 of the 200 shows) keeps under 10% of the clicks and expected clicks.
    expect(first['Recall@15 (in candidates)']).toBeGreaterThan(0.35);
    expect(first['Recall@15']).toBeGreaterThan(0.2);
    expect(first['GT-Recall@15']).toBeGreaterThan(0.15);
  });

  it('can be cancelled', async () => {
    const controller = new AbortController();
    const ctx = protocolTestContext({
      protocol: 'rra',
      method: 'rra',
      protocolParams: PROTOCOL_PARAMS,
      signal: controller.signal,
      seed: 9,
    });
    const emit = ctx.emit;
    ctx.emit = (event) => {
      emit(event);
      if (event.type === 'progress' && event.phase === 'train') controller.abort();
    };
    const before = tf.memory().numTensors;
    await expect(rraProtocol.runJob(ctx)).rejects.toBeInstanceOf(JobCancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects settings that leave Recall@K trivial', async () => {
    const ctx = protocolTestContext({
      protocol: 'rra',
      method: 'rra',
      protocolParams: { candidates: 40, recallK: 40, nktdN: 20 },
    });
    await expect(rraProtocol.runJob(ctx)).rejects.toThrow(/protocolParams.recallK/);
  });
});

describe('no test-day leak (stored exposure log)', () => {
  /** The tiny simulated log as a stored dataset, with the last day's labels and watch times flipped or not. */
  function stored(flipTestDay: boolean): CascadeDataset {
    const source = simulateCascade(resolveSimulatorParams(TINY_SIMULATOR));
    const cols = source.interactions;
    let lastDay = 0;
    for (const t of cols.time) lastDay = Math.max(lastDay, Math.floor(t / 86_400));
    const label = Uint8Array.from(cols.label);
    const watchTime = Float32Array.from(cols.watchTime);
    if (flipTestDay) {
      for (let r = 0; r < label.length; r++) {
        if (Math.floor(cols.time[r] / 86_400) === lastDay) {
          label[r] = 1 - label[r];
          watchTime[r] = label[r] === 1 ? 30 : 0;
        }
      }
    }
    return createCascadeDataset({
      ...source,
      groundTruth: undefined,
      interactions: { ...cols, label, watchTime },
    });
  }

  async function run(flip: boolean): Promise<{ curves: number[]; metrics: Record<string, number> }> {
    const ctx = protocolTestContext({
      protocol: 'rra',
      method: 'rra',
      protocolParams: { candidates: 30, recallK: 10, nktdN: 20 },
    });
    const dataset = stored(flip);
    ctx.request.dataset = { kind: 'stored', datasetId: flip ? 2 : 1, path: flip ? '/flipped' : '/original' };
    ctx.request.spec = { ...ctx.request.spec, dataset: { kind: 'stored', datasetId: flip ? 2 : 1 } };
    ctx.materializeDataset = () => dataset;
    const metrics = await rraProtocol.runJob(ctx);
    const curves = ctx.events.flatMap((e) => (e.type === 'curve' ? [e.value] : []));
    return { curves, metrics };
  }

  it('trains identically when only the test day differs, and evaluates on it', async () => {
    const original = await run(false);
    const flipped = await run(true);
    expect(flipped.curves).toEqual(original.curves);
    expect(flipped.metrics['Recall@10']).not.toBe(original.metrics['Recall@10']);
    expect(original.metrics['GT-Recall@10']).toBeUndefined();
  });
});
