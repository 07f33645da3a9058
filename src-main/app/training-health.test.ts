/**
 * A run whose training diverges is stored as failed, with a message that says where, and it
 * leaves the other runs and the database as they were (real store, workers and engine, tiny data).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentSpec, RunStatusEvent } from '../contract/api';
import { openStore } from '../store/index';
import { TINY_SIMULATION } from './fixtures/tiny-simulation';
import { createLabApp } from './lab-app';
import type { LocalLabApp } from './types';

let dir: string;
let app: LocalLabApp | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-health-'));
});
afterEach(async () => {
  await app?.close();
  app = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('a diverging run', () => {
  it('ends failed with a message naming what trained, the epoch, step and loss; the other runs are intact', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 1 });
    const template = await app.handlers['experiments:template']({});
    const spec = (name: string, learningRate: number, ranking: 'deepfm' | 'none'): ExperimentSpec => ({
      ...template,
      name,
      dataset: { kind: 'simulated', params: TINY_SIMULATION },
      ranking: { model: ranking },
      methods: [{ id: 'bc' }],
      training: { ...template.training, epochs: 2, embeddingDim: 8, batchSize: 256, learningRate },
      evaluation: { retrievalK: [10], corpus: 'all' },
      seeds: [1],
    });
    const statuses: RunStatusEvent[] = [];
    app.events.on('run:status', (e) => statuses.push(e));

    // The highest learning rate the spec validator accepts blows up the ranking model's BCE (the
    // run that used to end finished with the BCE at 3.8e17).
    const healthy = await app.handlers['experiments:create']({ spec: spec('healthy', 0.05, 'none') });
    const diverging = await app.handlers['experiments:create']({ spec: spec('lr 10', 10, 'deepfm') });
    const [healthyRun] = (await app.handlers['experiments:run']({ experimentId: healthy.id })).runIds;
    const [divergingRun] = (await app.handlers['experiments:run']({ experimentId: diverging.id })).runIds;
    await app.waitForExperiment(healthy.id);
    await app.waitForExperiment(diverging.id);

    const runs = new Map((await app.handlers['runs:list']({})).map((run) => [run.id, run]));
    const failed = runs.get(divergingRun);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toMatch(
      /^DeepFM ranking model: training diverged at epoch 1, step \d+: the loss reached \S+, over 1000 times its starting scale \(first loss 0\.69\d*, counted as at least 1\)\. A lower learning rate usually helps\.$/,
    );
    expect(failed?.metrics).toEqual({});
    // The workbench hears it through the status event (its notice and the run's banner).
    expect(statuses.filter((e) => e.runId === divergingRun).at(-1)).toEqual({
      runId: divergingRun,
      experimentId: diverging.id,
      status: 'failed',
      error: failed?.error,
    });

    const ok = runs.get(healthyRun);
    expect(ok?.status).toBe('finished');
    expect(ok?.error).toBeNull();
    expect(Object.keys(ok?.metrics ?? {}).length).toBeGreaterThan(0);
    expect((await app.handlers['runs:curves']({ runId: healthyRun })).length).toBeGreaterThan(0);

    // The database is whole: the same two runs read back through a fresh connection.
    await app.close();
    app = null;
    const store = openStore(join(dir, 'cascade-lab.db'));
    try {
      expect(store.runs.get(divergingRun)).toMatchObject({ status: 'failed', error: failed?.error });
      expect(store.runs.get(healthyRun)).toMatchObject({ status: 'finished', error: null });
    } finally {
      store.close();
    }
  }, 60_000);
});
