import { describe, expect, it } from 'vitest';
import { createCascadeDataset, trainingView } from '../../data/dataset';
import { resolveSimulatorParams, simulateCascade } from '../../data/simulator';
import { createRng } from '../../random';
import { TINY_SIMULATOR } from '../test-support';
import { type RraLog, logFromExposures, simulateRraLog, splitRequests } from './data';
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
      expect(log.historyOffsets[r + 1] - log.historyOffsets[r]).toBeLessThanOrEqual(settings.historyLength);
    }
  });

  it('has DWM exactly on clicks', () => {
    for (let k = 0; k < log.impressionItem.length; k++) {
      expect(log.impressionDwm[k] > 0).toBe(log.impressionClick[k] === 1);
    }
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
