import { describe, expect, it } from 'vitest';
import type { QueueStatus, QueueWorkerInfo } from '../../../src-main/contract/api';
import {
  formatAge,
  queueHost,
  runTargetSummary,
  runTargetTitle,
  workerBusy,
  workerLoad,
} from './queue-format';

const worker = (overrides: Partial<QueueWorkerInfo> = {}): QueueWorkerInfo => ({
  name: 'gpu-1',
  host: 'gpu-box',
  version: '0.1.0',
  backend: 'tensorflow',
  device: 'NVIDIA H100',
  cores: 32,
  concurrency: 2,
  active: 1,
  status: 'ready',
  startedAt: '2026-12-06T05:00:00.000Z',
  heartbeatAt: '2026-12-06T05:10:00.000Z',
  ...overrides,
});

describe('queueHost', () => {
  it('keeps host and port, dropping scheme, redacted password and database', () => {
    expect(queueHost('redis://127.0.0.1:6379')).toBe('127.0.0.1:6379');
    expect(queueHost('redis://:***@10.0.0.5:6380/2')).toBe('10.0.0.5:6380');
    expect(queueHost('rediss://lab:***@redis.example.org:6380')).toBe('redis.example.org:6380');
    expect(queueHost('redis://[::1]:6379/0')).toBe('[::1]:6379');
  });

  it('returns anything that is not a Redis URL unchanged', () => {
    expect(queueHost('somewhere')).toBe('somewhere');
  });
});

describe('where runs execute', () => {
  const onQueue = (workers: QueueWorkerInfo[]): QueueStatus => ({
    runOn: { kind: 'queue', url: 'redis://:***@10.0.0.5:6379' },
    workers,
    queuedRuns: 0,
    error: null,
  });

  it('names the redacted URL, the counts and any error in the tooltip', () => {
    expect(runTargetTitle({ runOn: { kind: 'local' }, workers: [], queuedRuns: 0, error: null })).toBe(
      'New runs execute on this machine',
    );
    expect(runTargetTitle({ ...onQueue([worker()]), queuedRuns: 3 })).toBe(
      'New runs execute on the queue redis://:***@10.0.0.5:6379: 1 worker, 3 runs waiting or running',
    );
    expect(runTargetTitle({ ...onQueue([]), error: 'cannot read the workers: ETIMEDOUT' })).toBe(
      'New runs execute on the queue redis://:***@10.0.0.5:6379: 0 workers, 0 runs waiting or running\n' +
        'cannot read the workers: ETIMEDOUT',
    );
  });

  it('counts the workers in the status bar summary', () => {
    expect(runTargetSummary({ runOn: { kind: 'local' }, workers: [], queuedRuns: 0, error: null })).toBe(
      'This machine',
    );
    expect(runTargetSummary(onQueue([]))).toBe('10.0.0.5:6379 · 0 workers');
    expect(runTargetSummary(onQueue([worker()]))).toBe('10.0.0.5:6379 · 1 worker');
    expect(runTargetSummary(onQueue([worker(), worker({ name: 'gpu-2' })]))).toBe(
      '10.0.0.5:6379 · 2 workers',
    );
  });
});

describe('worker load', () => {
  it('shows active over concurrency and is busy only when every slot is taken', () => {
    expect(workerLoad(worker())).toBe('1/2');
    expect(workerBusy(worker())).toBe(false);
    expect(workerBusy(worker({ active: 2 }))).toBe(true);
  });
});

describe('formatAge', () => {
  const now = Date.parse('2026-12-06T05:10:00.000Z');
  it('says how long ago, coarsely', () => {
    expect(formatAge('2026-12-06T05:10:00.000Z', now)).toBe('just now');
    // A worker's clock a little ahead of ours is still "just now", not a negative age.
    expect(formatAge('2026-12-06T05:10:03.000Z', now)).toBe('just now');
    expect(formatAge('2026-12-06T05:09:53.000Z', now)).toBe('7 s ago');
    expect(formatAge('2026-12-06T05:07:00.000Z', now)).toBe('3 min ago');
    expect(formatAge('2026-12-06T03:00:00.000Z', now)).toBe('2 h ago');
  });

  it('returns an unreadable timestamp unchanged', () => {
    expect(formatAge('not a date', now)).toBe('not a date');
  });
});
