/**
 * Method-level checks shared by BC, KD, TL, AR, MUDA and DAMCAR: each trains on a tiny simulated
 * cascade without leaking tensors, is deterministic for a seed, trains on the training split
 * only, reports progress, curves and the Figure 5 histogram, and fails clearly without the
 * ranking model it needs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CascadeDataset } from '../../data/dataset';
import { initBackend } from '../../tf/backend';
import { TARGET_HISTOGRAM_NAME } from './method-common';
import { getMethod, listMethods } from './methods';
import { curve, methodContext, tinyDataset } from './test-support';
import { TARGET_DOMAIN_DEFAULTS, targetDomainPairs } from './unexposed';

beforeAll(async () => {
  await initBackend('wasm');
});

const ALL = ['bc', 'kd', 'tl', 'ar', 'muda', 'damcar'];
/** The per-epoch loss curves each method must emit. */
const CURVES: Record<string, string[]> = {
  bc: ['train/bce', 'valid/bce'],
  kd: ['kd/L_kd', 'valid/bce'],
  tl: ['tl/L_bce', 'tl/L_finetune'],
  ar: ['ar/L_total', 'ar/L_bce', 'ar/L_dom', 'valid/bce'],
  muda: ['muda/L_bce', 'muda/L_exposed', 'muda/L_unexposed', 'valid/bce'],
  damcar: [
    'damcar/L_total',
    'damcar/L_ce',
    'damcar/L_sup',
    'damcar/L_dom',
    'damcar/L_train',
    'damcar/L_mpl',
    'damcar/L_con',
    'valid/bce',
  ],
};

let dataset: CascadeDataset;
beforeAll(() => {
  dataset = tinyDataset();
});

/** Flips the labels and watch times of the valid and test rows (a copy of the dataset). */
function withScrambledHeldOut(source: CascadeDataset): CascadeDataset {
  const ctx = methodContext(source);
  const cols = source.interactions;
  const label = Uint8Array.from(cols.label);
  const watchTime = Float32Array.from(cols.watchTime);
  for (const rows of [ctx.split.valid, ctx.split.test]) {
    for (const r of rows) {
      label[r] = 1 - label[r];
      watchTime[r] = watchTime[r] > 0 ? 0 : 7;
    }
  }
  return { ...source, interactions: { ...cols, label, watchTime } };
}

describe('the registered retrieval methods', () => {
  it('are all registered with complete descriptors', () => {
    expect(listMethods().map((m) => m.id)).toEqual(ALL);
    for (const d of listMethods()) {
      expect(d.stage).toBe('retrieval');
      expect(d.paper).toMatch(/DAMCAR/);
      expect(d.equations.length).toBeGreaterThan(0);
      for (const p of d.params) {
        if (p.kind !== 'number') continue;
        expect(p.default, `${d.id}.${p.key}`).toBeGreaterThanOrEqual(p.min);
        expect(p.default, `${d.id}.${p.key}`).toBeLessThanOrEqual(p.max);
        for (const v of p.paperGrid ?? [])
          expect(v >= p.min && v <= p.max, `${d.id}.${p.key} grid`).toBe(true);
      }
    }
  });

  for (const id of ALL) {
    describe(id, () => {
      it('trains without leaking tensors, deterministically, with curves, progress and the histogram', async () => {
        const method = getMethod(id);
        if (!method) throw new Error(`${id} is not registered`);
        const before = tf.memory().numTensors;
        const ctx = methodContext(dataset);
        const first = await method.train(ctx);
        expect(tf.memory().numTensors).toBe(before);
        expect(first.dim).toBe(100);
        expect(first.userVectors.length).toBe(dataset.numUsers * 100);
        expect(first.itemVectors.length).toBe(dataset.numItems * 100);
        expect(first.userVectors.every(Number.isFinite)).toBe(true);
        expect(first.itemVectors.every(Number.isFinite)).toBe(true);

        const again = await method.train(methodContext(dataset));
        expect(again.userVectors).toEqual(first.userVectors);
        expect(again.itemVectors).toEqual(first.itemVectors);
        const otherSeed = await method.train(methodContext(dataset, { seed: 2 }));
        expect(otherSeed.itemVectors).not.toEqual(first.itemVectors);

        for (const name of CURVES[id]) {
          const values = curve(ctx.events, name);
          expect(values.length, name).toBeGreaterThan(0);
          expect(values.every(Number.isFinite), name).toBe(true);
        }
        const fractions = ctx.events.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
        expect(fractions.length).toBeGreaterThan(0);
        for (let k = 1; k < fractions.length; k++)
          expect(fractions[k]).toBeGreaterThanOrEqual(fractions[k - 1]);
        expect(fractions[fractions.length - 1]).toBeCloseTo(1, 10);

        const histograms = ctx.events.filter((e) => e.type === 'histogram');
        expect(histograms).toHaveLength(1);
        const histogram = histograms[0];
        if (histogram.type !== 'histogram') throw new Error('unreachable');
        expect(histogram.name).toBe(TARGET_HISTOGRAM_NAME);
        expect(histogram.edges).toHaveLength(histogram.counts.length + 1);
        expect(histogram.edges[0]).toBe(0);
        expect(histogram.edges[histogram.edges.length - 1]).toBe(1);
        // Over the random-walk target domain at the defaults (the same samples for every method).
        const samples = targetDomainPairs(methodContext(dataset), TARGET_DOMAIN_DEFAULTS);
        expect(samples.users.length).toBeGreaterThan(0);
        expect(histogram.counts.reduce((a, b) => a + b, 0)).toBe(samples.users.length);
      });

      it('trains on the training split only: scrambled valid/test rows change nothing', async () => {
        const method = getMethod(id);
        if (!method) throw new Error(`${id} is not registered`);
        const original = await method.train(methodContext(dataset, { training: { epochs: 1 } }));
        const scrambled = await method.train(
          methodContext(withScrambledHeldOut(dataset), { training: { epochs: 1 } }),
        );
        expect(scrambled.userVectors).toEqual(original.userVectors);
        expect(scrambled.itemVectors).toEqual(original.itemVectors);
      });

      // What a method declares (readsRanking) is what it does: the run acquires the model by it.
      if (getMethod(id)?.readsRanking) {
        it('throws a clear error without a ranking model', async () => {
          const method = getMethod(id);
          if (!method) throw new Error(`${id} is not registered`);
          const before = tf.memory().numTensors;
          await expect(method.train(methodContext(dataset, { ranking: null }))).rejects.toThrow(
            /needs a ranking model.*spec\.ranking\.model/,
          );
          expect(tf.memory().numTensors).toBe(before);
        });
      } else {
        it('runs without a ranking model', async () => {
          const method = getMethod(id);
          if (!method) throw new Error(`${id} is not registered`);
          const result = await method.train(
            methodContext(dataset, { ranking: null, training: { epochs: 1 } }),
          );
          expect(result.userVectors.every(Number.isFinite)).toBe(true);
        });
      }
    });
  }
});

describe('method registry', () => {
  it('lists BC with a complete descriptor and finds it by id', () => {
    const methods = listMethods();
    expect(methods.map((m) => m.id)).toContain('bc');
    const bc = getMethod('bc');
    expect(bc?.descriptor).toMatchObject({ id: 'bc', name: 'BC', stage: 'retrieval' });
    expect(bc?.descriptor.paper).toMatch(/DAMCAR/);
    expect(bc?.descriptor.params).toEqual([]);
    expect(getMethod('nope')).toBeUndefined();
    // Ids are unique.
    expect(new Set(methods.map((m) => m.id)).size).toBe(methods.length);
  });
});
