import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../contract/api';
import { ProgressReporter, formatDuration, progressBar } from './progress';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, columns: 200, write: (text: string) => chunks.push(text) }, chunks };
}

function progress(runId: number, fraction: number): JobProgress {
  return {
    runId,
    experimentId: 1,
    phase: 'train',
    epoch: 2,
    epochs: 5,
    step: 10,
    stepsPerEpoch: 40,
    loss: 0.123456,
    samplesPerSecond: 1500.4,
    fraction,
  };
}

describe('progress helpers', () => {
  it('draws bars and durations', () => {
    expect(progressBar(0.5, 10)).toBe('[#####-----]');
    expect(progressBar(2, 4)).toBe('[####]');
    expect(progressBar(Number.NaN, 4)).toBe('[----]');
    expect(formatDuration(65_000)).toBe('01:05');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
  });
});

describe('ProgressReporter', () => {
  it('averages run fractions, counting ended runs as done', () => {
    const { stream } = sink(false);
    const reporter = new ProgressReporter({ stream, now: () => 0 });
    reporter.addRun(1, 'BC', 1);
    reporter.addRun(2, 'KD', 1);
    reporter.onStatus({ runId: 1, experimentId: 1, status: 'running', error: null });
    reporter.onProgress(progress(1, 0.5));
    expect(reporter.fraction()).toBe(0.25);
    reporter.onStatus({ runId: 2, experimentId: 1, status: 'failed', error: 'NaN loss' });
    expect(reporter.fraction()).toBe(0.75);
    expect(reporter.line()).toContain('1/2 runs done');
    expect(reporter.line()).toContain('BC seed 1: train epoch 2/5 step 10/40 loss 0.1235 1500 samples/s');
    // The ranking model's training shows its own epochs under its own name.
    reporter.onProgress({ ...progress(1, 0.1), phase: 'ranking', epoch: 1 });
    expect(reporter.line()).toContain('BC seed 1: ranking model epoch 1/5 step 10/40');
  });

  it('redraws one line in place on a terminal', () => {
    const { stream, chunks } = sink(true);
    let now = 0;
    const reporter = new ProgressReporter({ stream, now: () => now });
    reporter.addRun(1, 'BC', 1);
    reporter.onStatus({ runId: 1, experimentId: 1, status: 'running', error: null });
    now = 500;
    reporter.onProgress(progress(1, 0.5));
    now = 520; // within 100 ms: throttled
    reporter.onProgress(progress(1, 0.6));
    expect(chunks.every((c) => c.startsWith('\r\x1b[2K'))).toBe(true);
    expect(chunks.filter((c) => c.includes('%'))).toHaveLength(2);
    expect(chunks.some((c) => c.includes('\n'))).toBe(false);
    reporter.onStatus({ runId: 1, experimentId: 1, status: 'finished', error: null });
    expect(chunks).toContain('run 1 (BC, seed 1) finished\n');
    reporter.finish();
    expect(chunks[chunks.length - 1]).toBe('\r\x1b[2K');
  });

  it('prints plain periodic lines when not a terminal', () => {
    const { stream, chunks } = sink(false);
    let now = 0;
    const reporter = new ProgressReporter({ stream, now: () => now, plainIntervalMs: 1000 });
    reporter.addRun(1, 'BC', 1);
    reporter.onStatus({ runId: 1, experimentId: 1, status: 'running', error: null });
    now = 200;
    reporter.onProgress(progress(1, 0.2));
    expect(chunks).toEqual([]);
    now = 1200;
    reporter.onProgress(progress(1, 0.4));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatch(/^\[#{10}-{14}\] {2}40% · 0\/1 runs done .*\n$/);
    expect(chunks.join('')).not.toContain('\r');
  });
});
