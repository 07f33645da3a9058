/**
 * Remote execution end to end, against a real redis-server (local-redis.ts) and real `cascade-lab
 * worker` processes, each with its own data folder, talking to the coordinator only through Redis:
 * results land as local runs do; a worker killed mid-run hands its run to another; cancels reach
 * the worker; a Redis restart and a coordinator restart lose nothing; a worker whose backend or
 * version is wrong refuses and leaves the run to others.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentSpec, ImportDone, RunSummary } from '../../contract/api';
import { BIN } from '../fixtures/run-bin';
import { TINY_SIMULATION } from '../fixtures/tiny-simulation';
import { codeVersion } from '../code-version';
import { createLabApp } from '../lab-app';
import type { LocalLabApp } from '../types';
import { startRedisServer, type RedisServerHandle } from './local-redis';

const TIKTOK = join(import.meta.dirname, '..', '..', 'core', 'node', 'importers', 'fixtures', 'tiktok');

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

let dir: string;
let redis: RedisServerHandle | null = null;
const workers: WorkerProcess[] = [];
const apps: LocalLabApp[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-queue-'));
});

afterEach(async () => {
  for (const worker of workers.splice(0)) worker.child.kill('SIGKILL');
  for (const app of apps.splice(0)) await app.close();
  await redis?.stop();
  redis = null;
  rmSync(dir, { recursive: true, force: true });
});

function startWorker(
  name: string,
  options: { extra?: string[]; env?: NodeJS.ProcessEnv; url?: string } = {},
): WorkerProcess {
  if (!redis) throw new Error('start Redis first');
  const args = [
    BIN,
    'worker',
    '--redis',
    options.url ?? redis.url,
    '--name',
    name,
    '--data',
    join(dir, `worker-${name}`),
    '--stalled-ms',
    '1500',
    ...(options.extra ?? ['--backend', 'wasm']),
  ];
  // No access to the coordinator's folder: its own data folder, and the test folder as cwd.
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, CASCADE_LAB_DATA_DIR: join(dir, `worker-${name}-home`), ...options.env },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const worker = { name, child, output: () => output, exited };
  workers.push(worker);
  return worker;
}

async function openCoordinator(caFile?: string): Promise<LocalLabApp> {
  if (!redis) throw new Error('start Redis first');
  const app = await createLabApp({
    dataDir: join(dir, 'coordinator'),
    transport: 'cli',
    maxParallelJobs: 1,
    queue: { url: redis.url },
    queueCaFile: caFile,
  });
  apps.push(app);
  return app;
}

async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 60_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function tinySpec(app: LocalLabApp, overrides: Partial<ExperimentSpec> = {}): Promise<ExperimentSpec> {
  return app.handlers['experiments:template']({}).then((template) => ({
    ...template,
    name: 'queued',
    dataset: { kind: 'simulated', params: TINY_SIMULATION },
    ranking: { model: 'none' },
    methods: [{ id: 'bc' }],
    training: { ...template.training, epochs: 1, embeddingDim: 8, batchSize: 128 },
    evaluation: { retrievalK: [10], corpus: 'all' },
    seeds: [1],
    backend: 'wasm',
    ...overrides,
  }));
}

async function runOnQueue(app: LocalLabApp, spec: ExperimentSpec): Promise<number> {
  const { id } = await app.handlers['experiments:create']({ spec });
  await app.handlers['experiments:run']({ experimentId: id });
  return id;
}

const runsOf = (app: LocalLabApp, experimentId: number): Promise<RunSummary[]> =>
  app.handlers['runs:list']({ experimentId });

describe('runs on a queue of remote workers', () => {
  it('refuses to start on a queue it cannot reach, naming it without its password', async () => {
    redis = await startRedisServer();
    const port = redis.port;
    await redis.stop();
    redis = null;
    await expect(
      createLabApp({
        dataDir: join(dir, 'coordinator'),
        transport: 'cli',
        queue: { url: `redis://:hunter2@127.0.0.1:${port}` },
      }),
    ).rejects.toThrow(
      new RegExp(
        `cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} within 10 s: .*ECONNREFUSED`,
      ),
    );
  }, 30_000);

  it('finish on a worker over TLS with a password, stored as local runs are and marked with it', async () => {
    redis = await startRedisServer({ tls: true, password: 'queue-s3cret' });
    const app = await openCoordinator(redis.caFile);
    startWorker('tls-1', { extra: ['--backend', 'wasm', '--redis-ca', redis.caFile ?? ''] });
    const spec = await tinySpec(app, { seeds: [1, 2] });
    const experimentId = await runOnQueue(app, spec);
    await app.waitForExperiment(experimentId);
    const runs = await runsOf(app, experimentId);
    expect(runs.map((run) => [run.status, run.error])).toEqual([
      ['finished', null],
      ['finished', null],
    ]);
    for (const run of runs) {
      expect(run.worker).toMatch(/^tls-1 \(.+, wasm\)$/);
      expect(run.backend).toBe('wasm');
      expect(Object.keys(run.metrics).length).toBeGreaterThan(0);
      expect((await app.handlers['runs:curves']({ runId: run.id })).length).toBeGreaterThan(0);
    }
    const status = await app.handlers['queue:status']({});
    expect(status.runOn).toEqual({
      kind: 'queue',
      url: expect.stringMatching(/^rediss:\/\/:\*\*\*@127\.0\.0\.1:/),
    });
    expect(status.workers.map((w) => [w.name, w.status, w.concurrency, w.backend])).toEqual([
      ['tls-1', 'ready', 1, 'wasm'],
    ]);
    expect(status.workers[0].device).toMatch(/^WebAssembly/);
    expect(status.workers[0].cores).toBeGreaterThan(0);
    expect(status.workers[0].version).toBe(codeVersion());

    // The same spec on this machine gives the same metrics: the worker trained on the same world.
    const local = await createLabApp({ dataDir: join(dir, 'local'), transport: 'cli', maxParallelJobs: 1 });
    apps.push(local);
    const localId = await runOnQueue(local, spec);
    await local.waitForExperiment(localId);
    const localRuns = await runsOf(local, localId);
    expect(localRuns.map((run) => run.metrics)).toEqual(runs.map((run) => run.metrics));
    expect(localRuns.every((run) => run.worker === null)).toBe(true);
  }, 180_000);

  it('sends a stored dataset by content hash to a worker that keeps it in its own cache folder', async () => {
    redis = await startRedisServer();
    const app = await openCoordinator();
    const done = new Promise<ImportDone>((resolve) => app.events.on('dataset:import-done', resolve));
    await app.handlers['datasets:import']({
      format: 'tiktok',
      paths: [join(TIKTOK, 'final_track2_train.txt'), join(TIKTOK, 'track2_video_features.txt')],
      filters: { minUserInteractions: 2 },
    });
    const { dataset, error } = await done;
    expect(error).toBeUndefined();
    const worker = startWorker('reader');
    const spec = await tinySpec(app, {
      dataset: { kind: 'stored', datasetId: dataset?.id ?? 0 },
      seeds: [1, 2],
    });
    const experimentId = await runOnQueue(app, spec);
    await app.waitForExperiment(experimentId);
    const runs = await runsOf(app, experimentId);
    expect(runs.map((r) => [r.status, r.error, r.datasetId])).toEqual([
      ['finished', null, dataset?.id],
      ['finished', null, dataset?.id],
    ]);
    // Fetched once into the worker's own folder, verified; the coordinator's folder untouched.
    const cached = readdirSync(join(dir, 'worker-reader', 'datasets'));
    expect(cached).toHaveLength(1);
    expect(cached[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(dir, 'worker-reader', 'datasets', cached[0], '.verified'))).toBe(true);
    expect(worker.output()).not.toMatch(/did not arrive intact/);
  }, 180_000);

  it("keeps the trained ranking model in the worker's own cache, shared by its runs", async () => {
    redis = await startRedisServer();
    const app = await openCoordinator();
    startWorker('ranker');
    const spec = await tinySpec(app, { ranking: { model: 'deepfm' }, methods: [{ id: 'bc' }, { id: 'kd' }] });
    const experimentId = await runOnQueue(app, spec);
    const logs: string[] = [];
    app.events.on('job:log', (line) => logs.push(line.message));
    await app.waitForExperiment(experimentId);
    expect((await runsOf(app, experimentId)).map((r) => r.status)).toEqual(['finished', 'finished']);
    expect(readdirSync(join(dir, 'worker-ranker', 'cache')).length).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'coordinator', 'cache'))).toBe(false);
    // The second run reused the first one's ranking model on the worker instead of training it.
    expect(
      logs.some((line) => /ranking model (trained for seed 1 in this worker|trained earlier)/.test(line)),
    ).toBe(true);
  }, 180_000);

  it('gives the run of a worker killed mid-run to another worker, which stores it once', async () => {
    redis = await startRedisServer();
    const app = await openCoordinator();
    const doomed = startWorker('doomed');
    const spec = await tinySpec(app, {
      training: { epochs: 8, embeddingDim: 16, batchSize: 64, learningRate: 0.01 },
    });
    const experimentId = await runOnQueue(app, spec);
    const run = await waitFor('the run to start on the doomed worker', async () =>
      (await runsOf(app, experimentId)).find((r) => r.status === 'running' && r.worker?.startsWith('doomed')),
    );
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const survivor = startWorker('survivor');
    await app.waitForExperiment(experimentId);
    const [after] = await runsOf(app, experimentId);
    expect(after.id).toBe(run.id);
    expect([after.status, after.error]).toEqual(['finished', null]);
    expect(after.worker).toMatch(/^survivor /);
    expect(await runsOf(app, experimentId)).toHaveLength(1);
    expect(survivor.output()).toMatch(/Run \d+ finished/);
  }, 180_000);

  it('stops a running run on its worker within seconds of a cancel, and the worker takes the next', async () => {
    redis = await startRedisServer();
    const app = await openCoordinator();
    const worker = startWorker('busy');
    const long = await tinySpec(app, {
      training: { epochs: 50, embeddingDim: 16, batchSize: 32, learningRate: 0.01 },
    });
    const experimentId = await runOnQueue(app, long);
    const run = await waitFor('the run to start', async () =>
      (await runsOf(app, experimentId)).find((r) => r.status === 'running'),
    );
    const asked = Date.now();
    await app.handlers['runs:cancel']({ runId: run.id });
    await app.waitForExperiment(experimentId);
    const [after] = await runsOf(app, experimentId);
    expect(after.status).toBe('cancelled');
    // Within seconds (the status says its 50 epochs did not all run); the bound is generous, since
    // on a loaded machine (other test files beside it) a cancel once took 15 s to land.
    expect(Date.now() - asked).toBeLessThan(30_000);
    expect(worker.output()).toMatch(/Cancelling job .* as its coordinator asked/);
    const next = await runOnQueue(app, await tinySpec(app));
    await app.waitForExperiment(next);
    expect((await runsOf(app, next)).map((r) => r.status)).toEqual(['finished']);
  }, 180_000);

  it('takes a cancelled run off the queue before any worker sees it', async () => {
    redis = await startRedisServer();
    const app = await openCoordinator();
    const experimentId = await runOnQueue(app, await tinySpec(app));
    const [run] = await waitFor('the run to be queued', async () =>
      (await runsOf(app, experimentId)).filter((r) => r.status === 'queued'),
    );
    await app.handlers['runs:cancel']({ runId: run.id });
    await app.waitForExperiment(experimentId);
    expect((await runsOf(app, experimentId)).map((r) => [r.status, r.error])).toEqual([['cancelled', null]]);
    const late = startWorker('late');
    await waitFor('the late worker to be ready', () => /Worker late on /.test(late.output()));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(late.output()).not.toMatch(/started: job/);
  }, 120_000);

  it('loses no queued run when Redis restarts, with persistence on', async () => {
    redis = await startRedisServer({ appendonly: true });
    const app = await openCoordinator();
    const experimentId = await runOnQueue(app, await tinySpec(app, { seeds: [1, 2, 3] }));
    await waitFor('the runs to be on the queue', async () =>
      (await runsOf(app, experimentId)).every((r) => r.status === 'queued'),
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // the adds reach Redis
    await redis.kill(); // a crash: only what the AOF holds survives
    await redis.restart();
    startWorker('after-restart');
    await app.waitForExperiment(experimentId);
    expect((await runsOf(app, experimentId)).map((r) => r.status)).toEqual([
      'finished',
      'finished',
      'finished',
    ]);
  }, 180_000);

  it('stores, when it starts again, the results of runs that finished while the coordinator was down', async () => {
    redis = await startRedisServer();
    const first = await openCoordinator();
    const experimentId = await runOnQueue(first, await tinySpec(first, { seeds: [1, 2] }));
    await waitFor('the runs to be queued', async () =>
      (await runsOf(first, experimentId)).every((r) => r.status === 'queued'),
    );
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    const worker = startWorker('night-shift');
    await waitFor(
      'both runs to finish on the worker',
      () => (worker.output().match(/Run \d+ finished/g) ?? []).length === 2,
    );
    const second = await openCoordinator();
    await second.waitForExperiment(experimentId);
    const runs = await runsOf(second, experimentId);
    expect(runs.map((r) => r.status)).toEqual(['finished', 'finished']);
    expect(runs.every((r) => r.worker?.startsWith('night-shift') && Object.keys(r.metrics).length > 0)).toBe(
      true,
    );
  }, 180_000);

  it('leaves the run to another worker when a worker cannot start its backend or runs other code', async () => {
    redis = await startRedisServer();
    const app = await openCoordinator();
    const experimentId = await runOnQueue(app, await tinySpec(app));
    const noGpu = startWorker('no-gpu', { extra: ['--backend', 'webgpu'] });
    expect(await noGpu.exited).toBe(1);
    expect(noGpu.output()).toMatch(/the webgpu backend did not start: /);
    const stale = startWorker('stale', { env: { CASCADE_LAB_CODE_VERSION: '0.0.1+stale' } });
    expect(await stale.exited).toBe(1);
    expect(stale.output()).toMatch(/it runs Cascade Lab 0\.0\.1\+stale, but run \d+ was queued by /);
    startWorker('good');
    await app.waitForExperiment(experimentId);
    const [run] = await runsOf(app, experimentId);
    expect([run.status, run.error]).toEqual(['finished', null]);
    expect(run.worker).toMatch(/^good /);
  }, 180_000);
});
