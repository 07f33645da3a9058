/** End-to-end KEEP jobs on a small simulated world: metrics, curves, pairing with Base, leaks, cancel. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ParamValues } from '../../../contract/api';
import { JobCancelledError } from '../../experiments/job';
import { initBackend } from '../../tf/backend';
import { protocolTestContext } from '../test-support';
import { keepProtocol } from './index';
import { TINY_KEEP_PARAMS, TINY_STOPPING } from './test-support';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A world a little larger than the tiny one, so GAUC differences are not all noise. */
const SIMULATOR = { users: 160, items: 240, latentDim: 4, exposuresPerUser: 20, candidatesPerRequest: 40 };
const PROTOCOL: ParamValues = {
  ...TINY_KEEP_PARAMS,
  ...TINY_STOPPING,
  targetItemShare: 0.3,
  pretrainImpressions: 60,
  concurrentImpressions: 20,
};

function paramsOf(method: string, overrides: ParamValues = {}): ParamValues {
  const descriptor = keepProtocol.methods.find((m) => m.id === method);
  if (!descriptor) throw new Error(`no method ${method}`);
  return Object.fromEntries(descriptor.params.map((p) => [p.key, overrides[p.key] ?? p.default]));
}

function context(method: string, overrides: ParamValues = {}, signal?: AbortSignal) {
  return protocolTestContext({
    protocol: 'keep',
    method,
    params: paramsOf(method, overrides),
    protocolParams: PROTOCOL,
    simulator: SIMULATOR,
    training: { epochs: 3, batchSize: 128, learningRate: 0.05, embeddingDim: 8 },
    signal,
  });
}

const results: Record<string, Record<string, number>> = {};

describe('KEEP protocol', () => {
  it('describes its methods in Table 2 order and its columns', () => {
    expect(keepProtocol.descriptor.methods).toEqual(['keep-base', 'keep-sample-merging', 'keep-c', 'keep']);
    expect(keepProtocol.methods.every((m) => m.protocol === 'keep')).toBe(true);
    const spec = context('keep').request.spec;
    expect(keepProtocol.columns(spec, true).map((c) => c.key)).toEqual([
      'GAUC',
      'Improv.',
      'AUC',
      'GT-GAUC',
      'GT Improv.',
      'GAUC Q1',
      'GAUC Q2',
      'GAUC Q3',
      'GAUC Q4',
    ]);
    expect(keepProtocol.columns(spec, false).map((c) => c.key)).not.toContain('GT-GAUC');
    expect(keepProtocol.caption(spec)).toMatch(/GAUC/);
    for (const p of [...keepProtocol.descriptor.params, ...keepProtocol.methods.flatMap((m) => m.params)]) {
      if (p.kind !== 'number') continue;
      expect(p.default, p.key).toBeGreaterThanOrEqual(p.min);
      expect(p.default, p.key).toBeLessThanOrEqual(p.max);
      for (const v of p.paperGrid ?? []) expect(v >= p.min && v <= p.max, p.key).toBe(true);
    }
  });

  it.each(['keep-base', 'keep-sample-merging', 'keep-c', 'keep'])(
    '%s trains, reports finite metrics in range and beats a random scorer',
    async (method) => {
      const ctx = context(method);
      const before = tf.memory().numTensors;
      const metrics = await keepProtocol.runJob(ctx);
      expect(tf.memory().numTensors).toBe(before);
      results[method] = metrics;
      for (const key of keepProtocol.columns(ctx.request.spec, true).map((c) => c.key)) {
        expect(Number.isFinite(metrics[key])).toBe(true);
        expect(metrics[key]).toBeGreaterThanOrEqual(key.endsWith('Improv.') ? -1 : 0);
        expect(metrics[key]).toBeLessThanOrEqual(1);
      }
      // A random scorer has GT-GAUC 0.5 in expectation.
      expect(metrics['GT-GAUC']).toBeGreaterThan(0.55);
      const curves = new Set(ctx.events.flatMap((e) => (e.type === 'curve' ? [e.name] : [])));
      expect(curves).toContain(`${method}/downstream/train`);
      expect(curves).toContain(`${method}/downstream/valid-gauc`);
      if (method !== 'keep-base') expect(curves).toContain(`${method}/base/valid-gauc`);
      // Every downstream model stops under the same rule: at most maxSteps, best step no later.
      expect(metrics['Stop step']).toBeLessThanOrEqual(TINY_STOPPING.maxSteps);
      expect(metrics['Best step']).toBeGreaterThan(0);
      expect(metrics['Best step']).toBeLessThanOrEqual(metrics['Stop step']);
      if (method === 'keep' || method === 'keep-c') {
        for (const task of ['click', 'conversion', 'cart'])
          for (const term of ['point', 'pair'])
            expect(curves).toContain(`${method}/pretrain/${task}/${term}`);
      }
      const phases = ctx.events.flatMap((e) => (e.type === 'timing' ? [e.phase] : []));
      expect(phases).toEqual(['data', 'train', 'eval']);
      const fractions = ctx.events.flatMap((e) =>
        e.type === 'progress' && e.phase === 'train' ? [e.fraction] : [],
      );
      expect(fractions.every((f, k) => k === 0 || f >= fractions[k - 1] - 1e-9)).toBe(true);
      expect(fractions[fractions.length - 1]).toBeCloseTo(1, 6);
    },
    60_000,
  );

  it('reports Improv. against the Base of the same seed', () => {
    expect(results['keep-base']['Improv.']).toBe(0);
    for (const method of ['keep-sample-merging', 'keep-c', 'keep'])
      expect(results[method].GAUC - results[method]['Improv.']).toBeCloseTo(results['keep-base'].GAUC, 10);
  });

  it('runs the serving forms and ablations, and with every knowledge part off it is Base', async () => {
    const before = tf.memory().numTensors;
    const both = await keepProtocol.runJob(
      context('keep', { knowledgeForm: 'decomposition+degeneration', plugLayer: 3 }),
    );
    expect(Number.isFinite(both.GAUC)).toBe(true);
    const none = await keepProtocol.runJob(
      context('keep', { userKnowledge: false, itemKnowledge: false, interactionKnowledge: false }),
    );
    // Table 3's first row: no knowledge part is Base itself (same data, seed and random stream).
    expect(none.GAUC).toBe(results['keep-base'].GAUC);
    expect(none['Improv.']).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    await expect(
      keepProtocol.runJob(context('keep', { clickTask: false, conversionTask: false, cartTask: false })),
    ).rejects.toThrow(/params\.clickTask/);
  }, 60_000);

  it("starts KEEP's downstream model from Base's initialisation and batch order (common random numbers)", async () => {
    /** The first training step's loss (a curve point per step) of Base and of the method's own model. */
    const firstLosses = async (plugInInit: string) => {
      const ctx = context('keep', { plugInInit });
      ctx.protocolParams = { ...PROTOCOL, maxSteps: 2, evalEvery: 1, patience: 1 };
      await keepProtocol.runJob(ctx);
      const first = (name: string) =>
        ctx.events.find((e) => e.type === 'curve' && e.name === name && e.step === 1);
      const base = first('keep/base/train');
      const own = first('keep/downstream/train');
      if (base?.type !== 'curve' || own?.type !== 'curve') throw new Error('no first-step curve point');
      return { base: base.value, own: own.value };
    };
    // The zero plug-in adds nothing at the first step, so the same weights on the same batch give
    // the same loss, to the bit; a random plug-in changes the first step's output.
    const zero = await firstLosses('zero');
    expect(zero.own).toBe(zero.base);
    const random = await firstLosses('random');
    expect(random.own).not.toBe(random.base);
    expect(random.base).toBe(zero.base);
  }, 60_000);

  it('stops with JobCancelledError when cancelled during training', async () => {
    const controller = new AbortController();
    const ctx = context('keep', {}, controller.signal);
    const emit = ctx.emit;
    ctx.emit = (event) => {
      emit(event);
      if (event.type === 'progress' && event.phase === 'train') controller.abort();
    };
    const before = tf.memory().numTensors;
    await expect(keepProtocol.runJob(ctx)).rejects.toBeInstanceOf(JobCancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('derives the domains from a stored exposure log (no ground truth there)', async () => {
    const ctx = context('keep', { conversionTask: false });
    const world = ctx.materializeDataset();
    ctx.request = { ...ctx.request, dataset: { kind: 'stored', datasetId: 1, path: '/nowhere' } };
    ctx.materializeDataset = () => ({ ...world, groundTruth: undefined });
    const metrics = await keepProtocol.runJob(ctx);
    expect(metrics['GT-GAUC']).toBeUndefined();
    expect(metrics.GAUC).toBeGreaterThan(0);
    expect(metrics.GAUC).toBeLessThan(1);
    const logs = ctx.events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(logs.some((m) => /super-domain: \d+ pre-training \+ \d+ concurrent impressions/.test(m))).toBe(
      true,
    );
  }, 60_000);

  it('refuses a stored dataset it cannot derive a sub-domain from, naming the dataset', async () => {
    const ctx = context('keep-base');
    ctx.protocolParams = { ...PROTOCOL, targetItemShare: 0.02 };
    const world = ctx.materializeDataset();
    ctx.request = { ...ctx.request, dataset: { kind: 'stored', datasetId: 1, path: '/nowhere' } };
    ctx.materializeDataset = () => ({
      ...world,
      groundTruth: undefined,
      interactions: {
        ...world.interactions,
        item: new Int32Array(world.interactions.item.length).fill(0),
      },
    });
    await expect(keepProtocol.runJob(ctx)).rejects.toThrow(/^dataset: /);
  });
});
