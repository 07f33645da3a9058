import { describe, expect, it } from 'vitest';
import { createCascadeDataset, trainingView } from '../../data/dataset';
import { resolveSimulatorParams, simulateCascade } from '../../data/simulator';
import { createRng } from '../../random';
import { TINY_SIMULATOR } from '../test-support';
import {
  DWM_WINDOW_DAYS,
  type RraLog,
  expectedDwm,
  logFromExposures,
  pooledHistoryStart,
  sampleDwm,
  simulateRraLog,
  splitRequests,
  unfamiliarShows,
} from './data';
import { resolveRraSettings } from './settings';

const settings = resolveRraSettings({ candidates: 40, recallK: 10, nktdN: 20, historyLength: 5 });

function tinyLog(seed = 3): ReturnType<typeof simulateRraLog> {
  const sim = resolveSimulatorParams({ ...TINY_SIMULATOR, seed });
  return simulateRraLog(simulateCascade(sim), sim, settings);
}

function rows(offsets: Int32Array, values: ArrayLike<number>, r: number): number[] {
  return Array.from({ length: offsets[r + 1] - offsets[r] }, (_, k) => values[offsets[r] + k]);
}

describe('simulated impression log', () => {
  const { log, truth } = tinyLog();

  it('has per request a candidate set of the configured size holding the impressions', () => {
    const requests = log.requestUser.length;
    expect(requests).toBe(TINY_SIMULATOR.users! * settings.requestsPerUser);
    for (let r = 0; r < requests; r++) {
      const candidates = rows(log.candidateOffsets, log.candidateItems, r);
      expect(new Set(candidates).size).toBe(settings.candidates);
      const impressions = rows(log.impressionOffsets, log.impressionItem, r);
      expect(impressions).toHaveLength(TINY_SIMULATOR.exposedPerRequest!);
      for (const i of impressions) expect(candidates).toContain(i);
    }
  });

  it('offers only unfamiliar shows: never one in the history or clicked before', () => {
    const watched = new Map<number, Set<number>>();
    for (let r = 0; r < log.requestUser.length; r++) {
      const u = log.requestUser[r];
      const seen = watched.get(u) ?? new Set<number>();
      for (const i of rows(log.historyOffsets, log.historyItems, r)) seen.add(i);
      for (const i of rows(log.candidateOffsets, log.candidateItems, r)) expect(seen.has(i)).toBe(false);
      for (let k = log.impressionOffsets[r]; k < log.impressionOffsets[r + 1]; k++) {
        if (log.impressionClick[k] === 1) seen.add(log.impressionItem[k]);
      }
      watched.set(u, seen);
    }
  });

  it('keeps the whole history; the models pool its last historyLength shows; the corpus is the rest', () => {
    let longer = 0;
    for (let r = 0; r < log.requestUser.length; r++) {
      const size = log.historyOffsets[r + 1] - log.historyOffsets[r];
      if (size > settings.historyLength) longer++;
      expect(log.historyOffsets[r + 1] - pooledHistoryStart(log, r)).toBe(
        Math.min(size, settings.historyLength),
      );
      const corpus = unfamiliarShows(log, r);
      expect(corpus.length).toBe(log.numItems - size);
      const history = new Set(rows(log.historyOffsets, log.historyItems, r));
      for (const i of corpus) expect(history.has(i)).toBe(false);
      for (const i of rows(log.candidateOffsets, log.candidateItems, r)) expect(corpus).toContain(i);
    }
    expect(longer).toBeGreaterThan(0);
  });

  it("rewards the sequel cross feature: impressions of a watched show's franchise mate are clicked more", () => {
    const rate = { mate: [0, 0], other: [0, 0] };
    for (let r = 0; r < log.requestUser.length; r++) {
      const franchises = new Set(
        rows(log.historyOffsets, log.historyItems, r).map((i) => log.itemFranchise[i]),
      );
      for (let k = log.impressionOffsets[r]; k < log.impressionOffsets[r + 1]; k++) {
        const bucket = franchises.has(log.itemFranchise[log.impressionItem[k]]) ? rate.mate : rate.other;
        bucket[0]++;
        bucket[1] += log.impressionClick[k];
      }
    }
    expect(rate.mate[0]).toBeGreaterThan(20);
    expect(rate.mate[1] / rate.mate[0]).toBeGreaterThan(rate.other[1] / rate.other[0] + 0.1);
  });

  it('has DWM exactly on clicks', () => {
    for (let k = 0; k < log.impressionItem.length; k++) {
      expect(log.impressionDwm[k] > 0).toBe(log.impressionClick[k] === 1);
    }
  });

  it('has ground-truth click probabilities and expected DWM over the whole corpus that rank shows differently', () => {
    const split = splitRequests(log);
    const offset = truth.offset[split.test[0]];
    const p = Array.from(truth.clickProb.subarray(offset, offset + log.numItems));
    const m = Array.from(truth.expectedDwm.subarray(offset, offset + log.numItems));
    expect(truth.clickProb.length).toBe(split.test.length * log.numItems);
    for (const x of p) expect(x > 0 && x < 1).toBe(true);
    for (const x of m) expect(x).toBeGreaterThan(0);
    // Spearman-free check: the best show by click probability is not the best by expected DWM
    // for every test request (DWM is not a function of CTR).
    let differ = 0;
    for (const r of split.test) {
      const o = truth.offset[r];
      const clicks = truth.clickProb.subarray(o, o + log.numItems);
      const minutes = truth.expectedDwm.subarray(o, o + log.numItems);
      const top = (a: Float32Array): number => a.indexOf(Math.max(...a));
      if (top(clicks) !== top(Float32Array.from(minutes, (x, i) => x * clicks[i]))) differ++;
    }
    expect(differ).toBeGreaterThan(split.test.length / 2);
  });

  it('tests on the last day and keeps ground truth for the test requests only', () => {
    const split = splitRequests(log);
    expect(log.testDay).toBe(settings.days - 1);
    expect(split.train.length + split.test.length).toBe(log.requestUser.length);
    for (const r of split.test) {
      expect(log.requestDay[r]).toBe(settings.days - 1);
      expect(truth.offset[r]).toBeGreaterThanOrEqual(0);
    }
    for (const r of split.train) {
      expect(log.requestDay[r]).toBeLessThan(settings.days - 1);
      expect(truth.offset[r]).toBe(-1);
    }
  });

  it('is deterministic in the simulator seed', () => {
    const again = tinyLog().log;
    expect(again.candidateItems).toEqual(log.candidateItems);
    expect(again.impressionClick).toEqual(log.impressionClick);
    expect(tinyLog(4).log.candidateItems).not.toEqual(log.candidateItems);
  });

  it('refuses a candidate set larger than the unwatched shows', () => {
    const sim = resolveSimulatorParams(TINY_SIMULATOR);
    const big = resolveRraSettings({ candidates: 110, recallK: 10, nktdN: 20 });
    expect(() => simulateRraLog(simulateCascade(sim), sim, big)).toThrow(/protocolParams.candidates/);
  });
});

describe('DWM: a week of watching after the first play', () => {
  it('averages to expectedDwm, is at least the first play and at most the show or the week', () => {
    const rng = createRng(5);
    for (const [length, daily, c] of [
      [600, 60, 0.7],
      [120, 90, 0.4],
      [30, 60, 0.9],
    ]) {
      let sum = 0;
      const draws = 20_000;
      for (let k = 0; k < draws; k++) {
        const m = sampleDwm(length, daily, c, rng);
        expect(m).toBeGreaterThanOrEqual(Math.min(length, 45));
        expect(m).toBeLessThanOrEqual(Math.min(length, 45 + (DWM_WINDOW_DAYS - 1) * daily));
        sum += m;
      }
      // 20,000 draws: the mean's standard error is under 1% of it.
      expect(Math.abs(sum / draws / expectedDwm(length, daily, c) - 1)).toBeLessThan(0.02);
    }
  });

  it('grows with the continuation probability and the daily minutes', () => {
    expect(expectedDwm(600, 60, 0.8)).toBeGreaterThan(expectedDwm(600, 60, 0.4));
    expect(expectedDwm(600, 120, 0.5)).toBeGreaterThan(expectedDwm(600, 60, 0.5));
    expect(expectedDwm(600, 60, 0)).toBe(45);
    expect(expectedDwm(600, 60, 1)).toBe(45 + 6 * 60);
  });
});

describe('log from a stored exposure log', () => {
  /** User 0: day 0 shows 1 (finished, 50 s), 2; day 1 show 3. User 1: day 1 show 4 (finished, 20 s). */
  function exposures(): RraLog {
    const dataset = createCascadeDataset({
      name: 'hand',
      numUsers: 2,
      numItems: 40,
      numCategories: 1,
      itemCategory: new Int32Array(40),
      denseDim: 0,
      itemDense: new Float32Array(0),
      interactions: {
        user: Int32Array.from([0, 0, 0, 1]),
        item: Int32Array.from([1, 2, 3, 4]),
        time: Float64Array.from([10, 20, 86_400 + 5, 86_400 + 9]),
        label: Uint8Array.from([1, 0, 0, 1]),
        watchTime: Float32Array.from([50, 3, 4, 20]),
      },
    });
    const s = resolveRraSettings({ candidates: 12, recallK: 5, nktdN: 10 });
    return logFromExposures(trainingView(dataset), s, 86_400, createRng(1));
  }

  it('makes user-day requests with impressions = exposures, clicks = labels, DWM = watch time of clicks', () => {
    const log = exposures();
    expect(Array.from(log.requestUser)).toEqual([0, 0, 1]);
    expect(Array.from(log.requestDay)).toEqual([0, 1, 1]);
    expect(rows(log.impressionOffsets, log.impressionItem, 0)).toEqual([1, 2]);
    expect(rows(log.impressionOffsets, log.impressionClick, 0)).toEqual([1, 0]);
    expect(rows(log.impressionOffsets, log.impressionDwm, 0)).toEqual([50, 0]);
    expect(log.testDay).toBe(1);
  });

  it('adds sampled unexposed shows up to the candidate size, never a show clicked before', () => {
    const log = exposures();
    for (let r = 0; r < 3; r++) {
      const candidates = rows(log.candidateOffsets, log.candidateItems, r);
      expect(new Set(candidates).size).toBe(12);
      for (const i of rows(log.impressionOffsets, log.impressionItem, r)) expect(candidates).toContain(i);
    }
    // User 0 clicked show 1 on day 0: it is history on day 1, not a candidate.
    expect(rows(log.historyOffsets, log.historyItems, 1)).toEqual([1]);
    expect(rows(log.candidateOffsets, log.candidateItems, 1)).not.toContain(1);
  });
});
