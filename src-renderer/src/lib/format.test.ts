import { describe, expect, it } from 'vitest';
import type { JobProgress, RunStatus } from '../../../src-main/contract/api';
import { EVALUATION_K_RANGE, SEED_RANGE, withinBounds } from '../../../src-main/contract/ranges';
import {
  describeExperimentProgress,
  describeProgress,
  formatCell,
  formatDuration,
  formatMetric,
  formatRate,
  parseNumberList,
  pluralize,
} from './format';

describe('formatMetric', () => {
  it('prints four decimals for rates and two for larger values', () => {
    expect(formatMetric(0.123456)).toBe('0.1235');
    expect(formatMetric(1)).toBe('1.0000');
    expect(formatMetric(123.456)).toBe('123.46');
    expect(formatMetric(Number.NaN)).toBe('NaN');
  });
});

describe('formatCell', () => {
  it('shows mean ± std only when several seeds produced the value', () => {
    expect(formatCell({ mean: 0.5, std: 0.01, n: 3, rank: 1 })).toBe('0.5000 ± 0.0100');
    expect(formatCell({ mean: 0.5, std: 0, n: 1, rank: 0 })).toBe('0.5000');
  });
});

describe('formatDuration', () => {
  it('picks the unit by size', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
  });
});

describe('formatRate', () => {
  it('abbreviates thousands and millions', () => {
    expect(formatRate(950)).toBe('950/s');
    expect(formatRate(12_345)).toBe('12.3k/s');
    expect(formatRate(1_250_000)).toBe('1.3M/s');
  });
});

describe('parseNumberList', () => {
  it('accepts commas and spaces', () => {
    expect(parseNumberList('100, 200 300')).toEqual({ ok: true, values: [100, 200, 300] });
  });
  it('names the entry that is wrong', () => {
    expect(parseNumberList('100, x')).toEqual({ ok: false, error: '"x" is not a number.' });
    expect(parseNumberList('1.5', { integer: true })).toEqual({
      ok: false,
      error: '"1.5" is not a whole number.',
    });
    expect(parseNumberList('0', { min: 1 })).toEqual({ ok: false, error: '"0" is below the minimum 1.' });
    expect(parseNumberList(' , ')).toEqual({ ok: false, error: 'Enter at least one number.' });
    expect(parseNumberList('5, 11', { max: 10 })).toEqual({
      ok: false,
      error: '"11" is above the maximum 10.',
    });
    expect(parseNumberList('0', { min: 0, minExclusive: true })).toEqual({
      ok: false,
      error: '"0" is not above 0.',
    });
  });

  it("checks the seeds and cut-offs against the contract's ranges, as the spec validator does", () => {
    for (const range of [SEED_RANGE, EVALUATION_K_RANGE]) {
      for (const value of [range.min - 1, range.min, range.max, range.max + 1]) {
        const expected = withinBounds(value, range);
        expect(parseNumberList(`${value}`, range).ok, `${value}`).toBe(expected);
      }
      expect(parseNumberList(`${range.min + 0.5}`, range).ok).toBe(false);
    }
  });
});

describe('describeProgress', () => {
  const base: JobProgress = {
    runId: 1,
    experimentId: 1,
    phase: 'train',
    epoch: 2,
    epochs: 3,
    step: 0,
    stepsPerEpoch: 10,
    loss: null,
    samplesPerSecond: null,
    fraction: 0.5,
  };
  it('names the ranking model phase and shows epochs only while a model trains', () => {
    expect(describeProgress(base)).toBe('train 2/3');
    expect(describeProgress({ ...base, phase: 'ranking', epoch: 1 })).toBe('ranking model 1/3');
    expect(describeProgress({ ...base, phase: 'eval' })).toBe('eval');
    expect(describeProgress({ ...base, phase: 'data' })).toBe('data');
  });
});

describe('pluralize', () => {
  it('uses the singular for exactly one and the plural otherwise', () => {
    expect(pluralize(1, 'run')).toBe('1 run');
    expect(pluralize(0, 'run')).toBe('0 runs');
    expect(pluralize(15, 'run')).toBe('15 runs');
    expect(pluralize(2, 'entry', 'entries')).toBe('2 entries');
    expect(pluralize(1, 'entry', 'entries')).toBe('1 entry');
  });
});

describe('describeExperimentProgress', () => {
  const runsWith = (status: RunStatus, n: number): { status: RunStatus }[] =>
    Array.from({ length: n }, () => ({ status }));

  it('shows a cancelled experiment as cancelled with only its finished share filled', () => {
    expect(describeExperimentProgress(runsWith('cancelled', 15))).toEqual({
      state: 'cancelled',
      fraction: 0,
      text: 'cancelled: 0 of 15 runs finished',
    });
    const partly = describeExperimentProgress([...runsWith('finished', 3), ...runsWith('cancelled', 12)]);
    expect(partly).toEqual({ state: 'cancelled', fraction: 0.2, text: 'cancelled: 3 of 15 runs finished' });
  });

  it('shows a failed experiment as failed, naming both counts when runs ended both ways', () => {
    expect(describeExperimentProgress([...runsWith('finished', 1), ...runsWith('failed', 1)])).toEqual({
      state: 'failed',
      fraction: 0.5,
      text: 'failed: 1 of 2 runs finished',
    });
    const mixed = describeExperimentProgress([
      ...runsWith('finished', 2),
      ...runsWith('failed', 1),
      ...runsWith('cancelled', 1),
    ]);
    expect(mixed).toEqual({
      state: 'failed',
      fraction: 0.5,
      text: 'failed: 2 of 4 runs finished (1 failed, 1 cancelled)',
    });
  });

  it('fills the bar when every run finished, with a singular for one run', () => {
    expect(describeExperimentProgress(runsWith('finished', 4))).toEqual({
      state: 'finished',
      fraction: 1,
      text: '4 of 4 runs finished',
    });
    expect(describeExperimentProgress(runsWith('finished', 1)).text).toBe('1 of 1 run finished');
  });

  it("counts ended runs and the active runs' progress while some are active", () => {
    const progress = describeExperimentProgress([
      { status: 'finished' },
      { status: 'cancelled' },
      { status: 'running', fraction: 0.5 },
      { status: 'queued' },
    ]);
    expect(progress.state).toBe('running');
    expect(progress.fraction).toBeCloseTo(2.5 / 4);
    expect(progress.text).toBe('1 of 4 runs finished, 2 active, 1 cancelled');
  });
});
