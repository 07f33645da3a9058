import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentSpec } from '../contract/api';
import { DEFAULT_SIMULATOR_PARAMS } from '../contract/ranges';
import { openDatabase } from './database';
import {
  APPLICATION_ID,
  INTERRUPTED_QUEUED_ERROR,
  INTERRUPTED_RUNNING_ERROR,
  MIGRATIONS,
  SCHEMA_VERSION,
  UnusableDatabaseError,
  openStore,
  parseProcStatStartTicks,
  processStartTicks,
  schemaVersion,
  type LabStore,
  type NewRun,
} from './index';

const HAS_PROC = existsSync('/proc/self/stat');

const SPEC: ExperimentSpec = {
  name: 'store test',
  dataset: { kind: 'simulated', params: { users: 10 } },
  retrieval: { model: 'dssm' },
  methods: [{ id: 'bc' }],
  training: { epochs: 1, batchSize: 8, learningRate: 0.01, embeddingDim: 4 },
  evaluation: { retrievalK: [10], corpus: 'all' },
  seeds: [1],
  backend: 'auto',
};

function newRun(experimentId: number, seed = 1): NewRun {
  return {
    experimentId,
    methodIndex: 0,
    method: 'bc',
    label: 'BC',
    params: { lr: 0.01 },
    seed,
    config: {
      experimentId,
      spec: SPEC,
      method: { id: 'bc', params: { lr: 0.01 }, label: 'BC' },
      seed,
      dataset: { kind: 'simulated', params: { ...DEFAULT_SIMULATOR_PARAMS, users: 10 } },
      backend: 'auto',
    },
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('creates every table from an empty file and records the version', () => {
    const db = openDatabase(join(dir, 'a.db'));
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((t) => t.name);
    for (const t of ['artifacts', 'curves', 'datasets', 'experiments', 'metrics', 'runs']) {
      expect(tables).toContain(t);
    }
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    db.close();
  });

  it('re-opens an up-to-date database without re-running migrations and keeps the data', () => {
    const path = join(dir, 'b.db');
    const first = openStore(path);
    const experiment = first.experiments.create(SPEC);
    first.close();
    const second = openStore(path);
    expect(schemaVersion(second.db)).toBe(SCHEMA_VERSION);
    expect(second.experiments.get(experiment.id)?.spec).toEqual(SPEC);
    second.close();
  });

  it('refuses a database written by a newer schema', () => {
    const path = join(dir, 'c.db');
    const db = openDatabase(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(path)).toThrow(
      new RegExp(`written by a newer Cascade Lab \\(schema version ${SCHEMA_VERSION + 1}`),
    );
  });

  it("refuses another application's SQLite file without writing to it", () => {
    const path = join(dir, 'other.db');
    const other = new Database(path);
    other.exec('CREATE TABLE datasets (id INTEGER PRIMARY KEY, name TEXT)');
    other.close();
    const before = readFileSync(path);
    expect(() => openDatabase(path)).toThrow(UnusableDatabaseError);
    expect(() => openDatabase(path)).toThrow(/another application \(tables datasets\)/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('marks its files with the application id', () => {
    const db = openDatabase(join(dir, 'd.db'));
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    db.close();
  });
});

describe('repositories', () => {
  let store: LabStore;
  beforeEach(() => {
    store = openStore(join(dir, 'lab.db'));
  });
  afterEach(() => store.close());

  it('enforces foreign keys', () => {
    expect(() => store.runs.create(newRun(999))).toThrow(/FOREIGN KEY/);
    const experiment = store.experiments.create(SPEC);
    const run = store.runs.create(newRun(experiment.id));
    expect(() => store.runs.setDataset(run.id, 12345)).toThrow(/FOREIGN KEY/);
    expect(() => store.artifacts.add({ runId: 999, kind: 'x', path: '/tmp/x' })).toThrow(/FOREIGN KEY/);
  });

  it('rejects a status outside the allowed set', () => {
    const experiment = store.experiments.create(SPEC);
    const run = store.runs.create(newRun(experiment.id));
    expect(() => store.db.prepare("UPDATE runs SET status = 'done' WHERE id = ?").run(run.id)).toThrow(
      /CHECK/,
    );
  });

  it('walks a run through its lifecycle', () => {
    const experiment = store.experiments.create(SPEC);
    const run = store.runs.create(newRun(experiment.id));
    expect(run).toMatchObject({
      status: 'queued',
      experimentName: 'store test',
      startedAt: null,
      metrics: {},
    });
    expect(store.runs.finish(run.id, { metrics: { 'R@10': 0.5 } })).toBe(false); // not running yet
    expect(store.runs.markRunning(run.id)).toBe(true);
    expect(store.runs.markRunning(run.id)).toBe(false);
    store.runs.setBackend(run.id, 'wasm', 'WebAssembly');
    const dataset = store.datasets.upsert({
      name: 'Simulator (10 users, 20 items, seed 7)',
      kind: 'simulated',
      params: { users: 10 },
      stats: { users: 10, items: 20, interactions: 100, positives: 30 },
      hasGroundTruth: true,
      contentHash: 'abc',
    });
    store.runs.setDataset(run.id, dataset.id);
    store.runs.addTimings(run.id, { data: 12 });
    store.runs.addTimings(run.id, { train: 34 });
    store.runs.addCurvePoint(run.id, 'loss', 1, 0.7);
    store.runs.addCurvePoint(run.id, 'loss', 2, Number.NaN);
    expect(store.runs.finish(run.id, { metrics: { 'R@10': 0.25, 'P@10': 0.1 }, timings: { eval: 5 } })).toBe(
      true,
    );
    const done = store.runs.get(run.id);
    expect(done).toMatchObject({
      status: 'finished',
      backend: 'wasm',
      device: 'WebAssembly',
      datasetId: dataset.id,
      datasetName: 'Simulator (10 users, 20 items, seed 7)',
      timings: { data: 12, train: 34, eval: 5 },
      metrics: { 'R@10': 0.25, 'P@10': 0.1 },
      error: null,
    });
    expect(done?.startedAt).not.toBeNull();
    expect(done?.finishedAt).not.toBeNull();
    expect(store.runs.curves(run.id)).toEqual([
      { name: 'loss', step: 1, value: 0.7 },
      { name: 'loss', step: 2, value: null },
    ]);
    // Terminal states do not move.
    expect(store.runs.cancel(run.id)).toBe(false);
    expect(store.runs.fail(run.id, 'late')).toBe(false);
    expect(store.runs.countsByStatus(experiment.id)).toEqual({
      queued: 0,
      running: 0,
      finished: 1,
      failed: 0,
      cancelled: 0,
    });
  });

  it('refuses non-finite metrics and leaves the run running', () => {
    const experiment = store.experiments.create(SPEC);
    const run = store.runs.create(newRun(experiment.id));
    store.runs.markRunning(run.id);
    expect(() => store.runs.finish(run.id, { metrics: { 'R@10': Number.NaN } })).toThrow(
      /R@10 is not a finite/,
    );
    expect(store.runs.get(run.id)).toMatchObject({ status: 'running', metrics: {} });
    expect(store.runs.fail(run.id, 'loss became NaN at epoch 1')).toBe(true);
    expect(store.runs.get(run.id)).toMatchObject({ status: 'failed', error: 'loss became NaN at epoch 1' });
  });

  it('keeps tags, notes and archiving on runs and experiments, and deletes ended runs only', () => {
    const experiment = store.experiments.create(SPEC);
    expect(experiment).toMatchObject({ tags: [], note: '', archivedAt: null });
    const [ended, active] = store.runs.createMany([newRun(experiment.id, 1), newRun(experiment.id, 2)]);
    store.runs.cancel(ended.id, 'user');
    expect(store.runs.annotate(ended.id, { tags: ['baseline', 'lr sweep'] })).toMatchObject({
      tags: ['baseline', 'lr sweep'],
      note: '',
    });
    // A field left out stays as it was.
    expect(store.runs.annotate(ended.id, { note: 'diverged at epoch 2' })).toMatchObject({
      tags: ['baseline', 'lr sweep'],
      note: 'diverged at epoch 2',
    });
    expect(store.experiments.annotate(experiment.id, { tags: ['paper'], note: 'Table 2' })).toMatchObject({
      tags: ['paper'],
      note: 'Table 2',
    });
    expect(store.runs.setArchived([ended.id, 999], true)).toBe(1);
    expect(store.runs.get(ended.id)?.archivedAt).not.toBeNull();
    expect(store.runs.setArchived([ended.id], false)).toBe(1);
    expect(store.runs.get(ended.id)?.archivedAt).toBeNull();
    expect(store.experiments.setArchived(experiment.id, true)?.archivedAt).not.toBeNull();

    // The queued run stays; the ended one goes with its metrics and curves.
    store.runs.addCurvePoint(ended.id, 'loss', 1, 0.5);
    expect(store.runs.remove([ended.id, active.id])).toBe(1);
    expect(store.runs.get(ended.id)).toBeUndefined();
    expect(store.runs.curves(ended.id)).toEqual([]);
    expect(store.runs.get(active.id)?.status).toBe('queued');
    // Deleting the experiment takes its remaining runs along.
    expect(store.experiments.remove(experiment.id)).toBe(true);
    expect(store.runs.get(active.id)).toBeUndefined();
  });

  it('filters runs by experiment and status', () => {
    const a = store.experiments.create(SPEC);
    const b = store.experiments.create({ ...SPEC, name: 'other' });
    const [r1, r2] = store.runs.createMany([newRun(a.id, 1), newRun(a.id, 2)]);
    store.runs.create(newRun(b.id));
    store.runs.cancel(r2.id, 'user');
    expect(store.runs.list({ experimentId: a.id }).map((r) => r.id)).toEqual([r1.id, r2.id]);
    expect(store.runs.list({ statuses: ['cancelled'] }).map((r) => r.id)).toEqual([r2.id]);
    expect(store.runs.list()).toHaveLength(3);
  });

  it('upserts a dataset by content hash instead of duplicating it', () => {
    const input = {
      name: 'Simulator',
      kind: 'simulated' as const,
      params: { users: 10 },
      stats: { users: 10, items: 20, interactions: 100, positives: 30 },
      hasGroundTruth: true,
      contentHash: 'h1',
    };
    const first = store.datasets.upsert(input);
    const second = store.datasets.upsert({ ...input, stats: { ...input.stats, positives: 31 } });
    expect(second.id).toBe(first.id);
    expect(second.stats.positives).toBe(31);
    const third = store.datasets.upsert({ ...input, contentHash: 'h2' });
    expect(third.id).not.toBe(first.id);
    expect(store.datasets.list()).toHaveLength(2);
  });

  it('stores artifacts as a path or a blob', () => {
    const experiment = store.experiments.create(SPEC);
    const run = store.runs.create(newRun(experiment.id));
    store.artifacts.add({ runId: run.id, kind: 'embeddings', path: '/data/x.bin', meta: { shape: [3, 4] } });
    store.artifacts.add({ runId: run.id, kind: 'plot', blob: new Uint8Array([1, 2, 3]) });
    const artifacts = store.artifacts.listForRun(run.id);
    expect(artifacts.map((a) => a.kind)).toEqual(['embeddings', 'plot']);
    expect(artifacts[0].meta).toEqual({ shape: [3, 4] });
    expect([...(artifacts[1].blob ?? [])]).toEqual([1, 2, 3]);
  });
});

describe('recoverInterruptedRuns', () => {
  /** The pid of a process that has exited. */
  function deadPid(): number {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    return Number(child.stdout.toString());
  }

  it('fails the runs a dead process left running or queued and keeps everything else', () => {
    const path = join(dir, 'lab.db');
    const crashed = openStore(path);
    const experiment = crashed.experiments.create(SPEC);
    const [running, queued, finished] = crashed.runs.createMany([
      newRun(experiment.id, 1),
      newRun(experiment.id, 2),
      newRun(experiment.id, 3),
    ]);
    crashed.runs.markRunning(running.id);
    crashed.runs.addCurvePoint(running.id, 'loss', 1, 0.5);
    crashed.runs.addTimings(running.id, { data: 10 });
    crashed.runs.markRunning(finished.id);
    crashed.runs.finish(finished.id, { metrics: { 'R@10': 0.3 } });
    // Pretend a process that is gone owned these rows.
    crashed.db.prepare('UPDATE runs SET owner_pid = ?').run(deadPid());
    crashed.db.close(); // the process "dies" without closing the store cleanly

    const next = openStore(path);
    expect(next.recoverInterruptedRuns().sort()).toEqual([running.id, queued.id].sort());
    expect(next.runs.get(running.id)).toMatchObject({
      status: 'failed',
      error: INTERRUPTED_RUNNING_ERROR,
      timings: { data: 10 },
    });
    expect(next.runs.curves(running.id)).toEqual([{ name: 'loss', step: 1, value: 0.5 }]);
    expect(next.runs.get(queued.id)).toMatchObject({ status: 'failed', error: INTERRUPTED_QUEUED_ERROR });
    expect(next.runs.get(finished.id)).toMatchObject({ status: 'finished', metrics: { 'R@10': 0.3 } });
    expect(next.recoverInterruptedRuns()).toEqual([]);
    next.close();
  });

  it('leaves runs on a queue to the queue service, which finds them by queue and moves them to their worker', () => {
    const path = join(dir, 'lab.db');
    const crashed = openStore(path);
    const experiment = crashed.experiments.create(SPEC);
    const [onQueue, otherQueue, local] = crashed.runs.createMany([
      newRun(experiment.id, 1),
      newRun(experiment.id, 2),
      newRun(experiment.id, 3),
    ]);
    expect(crashed.runs.setQueueJob(onQueue.id, 'redis://:***@q:6379', 'c0ffee-run-1')).toBe(true);
    expect(crashed.runs.setQueueJob(otherQueue.id, 'redis://other:6379', 'c0ffee-run-2')).toBe(true);
    crashed.db.prepare('UPDATE runs SET owner_pid = ?').run(deadPid());
    crashed.db.close();

    const next = openStore(path);
    expect(next.recoverInterruptedRuns()).toEqual([local.id]);
    expect(next.runs.listOnQueue('redis://:***@q:6379').map((r) => [r.id, r.queueJobId])).toEqual([
      [onQueue.id, 'c0ffee-run-1'],
    ]);
    expect(next.runs.markRemoteRunning(onQueue.id, 'gpu-1 (H100, tensorflow)')).toBe(true);
    // The same worker again changes nothing (its finish is not a second start); another takes it over.
    expect(next.runs.markRemoteRunning(onQueue.id, 'gpu-1 (H100, tensorflow)')).toBe(false);
    expect(next.runs.markRemoteRunning(onQueue.id, 'gpu-2 (H100, tensorflow)')).toBe(true);
    expect(next.runs.get(onQueue.id)).toMatchObject({
      status: 'running',
      worker: 'gpu-2 (H100, tensorflow)',
    });
    expect(next.runs.finish(onQueue.id, { metrics: { 'R@10': 0.2 } })).toBe(true);
    expect(next.runs.markRemoteRunning(onQueue.id, 'gpu-3 (H100, tensorflow)')).toBe(false);
    expect(next.runs.listOnQueue('redis://:***@q:6379')).toEqual([]);
    next.close();
  });

  it('leaves alone the runs of a live process and of a store open in this process', () => {
    const path = join(dir, 'lab.db');
    const live = openStore(path);
    const experiment = live.experiments.create(SPEC);
    const [mine, other] = live.runs.createMany([newRun(experiment.id, 1), newRun(experiment.id, 2)]);
    live.runs.markRunning(mine.id);
    live.db.prepare('UPDATE runs SET owner_pid = 424242 WHERE id = ?').run(other.id);

    const second = openStore(path);
    expect(second.recoverInterruptedRuns({ isProcessAlive: (pid) => pid === 424242 })).toEqual([]);
    expect(second.runs.get(mine.id)?.status).toBe('running');
    // Once the first store closes, its runs count as interrupted (same pid, no live token).
    live.close();
    expect(second.recoverInterruptedRuns({ isProcessAlive: () => false }).sort()).toEqual(
      [mine.id, other.id].sort(),
    );
    second.close();
  });

  describe('with start times (a pid is reused by a new process)', () => {
    /** A run, running, whose owner row says `pid` started at `ticks`. */
    function runOwnedBy(store: LabStore, pid: number, ticks: number | null): number {
      const experiment = store.experiments.create(SPEC);
      const run = store.runs.create(newRun(experiment.id));
      store.runs.markRunning(run.id);
      store.db
        .prepare('UPDATE runs SET owner_pid = ?, owner_token = NULL, owner_start_ticks = ? WHERE id = ?')
        .run(pid, ticks, run.id);
      return run.id;
    }

    it('recovers a live pid with another start time, keeps a matching one, and pid-only rows', () => {
      const store = openStore(join(dir, 'lab.db'));
      const reused = runOwnedBy(store, 424242, 1000);
      const same = runOwnedBy(store, 424242, 2000);
      const old = runOwnedBy(store, 424242, null);
      const probe = { isProcessAlive: () => true, processStartTicks: () => 2000 };
      expect(store.recoverInterruptedRuns(probe)).toEqual([reused]);
      expect(store.runs.get(reused)).toMatchObject({ status: 'failed', error: INTERRUPTED_RUNNING_ERROR });
      expect(store.runs.get(same)?.status).toBe('running');
      expect(store.runs.get(old)?.status).toBe('running');
      // Where start times cannot be read (no /proc: macOS, Windows) the pid alone decides.
      expect(
        store.recoverInterruptedRuns({ isProcessAlive: () => true, processStartTicks: () => null }),
      ).toEqual([]);
      store.close();
    });

    it.runIf(HAS_PROC)("compares with a real live process's /proc start time", () => {
      const store = openStore(join(dir, 'lab.db'));
      const parent = process.ppid;
      const ticks = processStartTicks(parent) as number;
      expect(ticks).toBeGreaterThan(0);
      const reused = runOwnedBy(store, parent, ticks + 1);
      const live = runOwnedBy(store, parent, ticks);
      expect(store.recoverInterruptedRuns()).toEqual([reused]);
      expect(store.runs.get(live)?.status).toBe('running');
      // This store's own runs carry this process's start time.
      const experiment = store.experiments.create(SPEC);
      expect(store.runs.create(newRun(experiment.id)).ownerStartTicks).toBe(processStartTicks(process.pid));
      store.close();
    });

    it('keeps pid-only behaviour for rows of a database written before start times existed', () => {
      const path = join(dir, 'v1.db');
      const v1 = new Database(path);
      v1.exec(MIGRATIONS[0]);
      v1.pragma('user_version = 1');
      v1.prepare("INSERT INTO experiments (name, spec, created_at) VALUES ('old', '{}', 'then')").run();
      const insertRun = v1.prepare(
        `INSERT INTO runs (experiment_id, method_index, method, label, seed, status, owner_pid, created_at)
         VALUES (1, 0, 'bc', 'BC', 1, 'running', ?, 'then')`,
      );
      const alive = Number(insertRun.run(process.ppid).lastInsertRowid);
      const dead = Number(insertRun.run(deadPid()).lastInsertRowid);
      v1.close();
      const store = openStore(path);
      expect(store.runs.get(alive)?.ownerStartTicks).toBeNull();
      expect(store.recoverInterruptedRuns()).toEqual([dead]);
      expect(store.runs.get(alive)?.status).toBe('running');
      store.close();
    });
  });
});

describe('parseProcStatStartTicks', () => {
  it('counts fields after the command name, which may hold spaces and parentheses', () => {
    const rest = 'S 1 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 1965687 3133440 385';
    expect(parseProcStatStartTicks(`123 (node) ${rest}`)).toBe(1965687);
    expect(parseProcStatStartTicks(`123 (a (b) c) ${rest}`)).toBe(1965687);
    expect(parseProcStatStartTicks('garbage')).toBeNull();
  });
});
