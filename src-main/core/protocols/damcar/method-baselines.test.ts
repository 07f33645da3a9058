/** What distinguishes KD, TL, AR and MUDA (the shared checks are in methods.test.ts). */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CascadeDataset } from '../../data/dataset';
import type { RankingScorer } from './methods';
import { initBackend } from '../../tf/backend';
import { arMethod } from './method-ar';
import { bcMethod } from './method-bc';
import { kdMethod } from './method-kd';
import { mudaMethod } from './method-muda';
import { curve, fakeRanking, methodContext, tinyDataset } from './test-support';
import { tlMethod } from './method-tl';
import { unexposedPool } from './unexposed';

beforeAll(async () => {
  await initBackend('wasm');
});

let dataset: CascadeDataset;
beforeAll(() => {
  dataset = tinyDataset();
});

function constantRanking(p: number): RankingScorer {
  return { name: 'Constant', score: async (users) => new Float32Array(users.length).fill(p) };
}

function logMessages(ctx: ReturnType<typeof methodContext>): string[] {
  return ctx.events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
}

describe('KD', () => {
  it('labels exposed data with the ranking scores; labelWeight 1 is exactly BC', async () => {
    const bc = await bcMethod.train(methodContext(dataset));
    const kdAsBc = await kdMethod.train(methodContext(dataset, { params: { labelWeight: 1 } }));
    expect(kdAsBc.userVectors).toEqual(bc.userVectors);
    expect(kdAsBc.itemVectors).toEqual(bc.itemVectors);
    const ranking = fakeRanking();
    const kd = await kdMethod.train(methodContext(dataset, { ranking }));
    expect(kd.itemVectors).not.toEqual(bc.itemVectors);
    expect(ranking.calls).toBeGreaterThan(0);
    // Distillation from a constant teacher fits that constant: sigmoid(score) -> 0.8 everywhere.
    const ctx = methodContext(dataset, { ranking: constantRanking(0.8), training: { epochs: 6 } });
    await kdMethod.train(ctx);
    const losses = curve(ctx.events, 'kd/L_kd');
    const entropy = -(0.8 * Math.log(0.8) + 0.2 * Math.log(0.2));
    // Cross-entropy against a soft label of 0.8 is at least its entropy, and gets close to it.
    for (const loss of losses) expect(loss).toBeGreaterThan(entropy - 1e-4);
    expect(losses[losses.length - 1]).toBeLessThan(entropy + 0.01);
  });
});

describe('TL', () => {
  it('pre-trains as BC, then moves only the item side', async () => {
    const bcContext = methodContext(dataset);
    const bc = await bcMethod.train(bcContext);
    const ctx = methodContext(dataset);
    const tl = await tlMethod.train(ctx);
    // The user tower and user embeddings are frozen after BC pre-training (same seed streams).
    expect(tl.userVectors).toEqual(bc.userVectors);
    expect(tl.itemVectors).not.toEqual(bc.itemVectors);
    expect(curve(ctx.events, 'tl/L_bce')).toEqual(curve(bcContext.events, 'train/bce'));
    expect(curve(ctx.events, 'tl/L_finetune')).toHaveLength(1);
    const twoEpochs = await tlMethod.train(methodContext(dataset, { params: { fineTuneEpochs: 2 } }));
    expect(twoEpochs.itemVectors).not.toEqual(tl.itemVectors);
  });
});

describe('MUDA', () => {
  it('binarises the ranking scores at the threshold', async () => {
    const poolSize = unexposedPool(methodContext(dataset), 1).users.length;
    const above = methodContext(dataset, { ranking: constantRanking(0.6), params: { threshold: 0.5 } });
    const a = await mudaMethod.train(above);
    expect(logMessages(above).some((m) => m.includes(`${poolSize} unexposed pseudo-positives`))).toBe(true);
    const below = methodContext(dataset, { ranking: constantRanking(0.6), params: { threshold: 0.7 } });
    const b = await mudaMethod.train(below);
    expect(logMessages(below).some((m) => m.includes(' 0 unexposed pseudo-positives'))).toBe(true);
    expect(a.itemVectors).not.toEqual(b.itemVectors);
    // Only the binarised label matters: 0.9 and 0.6 are both "1" at threshold 0.5.
    const same = await mudaMethod.train(
      methodContext(dataset, { ranking: constantRanking(0.9), params: { threshold: 0.5 } }),
    );
    expect(same.itemVectors).toEqual(a.itemVectors);
  });
});

describe('AR', () => {
  it('trains a domain classifier against the towers; its weight changes the result', async () => {
    const ctx = methodContext(dataset, { training: { epochs: 3 } });
    const ar = await arMethod.train(ctx);
    const bce = curve(ctx.events, 'ar/L_bce');
    const dom = curve(ctx.events, 'ar/L_dom');
    expect(bce).toHaveLength(3);
    expect(dom).toHaveLength(3);
    // Both domains feed the classifier: L_dom is two BCE means, each log 2 at chance.
    expect(dom.every((d) => d > 0)).toBe(true);
    const other = await arMethod.train(
      methodContext(dataset, { params: { adversarialWeight: 0.5 }, training: { epochs: 3 } }),
    );
    expect(other.itemVectors).not.toEqual(ar.itemVectors);
    // It does not need a ranking model.
    const noRanking = await arMethod.train(
      methodContext(dataset, { ranking: null, training: { epochs: 3 } }),
    );
    expect(noRanking.itemVectors).toEqual(ar.itemVectors);
  });
});
