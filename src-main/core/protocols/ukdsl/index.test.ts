/**
 * End-to-end checks of the UKDSL testbed: tiny jobs of every method family, no tensor leaks,
 * cancellation, no dependence of training on test labels or ground truth, stored-data columns.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentSpec, ParamValues } from '../../../contract/api';
import { resolveSimulatorParams } from '../../data/simulator';
import { JobCancelledError } from '../../experiments/job';
import { tinyDataset } from '../test-support';
import { initBackend } from '../../tf/backend';
import { protocolTestContext } from '../test-support';
import { funnelParamsOf, simulateFunnel } from './funnel';
import { clearUkdslCaches } from './cache';
import { M } from './metrics';
import { runOnFunnel } from './train';
import { ukdslProtocol } from './index';

beforeAll(async () => {
  await initBackend('wasm');
});

const SIMULATOR = {
  users: 120,
  items: 300,
  categories: 6,
  latentDim: 8,
  exposuresPerUser: 20,
  candidatesPerRequest: 20,
  exposedPerRequest: 5,
};
const TRAINING = { epochs: 3, batchSize: 128, learningRate: 0.02, embeddingDim: 8 };

function protocolParams(overrides: ParamValues = {}): ParamValues {
  const values: ParamValues = Object.fromEntries(
    ukdslProtocol.descriptor.params.map((p) => [p.key, p.default]),
  );
  return { ...values, poolSize: 60, unlabeledSampleRate: 0.5, ...overrides };
}

function methodParams(id: string, overrides: ParamValues = {}): ParamValues {
  const descriptor = ukdslProtocol.methods.find((m) => m.id === id);
  if (!descriptor) throw new Error(`no method ${id}`);
  return { ...Object.fromEntries(descriptor.params.map((p) => [p.key, p.default])), ...overrides };
}

function context(
  id: string,
  params: ParamValues = {},
  extra: { signal?: AbortSignal; seed?: number; protocolParams?: ParamValues } = {},
) {
  return protocolTestContext({
    protocol: 'ukdsl',
    method: id,
    params: methodParams(id, params),
    protocolParams: protocolParams(extra.protocolParams),
    simulator: SIMULATOR,
    training: TRAINING,
    ...extra,
  });
}

describe('UKDSL protocol module', () => {
  it('declares its methods in table order with valid defaults', () => {
    expect(ukdslProtocol.descriptor.methods).toEqual([
      'ukdsl-sim',
      'ukdsl-baseline',
      'ukdsl',
      'ukdsl-ssfs',
      'ukdsl-sslfm',
    ]);
    for (const m of ukdslProtocol.methods) {
      expect(m.protocol).toBe('ukdsl');
      for (const p of m.params) {
        if (p.kind !== 'number') continue;
        expect(p.default).toBeGreaterThanOrEqual(p.min);
        expect(p.default).toBeLessThanOrEqual(p.max);
        for (const v of p.paperGrid ?? []) expect(v >= p.min && v <= p.max).toBe(true);
      }
    }
  });

  it('groups its columns and drops the ground-truth ones for stored data', () => {
    const spec = { methods: [{ id: 'ukdsl-baseline' }, { id: 'ukdsl' }], seeds: [1] } as ExperimentSpec;
    const simulated = ukdslProtocol.columns(spec, true).map((c) => c.key);
    expect(simulated).toEqual(
      expect.arrayContaining([M.calImp, M.calCdTeacher, M.calCdTruth, M.dNeImp, M.neCdTruth, M.aucCdTruth]),
    );
    const stored = ukdslProtocol.columns(spec, false).map((c) => c.key);
    expect(stored).not.toContain(M.calCdTruth);
    expect(stored).not.toContain(M.aucCdTruth);
    expect(stored).toContain(M.calCdTeacher);
    expect(
      ukdslProtocol.columns({ ...spec, methods: [{ id: 'ukdsl-sim' }] }, true).map((c) => c.key),
    ).toContain(M.simCross);
  });
});

describe('UKDSL jobs', () => {
  it('Table 1: the baseline is over-calibrated on consideration data and distillation reduces it, without leaking tensors', async () => {
    clearUkdslCaches();
    const before = tf.memory().numTensors;
    const baselineCtx = context('ukdsl-baseline');
    const baseline = await ukdslProtocol.runJob(baselineCtx);
    const ukdslCtx = context('ukdsl');
    const ukdsl = await ukdslProtocol.runJob(ukdslCtx);
    expect(tf.memory().numTensors).toBe(before);
    for (const metrics of [baseline, ukdsl]) {
      for (const [key, value] of Object.entries(metrics)) expect(Number.isFinite(value), key).toBe(true);
      expect(metrics[M.aucImp]).toBeGreaterThan(0.55);
      expect(metrics[M.aucImp]).toBeLessThanOrEqual(1);
      expect(metrics[M.neImp]).toBeGreaterThan(0);
    }
    expect(baseline[M.dNeImp]).toBe(0);
    // Section 3.2's miscalibration, and UKDSL's correction of it (against the truth and the later stage).
    expect(baseline[M.calCdTruth]).toBeGreaterThan(1.2);
    expect(ukdsl[M.calCdTruth]).toBeLessThan(baseline[M.calCdTruth]);
    expect(ukdsl[M.calCdTeacher]).toBeLessThan(baseline[M.calCdTeacher]);
    expect(ukdsl[M.dNeCdTeacher]).toBeLessThan(0);
    // Curves per loss term and monotone progress.
    const curves = new Set(ukdslCtx.events.flatMap((e) => (e.type === 'curve' ? [e.name] : [])));
    expect(curves).toEqual(new Set(['ukdsl/L_total', 'ukdsl/L_main_imp', 'ukdsl/L_main_cd']));
    const fractions = ukdslCtx.events.flatMap((e) =>
      e.type === 'progress' && e.phase === 'train' ? [e.fraction] : [],
    );
    for (let k = 1; k < fractions.length; k++) expect(fractions[k]).toBeGreaterThanOrEqual(fractions[k - 1]);
    expect(fractions[fractions.length - 1]).toBeCloseTo(1, 10);
  });

  it('gives every model the same optimizer steps under the equal-steps budget, more for more rows under equal epochs', async () => {
    const stepsOf = async (trainingBudget: string) => {
      clearUkdslCaches();
      const ctx = context('ukdsl', {}, { protocolParams: { trainingBudget } });
      await ukdslProtocol.runJob(ctx);
      // Steps per epoch of each model: the later stage, the baseline (impressions) and the student (mixed).
      return new Set(
        ctx.events.flatMap((e) => (e.type === 'progress' && e.phase === 'train' ? [e.stepsPerEpoch] : [])),
      ).size;
    };
    expect(await stepsOf('equal-steps')).toBe(1);
    expect(await stepsOf('equal-epochs')).toBe(2);
  });

  it('Tables 2 and 3: feature selection and foundation distillation run and report their reference change', async () => {
    clearUkdslCaches();
    const before = tf.memory().numTensors;
    const union = await ukdslProtocol.runJob(context('ukdsl-ssfs', { combine: 'union', featuresKept: 2 }));
    const imp = await ukdslProtocol.runJob(context('ukdsl-ssfs', { combine: 'imp', featuresKept: 2 }));
    expect(imp[M.dNeImp]).toBe(0);
    expect(imp[M.features]).toBe(2);
    expect(union[M.features]).toBeGreaterThanOrEqual(2);
    expect(union[M.features]).toBeLessThanOrEqual(4);
    const sslfmCtx = context('ukdsl-sslfm');
    const sslfm = await ukdslProtocol.runJob(sslfmCtx);
    const base = await ukdslProtocol.runJob(
      context('ukdsl-sslfm', { dependentTask: false, auxiliaryTask: false }),
    );
    expect(base[M.dNeImp]).toBe(0);
    for (const metrics of [union, sslfm]) {
      for (const [key, value] of Object.entries(metrics)) expect(Number.isFinite(value), key).toBe(true);
      expect(metrics[M.aucImp]).toBeGreaterThan(0.55);
    }
    const curves = new Set(sslfmCtx.events.flatMap((e) => (e.type === 'curve' ? [e.name] : [])));
    expect([...curves]).toEqual(
      expect.arrayContaining(['ukdsl-sslfm/L_main_imp', 'ukdsl-sslfm/L_dep_cd', 'ukdsl-sslfm/L_aux_cd']),
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Section 3.2 simulation runs without data', async () => {
    const metrics = await ukdslProtocol.runJob(context('ukdsl-sim', { trials: 50 }));
    expect(metrics[M.simFirst]).toBeGreaterThan(1.05);
    expect(Math.abs(metrics[M.simSecond] - 1)).toBeLessThan(0.05);
  });

  it('never trains on test labels or the ground truth', async () => {
    const ctx = context('ukdsl');
    const sim = resolveSimulatorParams({ ...SIMULATOR, seed: 3 });
    const original = simulateFunnel(sim, funnelParamsOf(protocolParams()));
    const scrambled = simulateFunnel(sim, funnelParamsOf(protocolParams()));
    const truth = scrambled.truth;
    if (!truth) throw new Error('no truth');
    // Flip the labels of test rows and replace the ground truth: the models must not change.
    for (let k = 0; k < scrambled.data.rows; k++) {
      if (scrambled.data.split[k] === 2) scrambled.data.label[k] = 1 - scrambled.data.label[k];
      truth.probability[k] = 0.5;
      truth.label[k] = 1 - truth.label[k];
    }
    clearUkdslCaches();
    const a = await runOnFunnel(ctx, original, 'original');
    const b = await runOnFunnel(context('ukdsl'), scrambled, 'scrambled');
    // Metrics against the later-stage model on unlabelled test rows depend on the models only.
    expect(b[M.calCdTeacher]).toBe(a[M.calCdTeacher]);
    expect(b[M.neCdTeacher]).toBe(a[M.neCdTeacher]);
    expect(b[M.neImp]).not.toBe(a[M.neImp]);
  });

  it('runs on a stored exposure log without ground-truth metrics', async () => {
    const ctx = context('ukdsl');
    // As runJob sees a stored dataset: the exposure log comes from materializeDataset().
    ctx.request = { ...ctx.request, dataset: { kind: 'stored', datasetId: 7, path: '/nonexistent' } };
    ctx.materializeDataset = () => tinyDataset();
    clearUkdslCaches();
    const before = tf.memory().numTensors;
    const metrics = await ukdslProtocol.runJob(ctx);
    const datasetEvent = ctx.events.find((e) => e.type === 'dataset');
    expect(datasetEvent && datasetEvent.type === 'dataset' && datasetEvent.hasGroundTruth).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    expect(metrics[M.calCdTruth]).toBeUndefined();
    expect(metrics[M.aucCdTruth]).toBeUndefined();
    for (const key of [M.calImp, M.calCdTeacher, M.neImp, M.neCdTeacher, M.aucImp])
      expect(Number.isFinite(metrics[key]), key).toBe(true);
  });

  it('stops with JobCancelledError when cancelled, without leaking tensors', async () => {
    clearUkdslCaches();
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const ctx = context('ukdsl', {}, { signal: controller.signal });
    const inner = ctx.emit;
    ctx.emit = (event) => {
      inner(event);
      if (event.type === 'progress' && event.phase === 'train') controller.abort();
    };
    await expect(ukdslProtocol.runJob(ctx)).rejects.toBeInstanceOf(JobCancelledError);
    expect(tf.memory().numTensors).toBe(before);
    // A cancelled computation is not cached: the next job trains from scratch and finishes.
    const metrics = await ukdslProtocol.runJob(context('ukdsl'));
    expect(Number.isFinite(metrics[M.neImp])).toBe(true);
  });
});
