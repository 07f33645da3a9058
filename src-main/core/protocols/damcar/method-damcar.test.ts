import { beforeAll, describe, expect, it } from 'vitest';
import type { ParamValues } from '../../../contract/api';
import type { CascadeDataset } from '../../data/dataset';
import { initBackend } from '../../tf/backend';
import { type DamcarHooks, type HybridData, DAMCAR_DESCRIPTOR, trainDamcar } from './method-damcar';
import { curve, fakeRanking, methodContext, tinyDataset } from './test-support';

beforeAll(async () => {
  await initBackend('wasm');
});

let dataset: CascadeDataset;
beforeAll(() => {
  dataset = tinyDataset();
});

interface Observed {
  target?: Parameters<NonNullable<DamcarHooks['onTargetDomain']>>[0];
  stageOne?: Parameters<NonNullable<DamcarHooks['onStageOne']>>[0];
  hybrid?: HybridData;
}

async function run(params: ParamValues = {}, seed = 1) {
  const observed: Observed = {};
  const ctx = methodContext(dataset, { params, seed });
  const result = await trainDamcar(ctx, {
    onTargetDomain: (info) => (observed.target = info),
    onStageOne: (info) => (observed.stageOne = info),
    onHybridData: (data) => (observed.hybrid = data),
  });
  return { ctx, result, observed };
}

/** Set of "user:item" keys exposed in the training split. */
function trainExposures(): Set<string> {
  const ctx = methodContext(dataset);
  const cols = dataset.interactions;
  return new Set(Array.from(ctx.split.train, (r) => `${cols.user[r]}:${cols.item[r]}`));
}

describe('DAMCAR', () => {
  it('declares the paper defaults and Table 4 grids', () => {
    const byKey = Object.fromEntries(DAMCAR_DESCRIPTOR.params.map((p) => [p.key, p]));
    expect(byKey.radius).toMatchObject({ default: 25 });
    expect(byKey.walks).toMatchObject({ default: 50 });
    expect(byKey.comparison).toMatchObject({ default: 'gte' });
    expect(byKey.alpha).toMatchObject({ default: 0.99 });
    expect(byKey.lambda1).toMatchObject({ default: 0.5, paperGrid: [0.5, 0.6, 0.7, 0.8, 0.9] });
    expect(byKey.lambda2).toMatchObject({ default: 0.2, paperGrid: [0.1, 0.2, 0.3, 0.4, 0.5] });
    expect(byKey.lambda3).toMatchObject({ default: 0.3, paperGrid: [0.1, 0.2, 0.3, 0.4, 0.5] });
    expect(byKey.targetDomain).toMatchObject({ default: 'random-walk' });
    expect(byKey.useEma).toMatchObject({ default: true });
    expect(byKey.useMpl).toMatchObject({ default: true });
  });

  it('hybrid stage (Eq. 12): exposed positives train with label 1, everything else with the pseudo-label', async () => {
    const { observed } = await run();
    const data = observed.hybrid;
    if (!data) throw new Error('no hybrid data');
    let positives = 0;
    let softPositives = 0;
    for (let k = 0; k < data.users.length; k++) {
      const p = data.pseudoLabels[k];
      expect(p >= 0 && p <= 1).toBe(true);
      if (data.exposed[k] === 1 && data.labels[k] === 1) {
        positives++;
        expect(data.mplTargets[k]).toBe(1);
        if (p < 0.99) softPositives++;
      } else {
        expect(data.mplTargets[k]).toBe(p);
      }
    }
    expect(positives).toBeGreaterThan(0);
    // The modification matters: the generator alone does not call every exposed positive 1.
    expect(softPositives).toBeGreaterThan(0);
    // Eq. 15: the ranking model's scores, pair by pair.
    const ranking = fakeRanking();
    expect(data.rankScores).toEqual(await ranking.score(data.users, data.items));
  });

  it('w/o MPL keeps the generated pseudo-labels on exposed positives too, and trains differently', async () => {
    const full = await run();
    const ablated = await run({ useMpl: false });
    const data = ablated.observed.hybrid;
    if (!data) throw new Error('no hybrid data');
    expect(data.mplTargets).toEqual(data.pseudoLabels);
    expect(ablated.result.itemVectors).not.toEqual(full.result.itemVectors);
  });

  it('S_T = training exposures + target domain of unexposed (in training) pairs', async () => {
    const { observed } = await run();
    const data = observed.hybrid;
    const target = observed.target;
    if (!data || !target) throw new Error('hooks not called');
    const exposed = trainExposures();
    const ctx = methodContext(dataset);
    const numSource = ctx.split.train.length;
    expect(data.users.length).toBe(numSource + target.samples.users.length);
    for (let k = 0; k < data.users.length; k++) {
      const key = `${data.users[k]}:${data.items[k]}`;
      expect(data.exposed[k]).toBe(k < numSource ? 1 : 0);
      if (k >= numSource) expect(exposed.has(key), key).toBe(false);
    }
  });

  it('w/o TDG draws, per user, as many uniformly random unexposed items as the random walks keep', async () => {
    const walk = await run();
    const random = await run({ targetDomain: 'random' });
    const walkTarget = walk.observed.target;
    const randomTarget = random.observed.target;
    if (!walkTarget || !randomTarget) throw new Error('hooks not called');
    expect(randomTarget.mode).toBe('random');
    expect(randomTarget.randomWalkCounts).toEqual(walkTarget.randomWalkCounts);
    const perUser = (users: Int32Array) => {
      const counts = new Int32Array(dataset.numUsers);
      for (const u of users) counts[u]++;
      return counts;
    };
    expect(perUser(walkTarget.samples.users)).toEqual(walkTarget.randomWalkCounts);
    expect(perUser(randomTarget.samples.users)).toEqual(walkTarget.randomWalkCounts);
    const exposed = trainExposures();
    for (let k = 0; k < randomTarget.samples.users.length; k++)
      expect(exposed.has(`${randomTarget.samples.users[k]}:${randomTarget.samples.items[k]}`)).toBe(false);
    // A different sample: the random walk prefers items close to the user in the graph.
    expect(randomTarget.samples.items).not.toEqual(walkTarget.samples.items);
    expect(random.result.itemVectors).not.toEqual(walk.result.itemVectors);
  });

  it('w/o EMA has no teacher: no Eq. 9 steps, no L_sup, and lambda1 has no effect', async () => {
    const withEma = await run();
    const stageOne = withEma.observed.stageOne;
    if (!stageOne) throw new Error('hook not called');
    expect(stageOne.hasTeacher).toBe(true);
    expect(stageOne.steps).toBeGreaterThan(0);
    expect(stageOne.teacherSteps).toBe(stageOne.steps);
    expect(curve(withEma.ctx.events, 'damcar/L_sup').length).toBe(2);

    const noEma = await run({ useEma: false });
    expect(noEma.observed.stageOne).toMatchObject({ hasTeacher: false, teacherSteps: 0 });
    expect(curve(noEma.ctx.events, 'damcar/L_sup')).toEqual([]);
    const noEmaOtherLambda1 = await run({ useEma: false, lambda1: 0.9 });
    expect(noEmaOtherLambda1.result.itemVectors).toEqual(noEma.result.itemVectors);
    // With the teacher, lambda1 weighs L_sup and changes the result.
    const otherLambda1 = await run({ lambda1: 0.9 });
    expect(otherLambda1.result.itemVectors).not.toEqual(withEma.result.itemVectors);
  });

  it('the loss weights and switches change training: lambda2, lambda3, adversary, target label path', async () => {
    const base = await run();
    const variants: ParamValues[] = [
      { lambda2: 0.5 },
      { lambda3: 0.5 },
      { adversary: 'unbounded' },
      { targetLabelPath: 'direct' },
    ];
    for (const params of variants) {
      const other = await run(params);
      expect(other.result.itemVectors, JSON.stringify(params)).not.toEqual(base.result.itemVectors);
    }
    // lambda3 = 0 drops L_con from Eq. 17, leaving L_train = L_mpl.
    const noCon = await run({ lambda3: 0 });
    const train = curve(noCon.ctx.events, 'damcar/L_train');
    const mpl = curve(noCon.ctx.events, 'damcar/L_mpl');
    train.forEach((v, k) => expect(v).toBeCloseTo(mpl[k], 5));
  });
});
