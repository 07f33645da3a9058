import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ParamValues } from '../../../contract/api';
import { JobCancelledError } from '../../experiments/job';
import { tinyDataset } from '../test-support';
import { initBackend } from '../../tf/backend';
import { protocolTestContext } from '../test-support';
import { BIAS_GROUP_BIASED, UNBIASED_GROUP, cp2recProtocol } from './index';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Every declared parameter of `method` with its default, then `overrides`. */
function paramsOf(method: string, overrides: ParamValues = {}): ParamValues {
  const descriptor = cp2recProtocol.methods.find((m) => m.id === method);
  if (!descriptor) throw new Error(`no method ${method}`);
  const out: ParamValues = {};
  for (const p of descriptor.params) out[p.key] = p.default;
  return { ...out, ...overrides };
}

const PROTOCOL_PARAMS: ParamValues = {
  confounding: 1,
  unbiasedLabels: 'interest',
  unbiasedItemsPerUser: 30,
  headShare: 0.2,
};

/** Large enough for a trained model to beat chance, small enough for a few seconds. */
const SMALL_WORLD = {
  users: 200,
  items: 400,
  categories: 8,
  latentDim: 8,
  multimodalDim: 8,
  exposuresPerUser: 40,
  candidatesPerRequest: 50,
  exposedPerRequest: 10,
};

function context(
  method: string,
  overrides: ParamValues = {},
  extra: { signal?: AbortSignal; world?: boolean } = {},
) {
  const ctx = protocolTestContext({
    protocol: 'cp2rec',
    method,
    params: paramsOf(method, overrides),
    protocolParams: PROTOCOL_PARAMS,
    simulator: extra.world ? SMALL_WORLD : {},
    training: { epochs: extra.world ? 3 : 1, batchSize: 128, learningRate: 0.05, embeddingDim: 8 },
    signal: extra.signal,
  });
  ctx.request.spec.evaluation.retrievalK = [5];
  return ctx;
}

describe('cp2rec protocol', () => {
  it('declares its methods in table order, each in the cp2rec protocol', () => {
    expect(cp2recProtocol.descriptor.methods).toEqual([
      'cp2rec-base',
      'cp2rec-ips',
      'cp2rec-proxy',
      'cp2rec-pal',
      'cp2rec',
    ]);
    for (const m of cp2recProtocol.methods) expect(m.protocol).toBe('cp2rec');
  });

  it('has unbiased-test columns only with ground truth, bias columns lower-is-better', () => {
    const spec = context('cp2rec').request.spec;
    const withTruth = cp2recProtocol.columns(spec, true);
    expect(withTruth.map((c) => c.key)).toEqual([
      'B-AUC',
      'B-NDCG@5',
      'B-Recall@5',
      'U-AUC',
      'U-NDCG@5',
      'U-Recall@5',
      'PopPct@5',
      'Head@5',
    ]);
    expect(withTruth.find((c) => c.key === 'U-AUC')?.group).toBe(UNBIASED_GROUP);
    expect(withTruth.find((c) => c.key === 'Head@5')?.higherIsBetter).toBe(false);
    const stored = cp2recProtocol.columns(spec, false);
    expect(stored.some((c) => c.key.startsWith('U-'))).toBe(false);
    expect(stored.find((c) => c.key === 'PopPct@5')?.group).toBe(BIAS_GROUP_BIASED);
  });

  for (const method of ['cp2rec-base', 'cp2rec-ips', 'cp2rec-proxy', 'cp2rec-pal', 'cp2rec']) {
    it(`${method}: a tiny job gives every column, in range, with curves per loss term`, async () => {
      const ctx = context(method);
      const metrics = await cp2recProtocol.runJob(ctx);
      const keys = cp2recProtocol.columns(ctx.request.spec, true).map((c) => c.key);
      expect(Object.keys(metrics).sort()).toEqual([...keys].sort());
      for (const key of keys) {
        expect(Number.isFinite(metrics[key])).toBe(true);
        expect(metrics[key]).toBeGreaterThanOrEqual(0);
        expect(metrics[key]).toBeLessThanOrEqual(1);
      }
      const curves = new Set(ctx.events.flatMap((e) => (e.type === 'curve' ? [e.name] : [])));
      for (const term of ['total', 'biased', 'auxiliary', 'orthogonality'])
        expect(curves.has(`${method}/${term}`)).toBe(true);
      const timings = ctx.events.flatMap((e) => (e.type === 'timing' ? [e.phase] : []));
      expect(timings).toEqual(['data', 'train', 'eval']);
    });
  }

  it('trained models beat a random scorer on both tests', async () => {
    const base = await cp2recProtocol.runJob(context('cp2rec-base', {}, { world: true }));
    const cp2rec = await cp2recProtocol.runJob(context('cp2rec', {}, { world: true }));
    for (const m of [base, cp2rec]) {
      expect(m['B-AUC']).toBeGreaterThan(0.6);
      expect(m['U-AUC']).toBeGreaterThan(0.55);
    }
  });

  it('CP2Rec served without the bias part recommends less popular items than with it', async () => {
    const removed = await cp2recProtocol.runJob(context('cp2rec', { serveWithBias: false }, { world: true }));
    const kept = await cp2recProtocol.runJob(context('cp2rec', { serveWithBias: true }, { world: true }));
    expect(removed['PopPct@5']).toBeLessThan(kept['PopPct@5']);
    // Keeping the bias part fits the confounded log better.
    expect(kept['B-AUC']).toBeGreaterThan(removed['B-AUC']);
  });

  it('the switches change training: orthogonality, auxiliary loss and proxies each matter', async () => {
    const run = async (overrides: ParamValues) => {
      const ctx = context('cp2rec', overrides);
      const metrics = await cp2recProtocol.runJob(ctx);
      const last = (name: string) =>
        ctx.events.flatMap((e) => (e.type === 'curve' && e.name === `cp2rec/${name}` ? [e.value] : [])).pop();
      return { metrics, orth: last('orthogonality'), aux: last('auxiliary') };
    };
    const full = await run({});
    const noOrth = await run({ orthWeight: 0 });
    const noAux = await run({ auxLoss: 'none' });
    const noProxies = await run({ useProxies: false });
    const random = await run({ auxLoss: 'random' });
    expect(full.orth).toBeGreaterThan(0);
    expect(noOrth.orth).toBe(0);
    expect(noAux.aux).toBe(0);
    expect(full.aux).toBeGreaterThan(0);
    expect(random.aux).toBeGreaterThan(0);
    expect(noProxies.metrics['U-AUC']).not.toBe(full.metrics['U-AUC']);
    expect(noOrth.metrics['U-AUC']).not.toBe(full.metrics['U-AUC']);
  });

  it('rejects the randomised-row auxiliary loss on a log without randomised rows', async () => {
    const ctx = protocolTestContext({
      protocol: 'cp2rec',
      method: 'cp2rec',
      params: paramsOf('cp2rec', { auxLoss: 'random' }),
      protocolParams: PROTOCOL_PARAMS,
      simulator: { exposureBias: 1 },
    });
    await expect(cp2recProtocol.runJob(ctx)).rejects.toThrow(/auxLoss.*randomised/);
  });

  it('runs on a stored log: proxies from the log, biased test and bias columns only', async () => {
    const ctx = context('cp2rec');
    ctx.request.dataset = { kind: 'stored', datasetId: 7, path: '/nonexistent' };
    ctx.materializeDataset = () => tinyDataset();
    const metrics = await cp2recProtocol.runJob(ctx);
    const keys = cp2recProtocol.columns(ctx.request.spec, false).map((c) => c.key);
    expect(Object.keys(metrics).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(Number.isFinite(metrics[key])).toBe(true);
    const logs = ctx.events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(logs.some((m) => m.includes('biased test only'))).toBe(true);
  });

  it('is deterministic for a seed', async () => {
    const a = await cp2recProtocol.runJob(context('cp2rec'));
    const b = await cp2recProtocol.runJob(context('cp2rec'));
    expect(a).toEqual(b);
  });

  it('leaks no tensors', async () => {
    await cp2recProtocol.runJob(context('cp2rec'));
    const before = tf.memory().numTensors;
    for (const method of ['cp2rec-base', 'cp2rec-ips', 'cp2rec-proxy', 'cp2rec-pal', 'cp2rec'])
      await cp2recProtocol.runJob(context(method));
    await cp2recProtocol.runJob(
      context('cp2rec', { useProxies: false, auxLoss: 'random', serveWithBias: true }),
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops with JobCancelledError when cancelled during training, leaking nothing', async () => {
    const controller = new AbortController();
    const ctx = context('cp2rec', {}, { signal: controller.signal, world: true });
    const before = tf.memory().numTensors;
    const original = ctx.emit;
    ctx.emit = (event) => {
      original(event);
      if (event.type === 'progress' && event.phase === 'train') controller.abort();
    };
    await expect(cp2recProtocol.runJob(ctx)).rejects.toBeInstanceOf(JobCancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });
});
