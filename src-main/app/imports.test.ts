/**
 * Dataset import through the app, end to end: real import worker, real store, then a run of an
 * experiment on the imported dataset in a real training worker.
 */
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetImportRequest, ImportDone, ImportProgress } from '../contract/api';
import { createLabApp } from './lab-app';
import type { LocalLabApp } from './types';

const FIXTURES = join(import.meta.dirname, '..', 'core', 'node', 'importers', 'fixtures');
const tiktok = (name: string) => join(FIXTURES, 'tiktok', name);

let dir: string;
let app: LocalLabApp | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-imports-'));
});
afterEach(async () => {
  await app?.close();
  app = null;
  rmSync(dir, { recursive: true, force: true });
});

/** Starts an import and resolves with its outcome event, collecting its progress events. */
async function importAndWait(
  lab: LocalLabApp,
  request: DatasetImportRequest,
  progress: ImportProgress[] = [],
): Promise<ImportDone> {
  const seen: ImportDone[] = [];
  let importId: string | null = null;
  let resolveDone: (done: ImportDone) => void = () => undefined;
  const finished = new Promise<ImportDone>((resolve) => (resolveDone = resolve));
  const offDone = lab.events.on('dataset:import-done', (done) => {
    if (done.importId === importId) resolveDone(done);
    else seen.push(done);
  });
  const offProgress = lab.events.on('dataset:import-progress', (p) => progress.push(p));
  try {
    importId = (await lab.handlers['datasets:import'](request)).importId;
    const early = seen.find((done) => done.importId === importId);
    if (early) resolveDone(early);
    return await finished;
  } finally {
    offDone();
    offProgress();
  }
}

function datasetFolders(): string[] {
  const folder = join(dir, 'datasets');
  return existsSync(folder) ? readdirSync(folder) : [];
}

describe('dataset import through the app', () => {
  it('imports the TikTok fixture once, profiles it, reuses it, and runs an experiment on it', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli', maxParallelJobs: 1 });
    const request: DatasetImportRequest = {
      format: 'tiktok',
      paths: [tiktok('final_track2_train.txt'), tiktok('track2_video_features.txt')],
      filters: { minUserInteractions: 2 },
    };
    const progress: ImportProgress[] = [];
    const done = await importAndWait(app, request, progress);
    expect(done.error).toBeUndefined();
    expect(done.reused).toBeUndefined();
    const dataset = done.dataset;
    expect(dataset).toMatchObject({
      kind: 'tiktok',
      name: 'TikTok (ICME 2019 track 2)',
      hasGroundTruth: false,
    });
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['hash', 'read', 'write']));
    expect(progress.every((p) => p.importId === done.importId)).toBe(true);

    // Stored once: one row, one folder in the data dir with the columns and the profile.
    expect(await app.handlers['datasets:list']({})).toEqual([dataset]);
    expect(datasetFolders()).toHaveLength(1);
    const details = await app.handlers['datasets:profile']({ datasetId: dataset?.id ?? 0 });
    expect(details.path.startsWith(join(dir, 'datasets'))).toBe(true);
    expect(existsSync(join(details.path, 'user.i32'))).toBe(true);
    expect(details.profile).toMatchObject({
      users: dataset?.users,
      items: dataset?.items,
      interactions: dataset?.interactions,
      positives: dataset?.positives,
      modalities: ['V'],
    });
    expect(details.report.rowsDropped['label missing (finish = -1)']).toBe(1);
    expect(details.files.map((f) => f.path)).toEqual(request.paths);
    const histogramTotal = details.profile.interactionsPerUser.log2Histogram.reduce((a, b) => a + b, 0);
    expect(histogramTotal).toBe(details.profile.users);

    // The same files and options again: a no-op that returns the stored dataset.
    const again = await importAndWait(app, { ...request, paths: [...request.paths].reverse() });
    expect(again).toMatchObject({ reused: true, dataset: { id: dataset?.id } });
    expect(await app.handlers['datasets:list']({})).toHaveLength(1);
    // Other options make another dataset, a new version of the name.
    const unfiltered = await importAndWait(app, { ...request, filters: undefined });
    expect(unfiltered.dataset?.id).not.toBe(dataset?.id);
    expect(unfiltered.dataset?.name).toBe('TikTok (ICME 2019 track 2) (v2)');
    expect(datasetFolders()).toHaveLength(2);

    // An experiment on the stored dataset runs end to end in a training worker.
    const template = await app.handlers['experiments:template']({});
    const experiment = await app.handlers['experiments:create']({
      spec: {
        ...template,
        name: 'stored TikTok',
        dataset: { kind: 'stored', datasetId: dataset?.id ?? 0 },
        methods: [{ id: 'bc' }],
        training: { ...template.training, epochs: 1, embeddingDim: 8, batchSize: 64 },
        ranking: { model: 'none' },
        evaluation: { retrievalK: [10], corpus: 'all' },
        seeds: [1],
      },
    });
    await app.handlers['experiments:run']({ experimentId: experiment.id });
    await app.waitForExperiment(experiment.id);
    const [run] = await app.handlers['runs:list']({ experimentId: experiment.id });
    expect(run.error).toBeNull();
    expect(run.status).toBe('finished');
    expect(run.datasetId).toBe(dataset?.id);
    expect(run.datasetName).toBe(dataset?.name);
    expect(Object.keys(run.metrics)).toEqual(expect.arrayContaining(['R@10', 'P@10']));
    for (const value of Object.values(run.metrics)) expect(Number.isFinite(value)).toBe(true);
    const table = await app.handlers['results:table']({ experimentId: experiment.id });
    expect(table.caption).toContain(dataset?.name);

    // A dataset a stored run used cannot be deleted, even once the run is archived: the run's
    // metrics came from it. Deleting the experiment (and so its runs) frees it.
    await app.handlers['runs:archive']({ runIds: [run.id], archived: true });
    await expect(app.handlers['datasets:delete']({ datasetId: dataset?.id ?? 0 })).rejects.toThrow(
      /is used by 1 run\(s\) of 1 experiment\(s\) .*delete those runs or experiments first/,
    );
    expect(existsSync(details.path)).toBe(true);
    await expect(app.handlers['experiments:delete']({ experimentId: experiment.id })).resolves.toEqual({
      deletedRuns: 1,
    });
    await expect(app.handlers['datasets:delete']({ datasetId: dataset?.id ?? 0 })).resolves.toEqual({
      deleted: true,
    });
    expect(existsSync(details.path)).toBe(false);
  });

  it('leaves the database and the data dir as they were when a file is bad', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli' });
    const done = await importAndWait(app, { format: 'tiktok', paths: [tiktok('non_numeric_id.txt')] });
    expect(done.dataset).toBeUndefined();
    expect(done.error).toMatchObject({ file: tiktok('non_numeric_id.txt'), line: 4, column: 'item_id' });
    expect(done.error?.message).toMatch(/non_numeric_id\.txt, line 4, column "item_id"/);
    expect(await app.handlers['datasets:list']({})).toEqual([]);
    expect(datasetFolders()).toEqual([]);

    const missing = await importAndWait(app, { format: 'tiktok', paths: [join(dir, 'nope.txt')] });
    expect(missing.error?.message).toMatch(/nope\.txt: cannot open the file \(ENOENT\)/);
    expect(await app.handlers['datasets:list']({})).toEqual([]);
  });

  it('makes a new version when a file changes, and cancels an import without storing anything', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli' });
    const copy = join(dir, 'final_track2_train.txt');
    copyFileSync(tiktok('final_track2_train.txt'), copy);
    const first = await importAndWait(app, { format: 'tiktok', paths: [copy], name: 'tt' });
    appendFileSync(copy, '3\t-1\t111\t4\t3\t2\t1\t0\t-1\t1\t53400\t9\n');
    const second = await importAndWait(app, { format: 'tiktok', paths: [copy], name: 'tt' });
    expect(second.reused).toBeUndefined();
    expect(second.dataset?.id).not.toBe(first.dataset?.id);
    expect(second.dataset?.name).toBe('tt (v2)');
    expect(second.dataset?.interactions).toBe((first.dataset?.interactions ?? 0) + 1);

    const events: ImportDone[] = [];
    app.events.on('dataset:import-done', (done) => events.push(done));
    const { importId } = await app.handlers['datasets:import']({
      format: 'tiktok',
      paths: [tiktok('final_track2_train.txt')],
    });
    await expect(app.handlers['datasets:cancel-import']({ importId })).resolves.toEqual({ cancelled: true });
    await expect.poll(() => events.find((done) => done.importId === importId)).toBeDefined();
    expect(events.find((done) => done.importId === importId)).toMatchObject({ cancelled: true });
    expect((await app.handlers['datasets:list']({})).map((d) => d.name)).toEqual(['tt', 'tt (v2)']);
    expect(datasetFolders()).toHaveLength(2);
    await expect(app.handlers['datasets:cancel-import']({ importId })).resolves.toEqual({ cancelled: false });
  });

  it('previews files for the wizard and refuses profiles of simulated data', async () => {
    app = await createLabApp({ dataDir: dir, transport: 'cli' });
    const train = await app.handlers['datasets:preview']({
      path: tiktok('final_track2_train.txt'),
      format: 'tiktok',
    });
    expect(train.columns[0]).toBe('uid');
    expect(train.columns).toHaveLength(12);
    // The first 10 rows only, though the whole 48-row file fits in one read.
    expect(train.rows).toHaveLength(10);
    expect(train.rows[0]).toEqual('3\t-1\t109\t4\t3\t2\t1\t1\t-1\t1\t53325\t9'.split('\t'));
    const csv = await app.handlers['datasets:preview']({
      path: join(FIXTURES, 'csv', 'log.csv'),
      format: 'csv',
    });
    expect(csv.columns).toContain('clicked');
    expect(csv.rows).toHaveLength(10);
    const video = await app.handlers['datasets:preview']({
      path: tiktok('track2_video_features.txt'),
      format: 'tiktok',
    });
    expect(video.layout).toBe('jsonl');
    expect(video.columns).toEqual(['item_id', 'video_feature_dim_128']);
    // A 128-float vector is cut for display.
    expect(video.rows[0][1].length).toBeLessThanOrEqual(80);
    await expect(
      app.handlers['datasets:preview']({ path: join(dir, 'missing.csv'), format: 'csv' }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'path' });
    await expect(app.handlers['datasets:profile']({ datasetId: 42 })).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });
});
