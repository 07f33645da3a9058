/**
 * The app end to end: real store, real worker threads, real engine, on a tiny simulated dataset.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentSpec, JobProgress, RunStatusEvent } from '../contract/api';
import { resolveSimulatorParams } from '../core/data/simulator';
import { validateSpec } from '../core/experiments/spec';
import { INTERRUPTED_RUNNING_ERROR, openStore } from '../store/index';
import { createLabApp } from './lab-app';
import type { LocalLabApp } from './types';

/** Small enough to train in seconds on one core. */
const TINY_DATA = {
  users: 200,
  items: 300,
  categories: 5,
  latentDim: 8,
  multimodalDim: 8,
  exposuresPerUser: 20,
  candidatesPerRequest: 50,
  exposedPerRequest: 5,
  seed: 7,
};

let dir: string;
let app: LocalLabApp | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-app-'));
});
afterEach(async () => {
  await app?.close();
  app = null;
  rmSync(dir, { recursive: true, force: true });
});

async function tinySpec(lab: LocalLabApp, epochs = 1): Promise<ExperimentSpec> {
  const template = await lab.handlers['experiments:template']({});
  return {
    ...template,
    name: 'tiny quickstart',
    dataset: { kind: 'simulated', params: TINY_DATA },
    methods: [{ id: 'bc' }],
    training: { ...template.training, epochs, embeddingDim: 8, batchSize: 256 },
    evaluation: { retrievalK: [10, 20], corpus: 'all' },
    seeds: [1],
  };
}

describe('createLabApp', () => {
  it('runs the quickstart in a worker and stores the run, its metrics and its dataset', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 1 });
    expect(app.databasePath).toBe(join(dir, 'cascade-lab.db'));
    const statuses: RunStatusEvent[] = [];
    const progress: JobProgress[] = [];
    app.events.on('run:status', (e) => statuses.push(e));
    app.events.on('job:progress', (e) => progress.push(e));

    const methods = await app.handlers['methods:list']({});
    expect(methods.map((m) => m.id)).toContain('bc');

    const experiment = await app.handlers['experiments:create']({ spec: await tinySpec(app) });
    expect(experiment.runCounts.queued).toBe(0);
    const { runIds } = await app.handlers['experiments:run']({ experimentId: experiment.id });
    expect(runIds).toHaveLength(1);
    await app.waitForExperiment(experiment.id);

    const [run] = await app.handlers['runs:list']({ experimentId: experiment.id });
    expect(run.error).toBeNull();
    expect(run.status).toBe('finished');
    expect(run.label).toBe('BC');
    expect(run.backend).toBeTruthy();
    expect(run.device).toBeTruthy();
    expect(Object.keys(run.metrics)).toEqual(expect.arrayContaining(['R@10', 'R@20']));
    for (const value of Object.values(run.metrics)) expect(Number.isFinite(value)).toBe(true);
    expect(run.startedAt).not.toBeNull();
    expect(run.finishedAt).not.toBeNull();
    expect(Object.keys(run.timings).length).toBeGreaterThan(0);

    expect(statuses.filter((s) => s.runId === run.id).map((s) => s.status)).toEqual([
      'queued',
      'running',
      'finished',
    ]);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.runId === run.id && p.experimentId === experiment.id)).toBe(true);

    // The stored training curves (one series per loss term) and the Figure 5 histogram.
    const curves = await app.handlers['runs:curves']({ runId: run.id });
    expect(curves.map((c) => c.name)).toEqual(expect.arrayContaining(['train/bce', 'valid/bce']));
    expect(curves.find((c) => c.name === 'train/bce')?.points).toHaveLength(1);
    const histograms = await app.handlers['runs:histograms']({ experimentId: experiment.id });
    expect(histograms).toHaveLength(1);
    expect(histograms[0]).toMatchObject({
      runId: run.id,
      method: 'bc',
      label: 'BC',
      name: 'target-domain predictions',
    });
    expect(histograms[0].edges).toHaveLength(histograms[0].counts.length + 1);
    expect(histograms[0].counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    await expect(app.handlers['runs:curves']({ runId: 9999 })).rejects.toThrow(/run 9999 does not exist/);
    await expect(app.handlers['runs:histograms']({ experimentId: 9999 })).rejects.toThrow(/9999/);

    const datasets = await app.handlers['datasets:list']({});
    expect(datasets).toHaveLength(1);
    expect(datasets[0]).toMatchObject({ kind: 'simulated', users: 200, items: 300, hasGroundTruth: true });
    expect(run.datasetId).toBe(datasets[0].id);
    expect(run.datasetName).toBe(datasets[0].name);

    const table = await app.handlers['results:table']({ experimentId: experiment.id });
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0].cells['R@10']).toMatchObject({ mean: run.metrics['R@10'], std: 0, n: 1 });
    expect(table.caption).toContain(datasets[0].name);
    const exported = await app.handlers['results:export']({
      experimentId: experiment.id,
      format: 'markdown',
    });
    expect(exported.content).toContain(run.metrics['R@10'].toFixed(4));

    const summary = await app.handlers['experiments:get']({ experimentId: experiment.id });
    expect(summary.runCounts).toMatchObject({ finished: 1, queued: 0, running: 0 });

    // A re-run replaces the Figure 5 histogram of its (row, seed) instead of adding a second one.
    const rerun = await app.handlers['experiments:run']({ experimentId: experiment.id });
    await app.waitForExperiment(experiment.id);
    const replaced = await app.handlers['runs:histograms']({ experimentId: experiment.id });
    expect(replaced.map((h) => h.runId)).toEqual(rerun.runIds);

    // What the store holds, read back independently of the app.
    await app.close();
    app = null;
    const store = openStore(join(dir, 'cascade-lab.db'));
    try {
      const metricRows = store.db
        .prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM metrics WHERE run_id = ?')
        .get(run.id);
      expect(metricRows?.n).toBe(Object.keys(run.metrics).length);
      // Training curves: one point per epoch (one epoch here) of each series, the loss among them.
      const curves = store.runs.curves(run.id);
      expect(curves.length).toBeGreaterThan(0);
      expect(curves.some((point) => point.name.startsWith('train/'))).toBe(true);
      for (const point of curves) {
        expect(point.step).toBe(1);
        expect(Number.isFinite(point.value)).toBe(true);
      }
    } finally {
      store.close();
    }
  });

  it('runs each row on its own simulated world when the row overrides simulator parameters', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 1 });
    const spec: ExperimentSpec = {
      ...(await tinySpec(app)),
      ranking: { model: 'none' },
      methods: [{ id: 'bc', grid: { 'simulator.users': [120, 150] } }],
    };
    const experiment = await app.handlers['experiments:create']({ spec });
    await app.handlers['experiments:run']({ experimentId: experiment.id });
    await app.waitForExperiment(experiment.id);
    const runs = await app.handlers['runs:list']({ experimentId: experiment.id });
    expect(runs.map((run) => [run.label, run.status])).toEqual([
      ['BC (users=120)', 'finished'],
      ['BC (users=150)', 'finished'],
    ]);
    const datasets = await app.handlers['datasets:list']({});
    expect(datasets.map((d) => d.users).sort()).toEqual([120, 150]);
    expect(new Set(runs.map((run) => run.datasetId)).size).toBe(2);
    const table = await app.handlers['results:table']({ experimentId: experiment.id });
    expect(table.caption).toMatch(/2 variants, one per row setting/);
    expect(table.rows.map((row) => row.params['simulator.users'])).toEqual([120, 150]);
  });

  it('compares runs of two experiments side by side, paired by seed against a chosen baseline', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 1 });
    const base: ExperimentSpec = { ...(await tinySpec(app)), ranking: { model: 'none' }, seeds: [1, 2, 3] };
    const first = await app.handlers['experiments:create']({ spec: { ...base, name: 'lr 0.05' } });
    const second = await app.handlers['experiments:create']({
      spec: { ...base, name: 'lr 0.2', seeds: [2, 3], training: { ...base.training, learningRate: 0.2 } },
    });
    for (const experiment of [first, second]) {
      await app.handlers['experiments:run']({ experimentId: experiment.id });
      await app.waitForExperiment(experiment.id);
    }
    const runs = await app.handlers['runs:list']({});
    expect(runs.every((run) => run.status === 'finished')).toBe(true);
    const table = await app.handlers['runs:compare']({
      runIds: runs.map((run) => run.id),
      baselineKey: `${second.id}:0`,
    });
    expect(table.rows.map((row) => [row.experimentName, row.seeds])).toEqual([
      ['lr 0.05', [1, 2, 3]],
      ['lr 0.2', [2, 3]],
    ]);
    expect(table.baselineKey).toBe(`${second.id}:0`);
    // The first experiment is tested on the two seeds both ran.
    const recall = table.columns.find((column) => column.key.startsWith('R@'))?.key ?? '';
    const versus = table.rows[0].cells[recall]?.versusBaseline;
    expect(versus?.pairs).toBe(2);
    expect(versus?.p).toBeGreaterThanOrEqual(0);
    expect(versus?.p).toBeLessThanOrEqual(1);
    expect(table.params.find((param) => param.key === 'training.learningRate')?.differs).toBe(true);
    expect(table.params.find((param) => param.key === 'training.epochs')?.differs).toBe(false);
    await expect(app.handlers['runs:compare']({ runIds: [9999] })).rejects.toThrow(/run 9999 does not exist/);
  });

  it('warns beside the results of a row whose corpus K covers and of a run whose loss rose', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 1 });
    const spec: ExperimentSpec = {
      ...(await tinySpec(app)),
      ranking: { model: 'none' },
      evaluation: { retrievalK: [100], corpus: 'all' },
      // The first row simulates 80 items, fewer than K = 100; the second the spec's 300.
      methods: [{ id: 'bc', grid: { 'simulator.items': [80, 300] } }],
    };
    const experiment = await app.handlers['experiments:create']({ spec });
    await app.handlers['experiments:run']({ experimentId: experiment.id });
    await app.waitForExperiment(experiment.id);
    const runs = await app.handlers['runs:list']({ experimentId: experiment.id });
    expect(runs.map((run) => [run.label, run.status])).toEqual([
      ['BC (items=80)', 'finished'],
      ['BC (items=300)', 'finished'],
    ]);
    // What the warning says: with K at or above the corpus, recall is 1.
    expect(runs[0].metrics).toMatchObject({ 'R@100': 1, 'GT-R@100': 1 });
    const oneSeed =
      'One seed (1): each cell is a single run with no standard deviation, so differences between rows ' +
      'may be seed noise; run 2 or more seeds.';
    const smallCorpus = ['R@100', 'GT-R@100'].map((metric) => ({
      row: 0,
      metric,
      message: `K = 100 is at or above the 80 items retrieval searched, so ${metric} is 1 by construction: every relevant item is retrieved.`,
    }));
    const before = await app.handlers['results:table']({ experimentId: experiment.id });
    expect(before.warnings).toEqual([{ message: oneSeed }, ...smallCorpus]);

    // A second epoch whose loss rose, written into the store as a worker would have.
    await app.close();
    app = null;
    const store = openStore(join(dir, 'cascade-lab.db'));
    const second = runs[1];
    const [first] = store.runs.curves(second.id).filter((point) => point.name === 'train/bce');
    store.runs.addCurvePoint(second.id, 'train/bce', 2, (first.value ?? 0) * 3);
    store.close();
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 1 });
    const after = await app.handlers['results:table']({ experimentId: experiment.id });
    expect(after.warnings).toEqual([
      { message: oneSeed },
      ...smallCorpus,
      {
        row: 1,
        runId: second.id,
        message: expect.stringMatching(
          /^Seed 1: the training loss train\/bce rose from \d\.\d{4} \(epoch 1\) to \d\.\d{4} \(epoch 2\), so training did not converge\.$/,
        ),
      },
    ]);
  });

  it('tags, notes, archives and deletes runs and experiments, never while a run is active', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 1 });
    const spec: ExperimentSpec = { ...(await tinySpec(app)), ranking: { model: 'none' }, seeds: [1, 2] };
    const experiment = await app.handlers['experiments:create']({ spec });
    await app.handlers['experiments:run']({ experimentId: experiment.id });
    await app.waitForExperiment(experiment.id);
    const [first, second] = await app.handlers['runs:list']({ experimentId: experiment.id });

    const tagged = await app.handlers['runs:annotate']({
      runId: first.id,
      tags: [' lr ', 'LR', 'kept'],
      note: 'ok',
    });
    expect(tagged).toMatchObject({ tags: ['lr', 'kept'], note: 'ok', archived: false, protocol: 'damcar' });
    await app.handlers['experiments:annotate']({ experimentId: experiment.id, tags: ['paper'] });
    await expect(app.handlers['runs:archive']({ runIds: [second.id], archived: true })).resolves.toEqual({
      changed: 1,
    });
    const listed = await app.handlers['runs:list']({ experimentId: experiment.id });
    expect(listed.map((run) => run.archived)).toEqual([false, true]);
    expect((await app.handlers['experiments:get']({ experimentId: experiment.id })).tags).toEqual(['paper']);

    await expect(app.handlers['runs:delete']({ runIds: [second.id] })).resolves.toEqual({ deleted: 1 });
    await expect(app.handlers['runs:annotate']({ runId: second.id, note: 'gone' })).rejects.toThrow(
      /run \d+ does not exist/,
    );

    // A queued run blocks deleting its experiment; once it has ended, the experiment goes.
    await app.handlers['experiments:run']({ experimentId: experiment.id });
    await expect(app.handlers['experiments:delete']({ experimentId: experiment.id })).rejects.toThrow(
      /queued or running run\(s\).*cancel them first/,
    );
    await app.waitForExperiment(experiment.id);
    await expect(app.handlers['experiments:delete']({ experimentId: experiment.id })).resolves.toEqual({
      deletedRuns: 3,
    });
    expect(await app.handlers['runs:list']({})).toEqual([]);
  });

  it('cancels a running run', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 1 });
    const spec = await tinySpec(app, 200);
    // No ranking stage: it would train 200 epochs before the 'train' phase this test waits for.
    const experiment = await app.handlers['experiments:create']({
      spec: { ...spec, seeds: [1, 2], ranking: { model: 'none' } },
    });
    const training = new Promise<number>((resolve) => {
      app?.events.on('job:progress', (p) => {
        if (p.phase === 'train') resolve(p.runId);
      });
    });
    const { runIds } = await app.handlers['experiments:run']({ experimentId: experiment.id });
    const runId = await training;
    expect(runId).toBe(runIds[0]);
    const { cancelled } = await app.handlers['runs:cancel']({ experimentId: experiment.id });
    expect(cancelled).toBe(2); // the running one and the queued one
    await app.waitForExperiment(experiment.id);
    const runs = await app.handlers['runs:list']({ experimentId: experiment.id });
    expect(runs.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(runs[1].startedAt).toBeNull();
  });

  it('reports its info and answers bad requests with errors that name the field or the missing record', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'browser-host' });
    const info = await app.handlers['app:info']({});
    expect(info).toMatchObject({
      transport: 'browser-host',
      dataDir: dir,
      databasePath: join(dir, 'cascade-lab.db'),
    });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.backend).not.toBe('unavailable');
    expect(info.device.length).toBeGreaterThan(0);
    await expect(app.handlers['experiments:get']({ experimentId: 99 })).rejects.toMatchObject({
      name: 'NotFoundError',
      message: 'experiment 99 does not exist',
    });
    const spec = await tinySpec(app);
    await expect(
      app.handlers['experiments:create']({ spec: { ...spec, methods: [{ id: 'nope' }] } }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'spec.methods[0].id' });
    await expect(
      app.handlers['experiments:create']({ spec: { ...spec, dataset: { kind: 'stored', datasetId: 5 } } }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'spec.dataset.datasetId' });
  });

  it('marks runs a dead process left running as interrupted when it starts', async () => {
    const path = join(dir, 'cascade-lab.db');
    const earlier = openStore(path);
    const spec = validateSpec({
      name: 'left behind',
      dataset: { kind: 'simulated', params: TINY_DATA },
      methods: [{ id: 'bc' }],
    });
    const experiment = earlier.experiments.create(spec);
    const [run] = earlier.runs.createMany([
      {
        experimentId: experiment.id,
        methodIndex: 0,
        method: 'bc',
        label: 'BC',
        params: {},
        seed: 1,
        config: {
          experimentId: experiment.id,
          spec,
          method: { id: 'bc', params: {}, label: 'BC' },
          seed: 1,
          dataset: { kind: 'simulated', params: resolveSimulatorParams(TINY_DATA) },
          backend: 'auto',
        },
      },
    ]);
    earlier.runs.markRunning(run.id);
    const gone = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    earlier.db.prepare('UPDATE runs SET owner_pid = ?').run(gone);
    earlier.db.close();

    app = await createLabApp({ dbPath: path, transport: 'cli' });
    const [recovered] = await app.handlers['runs:list']({});
    expect(recovered).toMatchObject({ id: run.id, status: 'failed', error: INTERRUPTED_RUNNING_ERROR });
  });
});
