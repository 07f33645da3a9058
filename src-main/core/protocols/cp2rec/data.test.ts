import { describe, expect, it } from 'vitest';
import type { SimulatorParams } from '../../../contract/api';
import { resolveSimulatorParams } from '../../data/simulator';
import { tinyDataset } from '../test-support';
import {
  type Cp2recDataOptions,
  NUM_PROXIES,
  POPULARITY_PROXY,
  POSITION_PROXY,
  confoundedDataFromLog,
  itemProxiesFromTrain,
  simulateConfoundedLog,
  testMask,
} from './data';

const OPTIONS: Cp2recDataOptions = { confounding: 1, unbiasedLabels: 'interest', unbiasedItemsPerUser: 20 };

function sim(overrides: Partial<SimulatorParams> = {}): SimulatorParams {
  return resolveSimulatorParams({
    users: 200,
    items: 400,
    categories: 8,
    latentDim: 8,
    multimodalDim: 4,
    exposuresPerUser: 30,
    candidatesPerRequest: 50,
    exposedPerRequest: 10,
    exposureBias: 0.9,
    seed: 5,
    ...overrides,
  });
}

/** Click rate of training rows at a given slot fraction. */
function clickRateAt(data: ReturnType<typeof simulateConfoundedLog>, position: number): number {
  let clicks = 0;
  let rows = 0;
  for (let r = 0; r < data.train.user.length; r++) {
    if (data.train.proxies[r * NUM_PROXIES + POSITION_PROXY] !== position) continue;
    clicks += data.train.label[r];
    rows++;
  }
  return clicks / rows;
}

/** Share of training exposures that went to the 10% most exposed items. */
function topDecileShare(counts: Float64Array): number {
  const sorted = Array.from(counts).sort((a, b) => b - a);
  const top = sorted.slice(0, Math.ceil(counts.length / 10)).reduce((s, c) => s + c, 0);
  return top / sorted.reduce((s, c) => s + c, 0);
}

describe('simulateConfoundedLog', () => {
  it('is deterministic in the simulator and protocol parameters', () => {
    const a = simulateConfoundedLog(sim(), OPTIONS);
    const b = simulateConfoundedLog(sim(), OPTIONS);
    expect(a.train.label).toEqual(b.train.label);
    expect(a.unbiasedTest?.label).toEqual(b.unbiasedTest?.label);
    const c = simulateConfoundedLog(sim(), { ...OPTIONS, confounding: 2 });
    expect(c.train.item).not.toEqual(a.train.item);
    const d = simulateConfoundedLog(sim({ seed: 6 }), OPTIONS);
    expect(d.train.item).not.toEqual(a.train.item);
  });

  it('lets the position confounder drive the logged label, and not at confounding 0', () => {
    // exposureBias 0: every slot is randomised, so position is the only thing separating top and bottom.
    const confounded = simulateConfoundedLog(sim({ exposureBias: 0 }), { ...OPTIONS, confounding: 2 });
    expect(clickRateAt(confounded, 0) - clickRateAt(confounded, 1)).toBeGreaterThan(0.12);
    const clean = simulateConfoundedLog(sim({ exposureBias: 0 }), { ...OPTIONS, confounding: 0 });
    expect(Math.abs(clickRateAt(clean, 0) - clickRateAt(clean, 1))).toBeLessThan(0.08);
  });

  it('measures the proxies with the error the setting asks for, on a world that does not change with it', () => {
    const exact = simulateConfoundedLog(sim(), OPTIONS);
    const noisy = simulateConfoundedLog(sim(), { ...OPTIONS, proxyNoise: 1 });
    expect(noisy.train.label).toEqual(exact.train.label);
    expect(noisy.unbiasedTest?.label).toEqual(exact.unbiasedTest?.label);
    const [popularity, duration, position] = exact.proxyConfounderCorrelation ?? [];
    expect(duration).toBeCloseTo(1, 6);
    expect(position).toBeCloseTo(1, 6);
    expect(popularity).toBeGreaterThan(0.5);
    // Error std = the proxy's std: correlation about 1 / sqrt(2).
    const [, noisyDuration, noisyPosition] = noisy.proxyConfounderCorrelation ?? [];
    expect(noisyDuration).toBeGreaterThan(0.55);
    expect(noisyDuration).toBeLessThan(0.85);
    expect(noisyPosition).toBeGreaterThan(0.6);
    expect(noisyPosition).toBeLessThan(0.8);
  });

  it('lets popularity drive exposure through the policy', () => {
    const strong = simulateConfoundedLog(sim({ exposureBias: 1 }), { ...OPTIONS, confounding: 2 });
    const none = simulateConfoundedLog(sim({ exposureBias: 1 }), { ...OPTIONS, confounding: 0 });
    expect(topDecileShare(strong.itemTrainCount)).toBeGreaterThan(topDecileShare(none.itemTrainCount) + 0.1);
    expect(strong.randomisedRows).toBe(0);
  });

  it('flags randomised rows, splits each user 80/20 in time and keeps test data out of training', () => {
    const data = simulateConfoundedLog(sim(), OPTIONS);
    expect(data.randomisedRows).toBeGreaterThan(0);
    expect(data.randomisedRows).toBeLessThan(data.train.user.length * 0.2);
    expect(data.train.user.length).toBe(200 * 24);
    expect(data.biasedTest.user.length).toBe(200 * 6);
    // Popularity proxy and counts come from the training rows only.
    const recount = itemProxiesFromTrain(data.train.item, new Float64Array(400).fill(1)).counts;
    expect(data.itemTrainCount).toEqual(recount);
    const seen = new Set<string>();
    for (let r = 0; r < data.train.user.length; r++) seen.add(`${data.train.user[r]}:${data.train.item[r]}`);
    for (let r = 0; r < data.biasedTest.user.length; r++) {
      expect(seen.has(`${data.biasedTest.user[r]}:${data.biasedTest.item[r]}`)).toBe(false);
      expect(data.biasedTest.proxies[r * NUM_PROXIES + POSITION_PROXY]).toBe(0);
    }
    const unbiased = data.unbiasedTest;
    expect(unbiased).not.toBeNull();
    if (!unbiased) return;
    expect(unbiased.user.length).toBe(200 * 20);
    for (let r = 0; r < data.biasedTest.user.length; r++)
      seen.add(`${data.biasedTest.user[r]}:${data.biasedTest.item[r]}`);
    for (let r = 0; r < unbiased.user.length; r++)
      expect(seen.has(`${unbiased.user[r]}:${unbiased.item[r]}`)).toBe(false);
  });

  it('labels the unbiased test with less confounding under "interest" than under "behaviour"', () => {
    // The conformity effect makes popular items more clicked under behaviour labels; interest labels
    // keep only the quality part of popularity.
    const correlation = (labels: ReturnType<typeof simulateConfoundedLog>) => {
      const t = labels.unbiasedTest;
      if (!t) throw new Error('no unbiased test');
      let sxy = 0;
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let syy = 0;
      const n = t.user.length;
      for (let r = 0; r < n; r++) {
        const x = t.proxies[r * NUM_PROXIES + POPULARITY_PROXY];
        const y = t.label[r];
        sx += x;
        sy += y;
        sxy += x * y;
        sxx += x * x;
        syy += y * y;
      }
      return (
        (sxy / n - (sx / n) * (sy / n)) / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2))
      );
    };
    const options = { ...OPTIONS, confounding: 2, unbiasedItemsPerUser: 100 };
    const interest = simulateConfoundedLog(sim(), { ...options, unbiasedLabels: 'interest' });
    const behaviour = simulateConfoundedLog(sim(), { ...options, unbiasedLabels: 'behaviour' });
    expect(correlation(behaviour)).toBeGreaterThan(correlation(interest) + 0.05);
  });
});

describe('testMask', () => {
  it("holds out the last floor(20%) of each user's rows", () => {
    const mask = testMask(Int32Array.of(0, 1, 0, 0, 0, 0, 1), 2);
    // user 0 has 5 rows -> last 1 is test; user 1 has 2 rows -> floor(0.4) = 0 test rows.
    expect(Array.from(mask)).toEqual([0, 0, 0, 0, 0, 1, 0]);
  });
});

describe('confoundedDataFromLog', () => {
  it('derives proxies from a stored log and has no unbiased test or position', () => {
    const dataset = tinyDataset();
    const data = confoundedDataFromLog(dataset);
    expect(data.unbiasedTest).toBeNull();
    expect(data.hasPosition).toBe(false);
    expect(data.randomisedRows).toBe(0);
    expect(data.train.user.length + data.biasedTest.user.length).toBe(dataset.interactions.user.length);
    for (let r = 0; r < data.train.user.length; r++)
      expect(data.train.proxies[r * NUM_PROXIES + POSITION_PROXY]).toBe(0);
    // A more exposed item has a larger popularity proxy.
    const counts = data.itemTrainCount;
    let most = 0;
    let least = 0;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] > counts[most]) most = i;
      if (counts[i] < counts[least]) least = i;
    }
    const rowOf = (item: number) => data.train.item.indexOf(item);
    const mostRow = rowOf(most);
    expect(mostRow).toBeGreaterThanOrEqual(0);
    const popOf = (row: number) => data.train.proxies[row * NUM_PROXIES + POPULARITY_PROXY];
    const leastRow = counts[least] > 0 ? rowOf(least) : -1;
    if (leastRow >= 0) expect(popOf(mostRow)).toBeGreaterThan(popOf(leastRow));
    else expect(popOf(mostRow)).toBeGreaterThan(0);
  });
});
