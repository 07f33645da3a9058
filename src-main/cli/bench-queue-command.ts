/**
 * `cascade-lab bench-queue`: DAMCAR's Table 4 grid (experiments/table4-grid.json, sized down but of
 * the same shape: a grid over the three loss weights, one seed) on this machine's job pool, then on
 * 1, 2 and 4 `cascade-lab worker` processes on loopback, each with its own data folder and talking
 * only to Redis, as remote machines would. Per configuration it prints one JSON line: wall time,
 * runs per minute, the speed-up over the local pool, each job's time in the queue (enqueue to start,
 * from BullMQ's own timestamps; finish on the worker to stored here, from the coordinator's SQLite),
 * what the jobs leave in Redis and the rate of BullMQ's event stream; and it checks that every grid
 * point and seed gave the same metrics wherever it ran.
 *
 * Before the timed runs, one un-timed pass queues the grid with no worker connected and reads
 * Redis's memory before and after: what a waiting job costs. It is then cancelled.
 *
 * Redis: a redis-server of its own on a random loopback port (the test fixture's, which a watchdog
 * stops if this process dies), or `--redis URL`, which must hold no other queue's work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendChoice, ExperimentSpec, RunSummary } from '../contract/api';
import type { connectRedis } from '../app/queue/redis-url';
import type { LocalLabApp } from '../app/types';
import { backendOption, integerOption, parseCommandArgs as parse, stringOption } from './args';
import { parseIntegerList } from './bench-command';
import { BENCH_QUEUE_HELP } from './help';
import { EXIT_OK, EXIT_RUN_FAILED, UsageError, type CliIo } from './io';
import { resolveQueueUrl } from './queue-args';

const BIN = fileURLToPath(new URL('../../bin/cascade-lab.mjs', import.meta.url));

/** The bundled spec whose grid this benchmark runs, sized down. */
export const TABLE4_SPEC_FILE = 'table4-grid.json';

export interface BenchQueueOptions {
  /** Values per loss weight (of Table 4's five): the grid has points^3 rows. */
  points: number;
  seeds: number;
  epochs: number;
  users: number;
  items: number;
  /** The local pool's jobs at once. */
  jobs: number;
  /** Worker processes of each queue configuration, in order. */
  workers: number[];
  backend: BackendChoice;
  /** An existing Redis (else one is started). */
  redisUrl: string | undefined;
  /** Also write every line to this file, as a JSON array. */
  jsonFile: string | undefined;
  /** Only the memory of the grid's jobs waiting on the queue: nothing is trained. */
  memoryOnly: boolean;
}

/** The options, or null when help was asked for. */
export function parseBenchQueueArgs(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cores = availableParallelism(),
): BenchQueueOptions | null {
  const { values, positionals } = parse(
    args,
    {
      points: { type: 'string' },
      seeds: { type: 'string' },
      epochs: { type: 'string' },
      users: { type: 'string' },
      items: { type: 'string' },
      jobs: { type: 'string' },
      workers: { type: 'string' },
      backend: { type: 'string' },
      redis: { type: 'string' },
      json: { type: 'string' },
      'memory-only': { type: 'boolean' },
    },
    BENCH_QUEUE_HELP,
  );
  if (values.help) return null;
  if (positionals.length)
    throw new UsageError(
      `bench-queue takes no arguments, got ${positionals.join(' ')}\n\n${BENCH_QUEUE_HELP}`,
    );
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const text = stringOption(values, key);
    return text === undefined ? fallback : integerOption(text, `--${key}`, min, max);
  };
  const workersText = stringOption(values, 'workers');
  const backend = backendOption(values) ?? 'wasm';
  if (backend === 'auto')
    throw new UsageError('--backend must name one backend: the workers and the local pool must use the same');
  return {
    points: integer('points', 3, 1, 5),
    seeds: integer('seeds', 1, 1, 10),
    epochs: integer('epochs', 1, 1, 50),
    users: integer('users', 300, 50, 100_000),
    items: integer('items', 400, 200, 100_000),
    jobs: integer('jobs', cores, 1, 256),
    workers: workersText === undefined ? [1, 2, 4] : parseIntegerList(workersText, '--workers', 1, 64),
    backend,
    redisUrl: resolveQueueUrl(stringOption(values, 'redis'), '--redis', env),
    jsonFile: stringOption(values, 'json'),
    memoryOnly: values['memory-only'] === true,
  };
}

/** `points` of `values`, evenly spread and including both ends (the middle one when points is 1). */
export function spreadValues(values: readonly number[], points: number): number[] {
  if (points >= values.length) return [...values];
  if (points === 1) return [values[Math.floor((values.length - 1) / 2)]];
  return Array.from(
    { length: points },
    (_, i) => values[Math.round((i * (values.length - 1)) / (points - 1))],
  );
}

/**
 * Table 4's spec at the benchmark's size: the same methods row with each weight's grid cut to
 * `points` values, on a small simulated world, `epochs` epochs, seeds 1..`seeds`.
 */
export function sizedDownSpec(table4: ExperimentSpec, options: BenchQueueOptions): ExperimentSpec {
  const methods = table4.methods.map((row) => ({
    ...row,
    ...(row.grid
      ? {
          grid: Object.fromEntries(
            Object.entries(row.grid).map(([key, values]) => [
              key,
              spreadValues(values as number[], options.points),
            ]),
          ),
        }
      : {}),
  }));
  return {
    ...table4,
    name: `bench-queue: ${table4.name}`,
    dataset: {
      kind: 'simulated',
      params: {
        users: options.users,
        items: options.items,
        categories: 5,
        latentDim: 8,
        multimodalDim: 8,
        exposuresPerUser: 30,
        candidatesPerRequest: 50,
        exposedPerRequest: 5,
        seed: 11,
      },
    },
    methods,
    training: { ...table4.training, epochs: options.epochs },
    evaluation: { ...table4.evaluation, retrievalK: [10, 50] },
    seeds: Array.from({ length: options.seeds }, (_, i) => i + 1),
    backend: options.backend,
  } as ExperimentSpec;
}

/** Median and 90th percentile (nearest rank), rounded to ms; nulls when there is nothing. */
export function spread(values: readonly number[]): { median: number | null; p90: number | null } {
  if (values.length === 0) return { median: null, p90: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const p90 = sorted[Math.max(0, Math.ceil(0.9 * sorted.length) - 1)];
  return { median: Math.round(median), p90: Math.round(p90) };
}

/** A run's grid point and seed: the same key wherever it ran. */
export function runKey(run: Pick<RunSummary, 'params' | 'seed' | 'method'>): string {
  const params = Object.entries(run.params).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([run.method, params, run.seed]);
}

/**
 * Runs of `runs` whose metrics differ from the reference's run of the same key (or that did not
 * finish, or have no reference): the number, and a few named.
 */
export function metricMismatches(
  reference: ReadonlyMap<string, Record<string, number>>,
  runs: readonly RunSummary[],
): { count: number; examples: string[] } {
  const examples: string[] = [];
  let count = 0;
  for (const run of runs) {
    const key = runKey(run);
    const expected = reference.get(key);
    let why: string | null = null;
    if (run.status !== 'finished') why = `${run.status}${run.error ? `: ${run.error}` : ''}`;
    else if (!expected) why = 'no reference run';
    else {
      const names = new Set([...Object.keys(expected), ...Object.keys(run.metrics)]);
      const differing = [...names].filter((name) => !Object.is(expected[name], run.metrics[name]));
      if (differing.length) why = `${differing[0]} ${run.metrics[differing[0]]} vs ${expected[differing[0]]}`;
    }
    if (why === null) continue;
    count += 1;
    if (examples.length < 3) examples.push(`${key}: ${why}`);
  }
  return { count, examples };
}

/* ----------------------------------------------------------------------------------------------
 * Redis readings
 * -------------------------------------------------------------------------------------------- */

type Redis = ReturnType<typeof connectRedis>;

/** What BullMQ keeps of a job (its hash's fields), in ms since the epoch. */
interface JobTimes {
  /** When the coordinator added it. */
  timestamp: number;
  /** When a worker took it (its last attempt). */
  processedOn: number | null;
  /** When its worker finished it. */
  finishedOn: number | null;
  processedBy: string | null;
  attemptsMade: number;
}

/** Reads the job's hash, as BullMQ's Job.fromJSON would (the CLI talks to Redis, not to BullMQ). */
async function jobTimes(redis: Redis, key: string): Promise<JobTimes | null> {
  const raw = await redis.hgetall(key);
  if (!raw.timestamp) return null;
  const time = (value: string | undefined): number | null => (value ? Number(value) : null);
  return {
    timestamp: Number(raw.timestamp),
    processedOn: time(raw.processedOn),
    finishedOn: time(raw.finishedOn),
    processedBy: raw.pb ?? null,
    attemptsMade: Number(raw.atm ?? raw.attemptsMade ?? 0),
  };
}

interface RedisReading {
  usedMemory: number;
  /** Commands the server has processed (INFO stats), this benchmark's own few included. */
  commands: number;
  /** Entries ever added to the events stream (XINFO's entries-added: trimming does not lower it). */
  eventsAdded: number;
  lastEventId: string;
}

const EVENTS_KEY = (prefix: string, queue: string): string => `${prefix}:${queue}:events`;

async function readRedis(redis: Redis, eventsKey: string): Promise<RedisReading> {
  const info = await redis.info('memory');
  const usedMemory = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
  const stats = await redis.info('stats');
  const commands = Number(/^total_commands_processed:(\d+)/m.exec(stats)?.[1] ?? NaN);
  const stream = await streamInfo(redis, eventsKey);
  return {
    usedMemory,
    commands,
    eventsAdded: Number(stream.get('entries-added') ?? 0),
    lastEventId: String(stream.get('last-generated-id') ?? '0-0'),
  };
}

async function streamInfo(redis: Redis, key: string): Promise<Map<string, unknown>> {
  if (!(await redis.exists(key))) return new Map();
  const flat = (await redis.call('XINFO', 'STREAM', key)) as unknown[];
  const info = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) info.set(String(flat[i]), flat[i + 1]);
  return info;
}

/** Events added after `afterId`, by BullMQ event name (added, active, progress, completed, ...). */
async function eventsByName(redis: Redis, key: string, afterId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let start = afterId === '0-0' ? '-' : `(${afterId}`;
  for (;;) {
    const batch = (await redis.xrange(key, start, '+', 'COUNT', 1000)) as [string, string[]][];
    for (const [, fields] of batch) {
      const name = fields[fields.indexOf('event') + 1] ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
    }
    if (batch.length < 1000) return counts;
    start = `(${batch[batch.length - 1][0]}`;
  }
}

async function memoryUsage(redis: Redis, key: string): Promise<number | null> {
  const bytes = (await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number | null;
  return bytes ?? null;
}

/* ----------------------------------------------------------------------------------------------
 * Worker processes
 * -------------------------------------------------------------------------------------------- */

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<void>;
}

function startWorker(url: string, name: string, home: string, backend: BackendChoice): WorkerProcess {
  mkdirSync(home, { recursive: true });
  const args = [BIN, 'worker', '--redis', url, '--name', name, '--data', join(home, 'data')];
  args.push('--backend', backend, '--concurrency', '1');
  // Its own folders and working directory: nothing of the coordinator's is within reach.
  const child = spawn(process.execPath, args, {
    cwd: home,
    env: { ...process.env, CASCADE_LAB_DATA_DIR: join(home, 'home') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
      if (log.includes(`Worker ${name} on `)) resolve();
    });
    void exited.then(() => reject(new Error(`worker ${name} exited before it was ready:\n${log.trim()}`)));
  });
  ready.catch(() => undefined);
  return { name, child, ready, exited };
}

/** Ctrl-C to each (they finish nothing: the queue is empty), then SIGKILL after 15 s. */
async function stopWorkers(workers: readonly WorkerProcess[]): Promise<void> {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGINT');
  await Promise.all(
    workers.map(async (worker) => {
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), 15_000);
      await worker.exited;
      clearTimeout(timer);
    }),
  );
}

/* ----------------------------------------------------------------------------------------------
 * Configurations
 * -------------------------------------------------------------------------------------------- */

interface Context {
  options: BenchQueueOptions;
  spec: ExperimentSpec;
  dir: string;
  url: string;
  redis: Redis;
  eventsKey: string;
  jobKeyPrefix: string;
  /** Runs in the grid. */
  runs: number;
}

interface Timed {
  runs: RunSummary[];
  wallMs: number;
  databasePath: string;
}

async function runExperiment(app: LocalLabApp, spec: ExperimentSpec): Promise<Timed> {
  const { id } = await app.handlers['experiments:create']({ spec });
  const started = performance.now();
  await app.handlers['experiments:run']({ experimentId: id });
  await app.waitForExperiment(id);
  const wallMs = performance.now() - started;
  return {
    runs: await app.handlers['runs:list']({ experimentId: id }),
    wallMs,
    databasePath: app.databasePath,
  };
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

function baseLine(config: string, timed: Timed, localWallMs: number | null): Record<string, unknown> {
  const runs = timed.runs.length;
  const finished = timed.runs.filter((run) => run.status === 'finished').length;
  const runMs = timed.runs
    .filter((run) => run.startedAt && run.finishedAt)
    .map((run) => Date.parse(run.finishedAt as string) - Date.parse(run.startedAt as string));
  return {
    bench: 'queue',
    config,
    runs,
    finished,
    wall_s: round(timed.wallMs / 1000),
    runs_per_min: round((finished / timed.wallMs) * 60_000),
    speedup_vs_local: localWallMs === null ? 1 : round(localWallMs / timed.wallMs, 3),
    run_ms: spread(runMs),
    phase_ms: phaseMedians(timed.runs),
  };
}

/** Each timing phase's median over the runs (data, train, eval, ...). */
function phaseMedians(runs: readonly RunSummary[]): Record<string, number | null> {
  const phases = new Map<string, number[]>();
  for (const run of runs)
    for (const [phase, ms] of Object.entries(run.timings))
      phases.set(phase, [...(phases.get(phase) ?? []), ms]);
  return Object.fromEntries([...phases].map(([phase, values]) => [phase, spread(values).median]));
}

async function runLocal(ctx: Context): Promise<Timed> {
  const { createLabApp } = await import('../app/lab-app');
  const app = await createLabApp({
    dataDir: join(ctx.dir, 'local'),
    transport: 'cli',
    maxParallelJobs: ctx.options.jobs,
  });
  try {
    return await runExperiment(app, ctx.spec);
  } finally {
    await app.close();
  }
}

/** The queue's job ids of an experiment's runs, from the coordinator's store. */
async function jobIdsOf(databasePath: string, runIds: readonly number[]): Promise<Map<number, string>> {
  const { openStore } = await import('../store/index');
  const store = openStore(databasePath);
  try {
    const ids = new Map<number, string>();
    for (const runId of runIds) {
      const jobId = store.runs.get(runId)?.queueJobId;
      if (jobId) ids.set(runId, jobId);
    }
    return ids;
  } finally {
    store.close();
  }
}

/**
 * Queues the grid twice with no worker connected, and cancels both: what a waiting job costs in
 * Redis. The second batch's growth is the figure (the first also pays one-off costs: the event
 * stream's creation, BullMQ's scripts, the coordinator's connections).
 */
async function measureWaiting(ctx: Context): Promise<Record<string, unknown>> {
  const { createLabApp } = await import('../app/lab-app');
  const app = await createLabApp({
    dataDir: join(ctx.dir, 'waiting'),
    transport: 'cli',
    maxParallelJobs: 1,
    queue: { url: ctx.url },
  });
  const waitingJobs = async (): Promise<number> =>
    (await ctx.redis.llen(`${ctx.jobKeyPrefix}wait`)) +
    (await ctx.redis.zcard(`${ctx.jobKeyPrefix}prioritized`));
  const queueGrid = async (): Promise<{ id: number; runIds: number[] }> => {
    const target = (await waitingJobs()) + ctx.runs;
    const { id } = await app.handlers['experiments:create']({ spec: ctx.spec });
    const { runIds } = await app.handlers['experiments:run']({ experimentId: id });
    const deadline = Date.now() + 60_000;
    while ((await waitingJobs()) < target) {
      if (Date.now() > deadline) throw new Error('the grid did not reach the queue within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { id, runIds };
  };
  const experiments: number[] = [];
  try {
    const before = await readRedis(ctx.redis, ctx.eventsKey);
    const first = await queueGrid();
    experiments.push(first.id);
    const middle = await readRedis(ctx.redis, ctx.eventsKey);
    const second = await queueGrid();
    experiments.push(second.id);
    const after = await readRedis(ctx.redis, ctx.eventsKey);
    const hashBytes: number[] = [];
    for (const jobId of (await jobIdsOf(app.databasePath, second.runIds)).values()) {
      const bytes = await memoryUsage(ctx.redis, `${ctx.jobKeyPrefix}${jobId}`);
      if (bytes !== null) hashBytes.push(bytes);
    }
    const jobs = second.runIds.length;
    return {
      bench: 'queue-memory',
      state: 'waiting',
      jobs,
      used_memory_before: before.usedMemory,
      used_memory_after_first: middle.usedMemory,
      used_memory_after_second: after.usedMemory,
      bytes_per_waiting_job: Math.round((after.usedMemory - middle.usedMemory) / jobs),
      bytes_per_waiting_job_first: Math.round((middle.usedMemory - before.usedMemory) / jobs),
      job_hash_bytes: spread(hashBytes),
      events_per_enqueued_job: round((after.eventsAdded - middle.eventsAdded) / jobs),
    };
  } finally {
    for (const experimentId of experiments) await app.handlers['runs:cancel']({ experimentId });
    for (const experimentId of experiments) await app.waitForExperiment(experimentId);
    await app.close();
  }
}

async function runOnWorkers(
  ctx: Context,
  count: number,
  localWallMs: number,
  reference: Map<string, Record<string, number>>,
): Promise<Record<string, unknown>> {
  const { createLabApp } = await import('../app/lab-app');
  const home = join(ctx.dir, `workers-${count}`);
  const workers = Array.from({ length: count }, (_, i) =>
    startWorker(ctx.url, `bench-${count}-${i + 1}`, join(home, `worker-${i + 1}`), ctx.options.backend),
  );
  let app: LocalLabApp | null = null;
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    app = await createLabApp({
      dataDir: join(home, 'coordinator'),
      transport: 'cli',
      maxParallelJobs: 1,
      queue: { url: ctx.url },
    });
    const before = await readRedis(ctx.redis, ctx.eventsKey);
    const timed = await runExperiment(app, ctx.spec);
    const after = await readRedis(ctx.redis, ctx.eventsKey);
    const byName = await eventsByName(ctx.redis, ctx.eventsKey, before.lastEventId);

    const jobIds = await jobIdsOf(
      timed.databasePath,
      timed.runs.map((run) => run.id),
    );
    const enqueueToStart: number[] = [];
    const finishToStored: number[] = [];
    const onWorker: number[] = [];
    const hashBytes: number[] = [];
    const byWorker = new Map<string, { added: number; start: number; end: number }[]>();
    let retried = 0;
    for (const run of timed.runs) {
      const jobId = jobIds.get(run.id);
      const job = jobId === undefined ? null : await jobTimes(ctx.redis, `${ctx.jobKeyPrefix}${jobId}`);
      if (!job || jobId === undefined) continue;
      if (job.attemptsMade > 1) retried += 1;
      if (job.processedOn !== null) enqueueToStart.push(job.processedOn - job.timestamp);
      if (job.finishedOn !== null && run.finishedAt)
        finishToStored.push(Date.parse(run.finishedAt) - job.finishedOn);
      if (job.processedOn !== null && job.finishedOn !== null) {
        onWorker.push(job.finishedOn - job.processedOn);
        const who = job.processedBy ?? '?';
        const list = byWorker.get(who) ?? [];
        list.push({ added: job.timestamp, start: job.processedOn, end: job.finishedOn });
        byWorker.set(who, list);
      }
      const bytes = await memoryUsage(ctx.redis, `${ctx.jobKeyPrefix}${jobId}`);
      if (bytes !== null) hashBytes.push(bytes);
    }
    // A free worker to its next job: the queue's own hand-over time, without the wait for a worker.
    const pickupGap: number[] = [];
    // An idle worker's first job: how soon a job added to the queue reaches a waiting worker.
    const firstPickup: number[] = [];
    for (const list of byWorker.values()) {
      list.sort((a, b) => a.start - b.start);
      firstPickup.push(list[0].start - list[0].added);
      for (let i = 1; i < list.length; i++) pickupGap.push(list[i].start - list[i - 1].end);
    }
    const jobs = timed.runs.length;
    const events = after.eventsAdded - before.eventsAdded;
    const mismatches = metricMismatches(reference, timed.runs);
    const streamBytes = await memoryUsage(ctx.redis, ctx.eventsKey);
    const streamLength = await ctx.redis.xlen(ctx.eventsKey);
    return {
      ...baseLine(`workers-${count}`, timed, localWallMs),
      workers: count,
      enqueue_to_start_ms: spread(enqueueToStart),
      first_pickup_ms: spread(firstPickup),
      pickup_gap_ms: spread(pickupGap),
      on_worker_ms: spread(onWorker),
      finish_to_stored_ms: spread(finishToStored),
      retried_jobs: retried,
      used_memory_before: before.usedMemory,
      used_memory_after: after.usedMemory,
      bytes_per_completed_job: Math.round((after.usedMemory - before.usedMemory) / jobs),
      completed_job_hash_bytes: spread(hashBytes),
      // What the jobs' own keys and their events account for, without allocator and buffer noise.
      accounted_bytes_per_job:
        streamBytes && streamLength
          ? Math.round((spread(hashBytes).median ?? 0) + (events / jobs) * (streamBytes / streamLength))
          : null,
      events,
      events_per_job: round(events / jobs),
      events_per_s: round(events / (timed.wallMs / 1000)),
      redis_commands_per_job: round((after.commands - before.commands) / jobs),
      redis_commands_per_s: round((after.commands - before.commands) / (timed.wallMs / 1000)),
      events_by_name: byName,
      event_stream_bytes_per_entry:
        streamBytes && streamLength ? Math.round(streamBytes / streamLength) : null,
      metric_mismatches: mismatches.count,
      ...(mismatches.examples.length ? { mismatch_examples: mismatches.examples } : {}),
    };
  } finally {
    await app?.close();
    await stopWorkers(workers);
  }
}

/* ----------------------------------------------------------------------------------------------
 * The command
 * -------------------------------------------------------------------------------------------- */

export async function benchQueueCommand(args: string[], io: CliIo): Promise<number> {
  const options = parseBenchQueueArgs(args);
  if (options === null) {
    io.stdout.write(BENCH_QUEUE_HELP);
    return EXIT_OK;
  }
  const { createLabApp } = await import('../app/lab-app');
  const { connectRedis, reachRedis, redactRedisUrl } = await import('../app/queue/redis-url');
  const { KEY_PREFIX, QUEUE_NAME } = await import('../app/queue/payload');
  const { listQueueWorkers } = await import('../app/queue/workers');

  const dir = mkdtempSync(join(tmpdir(), 'cascade-bench-queue-'));
  const lines: Record<string, unknown>[] = [];
  const print = (line: Record<string, unknown>): void => {
    lines.push(line);
    io.stdout.write(`${JSON.stringify(line)}\n`);
  };
  let server: { url: string; stop(): Promise<void> } | null = null;
  let redis: Redis | null = null;
  try {
    // The spec: Table 4's, as bundled, at this size.
    const reader = await createLabApp({ dataDir: join(dir, 'spec'), transport: 'cli', maxParallelJobs: 1 });
    let table4: ExperimentSpec | undefined;
    try {
      table4 = (await reader.handlers['experiments:bundled']({})).find(
        (b) => b.file === TABLE4_SPEC_FILE,
      )?.spec;
    } finally {
      await reader.close();
    }
    if (!table4) throw new Error(`the bundled ${TABLE4_SPEC_FILE} was not found`);
    const spec = sizedDownSpec(table4, options);

    if (options.redisUrl === undefined) {
      const { startRedisServer } = await import('../app/queue/local-redis');
      server = await startRedisServer();
    }
    const url = options.redisUrl ?? (server as { url: string }).url;
    redis = connectRedis(url);
    await reachRedis(redis, url);
    const eventsKey = EVENTS_KEY(KEY_PREFIX, QUEUE_NAME);
    const jobKeyPrefix = `${KEY_PREFIX}:${QUEUE_NAME}:`;
    if (options.redisUrl !== undefined) {
      const busy = (await listQueueWorkers(redis)).length;
      const pending = (await redis.llen(`${jobKeyPrefix}wait`)) + (await redis.llen(`${jobKeyPrefix}active`));
      if (busy || pending)
        throw new UsageError(
          `the queue at ${redactRedisUrl(url)} has ${busy} worker(s) and ${pending} job(s): bench-queue needs a queue of its own`,
        );
    }
    const runs =
      spec.methods.reduce(
        (sum, row) =>
          sum + Object.values(row.grid ?? {}).reduce((n, values) => n * (values as unknown[]).length, 1),
        0,
      ) * spec.seeds.length;
    const server_info = await redis.info('server');
    io.stderr.write(
      `bench-queue: ${runs} DAMCAR runs (${options.points}^3 grid points x ${options.seeds} seed(s), ` +
        `${options.users} users, ${options.items} items, ${options.epochs} epoch(s), ${options.backend}); ` +
        `local pool of ${options.jobs}, then ${options.workers.join(', ')} worker process(es) on ${redactRedisUrl(url)} ` +
        `(redis ${/redis_version:(\S+)/.exec(server_info)?.[1] ?? '?'}); ${availableParallelism()} cores here.\n`,
    );
    const ctx: Context = { options, spec, dir, url, redis, eventsKey, jobKeyPrefix, runs };

    if (options.memoryOnly) {
      io.stderr.write('Queued with no worker connected (memory of waiting jobs)...\n');
      print(await measureWaiting(ctx));
      return EXIT_OK;
    }

    io.stderr.write('Local pool...\n');
    const local = await runLocal(ctx);
    const reference = new Map(
      local.runs.filter((run) => run.status === 'finished').map((run) => [runKey(run), run.metrics]),
    );
    const localMismatches = metricMismatches(reference, local.runs);
    print({
      ...baseLine('local', local, null),
      jobs: options.jobs,
      metric_mismatches: localMismatches.count,
      ...(localMismatches.examples.length ? { mismatch_examples: localMismatches.examples } : {}),
    });

    io.stderr.write('Queued with no worker connected (memory of waiting jobs)...\n');
    print(await measureWaiting(ctx));

    let mismatches = localMismatches.count;
    const configs: Record<string, unknown>[] = [];
    for (const count of options.workers) {
      io.stderr.write(`${count} worker process(es)...\n`);
      const line = await runOnWorkers(ctx, count, local.wallMs, reference);
      mismatches += line.metric_mismatches as number;
      configs.push(line);
      print(line);
    }
    print({
      bench: 'queue-summary',
      runs,
      cores: availableParallelism(),
      local_wall_s: round(local.wallMs / 1000),
      speedups: Object.fromEntries(configs.map((line) => [line.config as string, line.speedup_vs_local])),
      metric_mismatches: mismatches,
      ok: mismatches === 0,
    });
    return mismatches === 0 ? EXIT_OK : EXIT_RUN_FAILED;
  } finally {
    if (options.jsonFile) writeFileSync(options.jsonFile, `${JSON.stringify(lines, null, 2)}\n`);
    await redis?.quit().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
