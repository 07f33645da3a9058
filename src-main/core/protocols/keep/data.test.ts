import { describe, expect, it } from 'vitest';
import { type CascadeDataset, createCascadeDataset } from '../../data/dataset';
import { resolveSimulatorParams, simulateCascade } from '../../data/simulator';
import { TINY_SIMULATOR } from '../test-support';
import {
  DEFAULT_KEEP_DATA_PARAMS,
  type KeepData,
  keepDataFromLog,
  keepDataParams,
  simulateKeepData,
} from './data';
import { TINY_KEEP_PARAMS, tinyKeepData } from './test-support';

const pairsOf = (log: { user: Int32Array; item: Int32Array }) =>
  new Set(Array.from(log.user, (u, r) => `${u}:${log.item[r]}`));

describe('KEEP simulated domains', () => {
  const data: KeepData = tinyKeepData();

  it('is a function of the simulator and protocol parameters only', () => {
    const again = tinyKeepData();
    expect(again.superPretrain).toEqual(data.superPretrain);
    expect(again.targetTest).toEqual(data.targetTest);
    const other = tinyKeepData({ domainShift: 2 });
    expect(other.targetTrain.item).toEqual(data.targetTrain.item);
    expect(other.targetTrain.click).not.toEqual(data.targetTrain.click);
  });

  it('has the requested sizes, windows without repeated pairs and a disjoint test window', () => {
    const users = 60;
    expect(data.superPretrain.user.length).toBe(users * 40);
    expect(data.superConcurrent.user.length).toBe(users * 16);
    const targetUsers = new Set(data.targetTrain.user);
    expect(targetUsers.size).toBe(30);
    expect(data.targetTrain.user.length).toBe(30 * 8);
    expect(data.targetTest.user.length).toBe(30 * 8);
    const pretrain = pairsOf(data.superPretrain);
    expect(pretrain.size).toBe(data.superPretrain.user.length);
    for (const p of pairsOf(data.superConcurrent)) expect(pretrain.has(p)).toBe(false);
    const train = pairsOf(data.targetTrain);
    for (const p of pairsOf(data.targetTest)) expect(train.has(p)).toBe(false);
    // The sub-domain is a subset of the items (the ads), half of them here.
    const targetItems = new Set([...data.targetTrain.item, ...data.targetTest.item]);
    expect(targetItems.size).toBeLessThanOrEqual(60);
  });

  it('draws conversion and add-to-cart on clicks only, and click rates rise with the latent preference', () => {
    for (const log of [data.superPretrain, data.superConcurrent]) {
      for (let r = 0; r < log.user.length; r++) {
        if (log.click[r] === 0) {
          expect(log.conversion[r]).toBe(0);
          expect(log.cart[r]).toBe(0);
        }
      }
    }
    const high = tinyKeepData({ clickBias: 3 });
    const rate = (c: Uint8Array) => c.reduce((s, x) => s + x, 0) / c.length;
    expect(rate(high.superPretrain.click)).toBeGreaterThan(rate(data.superPretrain.click) + 0.1);
    // Without domain shift and intent the sub-domain click probability is sigmoid(z + targetClickBias).
    const simulator = resolveSimulatorParams(TINY_SIMULATOR);
    const world = simulateCascade(simulator);
    const noShift = simulateKeepData(world, simulator, {
      ...DEFAULT_KEEP_DATA_PARAMS,
      ...TINY_KEEP_PARAMS,
      domainShift: 0,
      intentWeight: 0,
    });
    const p = world.groundTruth?.preference(3, 5) ?? NaN;
    const bias = TINY_KEEP_PARAMS.targetClickBias ?? NaN;
    const expected = 1 / (1 + Math.exp(-(Math.log(p / (1 - p)) + bias)));
    expect(noShift.targetClickProbability?.(3, 5)).toBeCloseTo(expected, 6);
    expect(data.targetClickProbability?.(3, 5)).not.toBeCloseTo(expected, 3);
  });

  it('lets purchase intent move conversion, add-to-cart and sub-domain clicks but never super-domain clicks', () => {
    const none = tinyKeepData({ intentWeight: 0 });
    const strong = tinyKeepData({ intentWeight: 2 });
    // Same impressions and super-domain clicks: intent draws from a stream of its own.
    expect(strong.superPretrain.item).toEqual(none.superPretrain.item);
    expect(strong.superPretrain.click).toEqual(none.superPretrain.click);
    expect(strong.targetTest.item).toEqual(none.targetTest.item);
    expect(strong.superPretrain.conversion).not.toEqual(none.superPretrain.conversion);
    expect(strong.superPretrain.cart).not.toEqual(none.superPretrain.cart);
    // Intent is a user x category term: for one user, two items of a category move together.
    const user = strong.targetTest.user[0];
    const [a, b] = [0, 1, 2, 3, 4, 5].filter((i) => strong.itemCategory[i] === strong.itemCategory[0]);
    const lift = (item: number) => {
      const logit = (p: number) => Math.log(p / (1 - p));
      return (
        logit(strong.targetClickProbability?.(user, item) ?? NaN) -
        logit(none.targetClickProbability?.(user, item) ?? NaN)
      );
    };
    expect(b).toBeDefined();
    expect(lift(a)).not.toBeCloseTo(0, 3);
    expect(lift(b)).toBeCloseTo(lift(a), 5);
  });

  it('holds out a validation window disjoint from training and test', () => {
    expect(data.targetValid.user.length).toBe(30 * 4);
    const valid = pairsOf(data.targetValid);
    for (const p of [...pairsOf(data.targetTrain), ...pairsOf(data.targetTest)])
      expect(valid.has(p)).toBe(false);
  });

  it('spreads user activity log-normally around the configured counts', () => {
    const spread = tinyKeepData({ activitySpread: 0.75 });
    const perUser = new Int32Array(60);
    for (const u of spread.superPretrain.user) perUser[u]++;
    for (const u of spread.superConcurrent.user) perUser[u]++;
    const counts = Array.from(perUser).sort((a, b) => a - b);
    expect(counts[0]).toBeLessThan(25);
    expect(counts[59]).toBeGreaterThan(90);
    const mean = counts.reduce((s, c) => s + c, 0) / 60;
    expect(mean).toBeGreaterThan(56 * 0.75);
    expect(mean).toBeLessThan(56 * 1.25);
    // The sub-domain counts stay fixed.
    expect(spread.targetTest.user.length).toBe(30 * 8);
  });

  it('names the protocol parameter that does not fit the world', () => {
    expect(() => tinyKeepData({ pretrainImpressions: 200 })).toThrow(/protocolParams\.pretrainImpressions/);
    expect(() => tinyKeepData({ targetTrainImpressions: 60 })).toThrow(
      /protocolParams\.targetTrainImpressions/,
    );
    expect(() => keepDataParams({ domainShift: 'x' })).toThrow(/protocolParams\.domainShift/);
  });
});

describe('KEEP domains derived from a stored log', () => {
  function log(): CascadeDataset {
    // 16 rows in time order: users 0-1, items 0-9; watch times 0..15, label 1 on odd rows.
    const n = 16;
    return createCascadeDataset({
      name: 'hand log',
      numUsers: 2,
      numItems: 10,
      numCategories: 2,
      itemCategory: Int32Array.from({ length: 10 }, (_, i) => i % 2),
      denseDim: 0,
      itemDense: new Float32Array(0),
      interactions: {
        user: Int32Array.from({ length: n }, (_, r) => r % 2),
        item: Int32Array.from({ length: n }, (_, r) => r % 10),
        time: Float64Array.from({ length: n }, (_, r) => r),
        label: Uint8Array.from({ length: n }, (_, r) => r % 2),
        watchTime: Float32Array.from({ length: n }, (_, r) => r),
      },
    });
  }

  it('cuts the log 5:2:1 in time; click = finish, cart and conversion = long watches among clicks', () => {
    const data = keepDataFromLog(log(), { ...DEFAULT_KEEP_DATA_PARAMS, targetItemShare: 1 });
    expect(data.superPretrain.user.length).toBe(10);
    expect(data.superConcurrent.user.length).toBe(4);
    // The concurrent window's 4 sub-domain rows: the latest fifth (one row) validates.
    expect(data.targetTrain.user.length).toBe(3);
    expect(Array.from(data.targetValid.item)).toEqual([3]);
    expect(data.targetTest.user.length).toBe(2);
    expect(Array.from(data.superPretrain.click)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    // Clicks of the first 14 rows watch 1, 3, ..., 13: median 7 (cart), 80th percentile 11 (conversion).
    const carts = Array.from(data.superPretrain.cart).concat(Array.from(data.superConcurrent.cart));
    const conversions = Array.from(data.superPretrain.conversion).concat(
      Array.from(data.superConcurrent.conversion),
    );
    expect(carts.map((c, r) => (c ? r : -1)).filter((r) => r >= 0)).toEqual([7, 9, 11, 13]);
    expect(conversions.map((c, r) => (c ? r : -1)).filter((r) => r >= 0)).toEqual([11, 13]);
    expect(data.targetClickProbability).toBeUndefined();
  });

  it('keeps only the hashed item share in the sub-domain, and says so when it is empty', () => {
    const data = keepDataFromLog(log(), { ...DEFAULT_KEEP_DATA_PARAMS, targetItemShare: 0.5 });
    expect(
      data.targetTrain.user.length + data.targetValid.user.length + data.targetTest.user.length,
    ).toBeLessThan(6);
    expect(() => keepDataFromLog(log(), { ...DEFAULT_KEEP_DATA_PARAMS, targetItemShare: 0.0001 })).toThrow(
      /^dataset: /,
    );
  });
});
