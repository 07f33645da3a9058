/**
 * Several runs of one experiment train at the same time, each in its own worker thread: a
 * 2-method x 2-seed experiment on two job slots (real store, workers and engine, tiny data).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentSpec, JobProgress } from '../contract/api';
import { createLabApp } from './lab-app';
import { TINY_SIMULATION } from './fixtures/tiny-simulation';
import type { LocalLabApp } from './types';

/**
 * Resident memory that is not a mapped file, in bytes (Linux: RssAnon; elsewhere all of RSS).
 * Native TensorFlow's 788 MB library stays mapped once a worker has loaded it; it is shared
 * code, not memory a finished worker left behind.
 */
function anonymousRss(): number {
  try {
    const match = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return process.memoryUsage().rss;
}

let dir: string;
let app: LocalLabApp | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-parallel-'));
});
afterEach(async () => {
  await app?.close();
  app = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('parallel runs', () => {
  it('trains two runs at once on two job slots, never more, and frees the workers', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 2 });
    const template = await app.handlers['experiments:template']({});
    const spec: ExperimentSpec = {
      ...template,
      name: '2 methods x 2 seeds',
      dataset: { kind: 'simulated', params: TINY_SIMULATION },
      ranking: { model: 'none' },
      methods: [{ id: 'bc' }, { id: 'ar' }],
      training: { ...template.training, epochs: 2, embeddingDim: 8, batchSize: 64 },
      evaluation: { retrievalK: [10], corpus: 'all' },
      seeds: [1, 2],
    };
    // When each run reported training progress, on the main thread's clock.
    const trainingAt = new Map<number, number[]>();
    app.events.on('job:progress', (p: JobProgress) => {
      if (p.phase !== 'train') return;
      const times = trainingAt.get(p.runId) ?? [];
      times.push(performance.now());
      trainingAt.set(p.runId, times);
    });
    let running = 0;
    let maxRunning = 0;
    app.events.on('run:status', (e) => {
      if (e.status === 'running') maxRunning = Math.max(maxRunning, ++running);
      else if (e.status !== 'queued') running--;
    });
    const rssBefore = anonymousRss();

    const experiment = await app.handlers['experiments:create']({ spec });
    const { runIds } = await app.handlers['experiments:run']({ experimentId: experiment.id });
    expect(runIds).toHaveLength(4);
    await app.waitForExperiment(experiment.id);

    const runs = await app.handlers['runs:list']({ experimentId: experiment.id });
    expect(runs.map((r) => [r.status, r.error])).toEqual(runs.map(() => ['finished', null]));
    expect(maxRunning).toBe(2);
    // Seed-major queue: the first two runs (bc and ar of seed 1) share the two slots. Their
    // training overlaps: each reported progress while the other was between its first and last.
    const [first, second] = [...runIds].sort((a, b) => a - b);
    const a = trainingAt.get(first) ?? [];
    const b = trainingAt.get(second) ?? [];
    expect(a.length).toBeGreaterThan(1);
    expect(b.length).toBeGreaterThan(1);
    const overlapStart = Math.max(a[0], b[0]);
    const overlapEnd = Math.min(a[a.length - 1], b[b.length - 1]);
    expect(overlapEnd).toBeGreaterThan(overlapStart);
    // The stored start and finish times say the same.
    const byId = new Map(runs.map((r) => [r.id, r]));
    const interval = (id: number) => {
      const run = byId.get(id);
      return [Date.parse(run?.startedAt ?? ''), Date.parse(run?.finishedAt ?? '')];
    };
    const [aStart, aEnd] = interval(first);
    const [bStart, bEnd] = interval(second);
    expect(Math.min(aEnd, bEnd)).toBeGreaterThan(Math.max(aStart, bStart));
    // Finished workers are terminated: four tiny runs leave no worker's memory behind.
    expect(anonymousRss() - rssBefore).toBeLessThan(512 * 1024 * 1024);
  });
});
