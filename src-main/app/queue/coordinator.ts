/**
 * The coordinator's half of remote execution: runs created here are queued as BullMQ jobs on Redis
 * and executed by any number of `cascade-lab worker` processes (queue/worker.ts), on this machine or
 * others. Results land in the local store exactly as local runs do (the same RunHooks), marked with
 * the worker that ran them.
 *
 * Built on BullMQ, not a queue of our own: it gives atomic job moves, locks renewed by the worker
 * that holds a job, stalled-job recovery (a worker killed mid-run loses its lock and the job goes
 * back to the queue for another), retries with backoff, and a durable event stream.
 *
 * What travels: the payload (queue/payload.ts) carries no path. A simulated dataset is rebuilt by
 * the worker from its parameters and seed; the coordinator builds the same world in a thread of its
 * own (a data-only job) and compares digests when the result arrives, so a worker that built
 * another world (other code, other platform arithmetic) cannot pass off its metrics. A stored
 * dataset is published to Redis by content hash (queue/dataset-transfer.ts) and verified on arrival.
 *
 * What is stored: live progress and log lines come as job progress; everything the store keeps
 * (curves, timings, histograms, backend) comes once, with the finished job's return value, so a
 * worker that died mid-run leaves nothing half-written and the run is stored exactly once.
 *
 * Restarts: runs on the queue keep their job id in the store (runs.queue_job_id). A coordinator
 * that starts again asks Redis how each ended (completed, failed, still waiting or running) and
 * stores what finished while it was down.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ExperimentSpec } from '../../contract/api';
import type { JobRequest } from '../../core/experiments/job';
import type { LabStore } from '../../store/index';
import { codeVersion } from '../code-version';
import type { RunExecutor, RunHooks } from '../jobs';
import { publishDataset } from './dataset-transfer';
import {
  CANCEL_CHANNEL,
  CANCELLED_REASON,
  KEY_PREFIX,
  QUEUE_NAME,
  cancelledKey,
  queueJobId,
  type DatasetRef,
  type QueueOutcome,
  type QueuePayload,
  type QueueProgress,
  type WorkerAnnouncement,
} from './payload';
import {
  connectRedis,
  parseRedisUrl,
  reachRedis,
  redactRedisUrl,
  sayEachConnectionErrorOnce,
} from './redis-url';
import { ThreadJobRunner } from './thread-runner';
import { listQueueWorkers } from './workers';
import { messageOf } from '../errors';

export interface QueueCoordinatorOptions {
  /** redis:// or rediss:// URL, with a password where the server has one. */
  url: string;
  /** CA certificate of a rediss:// server with a private CA. */
  caFile?: string;
  store: LabStore;
  hooks: RunHooks;
  log: (level: 'info' | 'warn' | 'error', runId: number | null, message: string) => void;
  /** The data folder: holds this coordinator's id (coordinator-id), which prefixes its job ids. */
  dataDir: string;
  /** Threads for world digests (default 1). */
  digestThreads?: number;
  /** Attempts per run: a worker that dies or whose backend fails hands the run on (default 3). */
  attempts?: number;
  /** How long a cancelled running job may take to stop before it is marked cancelled (ms). */
  cancelGraceMs?: number;
  /** How often tracked jobs are checked for an end no event reported (ms, default 30 000). */
  reconcileMs?: number;
}

/** A stable id for the coordinator of one data folder (job ids must not clash across laptops). */
function coordinatorIdOf(dataDir: string): string {
  const file = join(dataDir, 'coordinator-id');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{16}$/.test(id)) return id;
  }
  mkdirSync(dataDir, { recursive: true });
  const id = randomBytes(8).toString('hex');
  writeFileSync(file, `${id}\n`);
  return id;
}

/** The spec row of one run: its method with every parameter resolved, no grid. */
function runRow(method: JobRequest['method']): ExperimentSpec['methods'][number] {
  return {
    id: method.id,
    label: method.label,
    params: method.params,
    ...(method.protocolParams ? { protocolParams: method.protocolParams } : {}),
  };
}

/** The world key of a simulated job: what its data phase reads. */
function worldKeyOf(request: Omit<JobRequest, 'runId'>): string {
  return JSON.stringify({
    protocol: request.spec.protocol,
    protocolParams: request.spec.protocolParams,
    rowProtocolParams: request.method.protocolParams,
    dataset: request.dataset,
    evaluation: request.spec.evaluation,
    seed: request.seed,
  });
}

export class QueueCoordinator implements RunExecutor {
  /** The queue as stored with runs and shown to the analyst: the URL without its password. */
  readonly label: string;
  private readonly options: QueueCoordinatorOptions;
  private readonly coordinatorId: string;
  // Made once Redis answers (start): BullMQ's connections wait for an unreachable server for ever.
  private queue!: Queue;
  private events!: QueueEvents;
  private readonly publisher: Redis;
  private readonly digests: ThreadJobRunner;
  private readonly expectedDigest = new Map<string, Promise<string | null>>();
  private readonly published = new Map<string, Promise<DatasetRef>>();
  /** Runs on the queue that this coordinator watches, by job id. */
  private readonly tracked = new Map<string, number>();
  private readonly cancelTimers = new Map<number, NodeJS.Timeout>();
  /** Runs whose job is being added to Redis: a cancel waits for the add. */
  private readonly adding = new Map<number, Promise<void>>();
  private reconcileTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(options: QueueCoordinatorOptions) {
    this.options = options;
    this.label = redactRedisUrl(options.url);
    this.coordinatorId = coordinatorIdOf(options.dataDir);
    this.publisher = connectRedis(options.url, { caFile: options.caFile });
    this.digests = new ThreadJobRunner({ maxParallel: options.digestThreads ?? 1 });
  }

  /** Connects, listens, and picks up the runs an earlier coordinator of this store left on the queue. */
  static async open(options: QueueCoordinatorOptions): Promise<QueueCoordinator> {
    const coordinator = new QueueCoordinator(options);
    try {
      await coordinator.start();
    } catch (error) {
      await coordinator.abandon();
      throw new Error(`cannot use the queue ${coordinator.label}: ${messageOf(error)}`);
    }
    return coordinator;
  }

  private async start(): Promise<void> {
    await reachRedis(this.publisher, this.options.url);
    const connection = parseRedisUrl(this.options.url, { caFile: this.options.caFile });
    this.queue = new Queue(QUEUE_NAME, { connection, prefix: KEY_PREFIX });
    this.events = new QueueEvents(QUEUE_NAME, { connection, prefix: KEY_PREFIX });
    const onError = sayEachConnectionErrorOnce((message) =>
      this.options.log('warn', null, `Queue ${this.label}: ${message}`),
    );
    this.publisher.on('error', onError);
    this.queue.on('error', onError);
    this.events.on('error', onError);
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    this.events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data as QueueProgress));
    this.events.on('completed', ({ jobId }) => void this.settleFromRedis(jobId));
    this.events.on('failed', ({ jobId }) => void this.settleFromRedis(jobId));
    this.events.on('removed', ({ jobId }) => void this.settleFromRedis(jobId));
    for (const run of this.options.store.runs.listOnQueue(this.label)) {
      if (run.queueJobId) this.tracked.set(run.queueJobId, run.id);
    }
    if (this.tracked.size > 0) {
      this.options.log(
        'info',
        null,
        `Picking up ${this.tracked.size} run(s) left on the queue ${this.label}.`,
      );
    }
    await this.reconcile();
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.options.reconcileMs ?? 30_000);
    this.reconcileTimer.unref();
  }

  /**
   * Stores what ended while nobody listened (events missed while this coordinator was down). Cheap
   * per tracked job: one pipelined membership test of BullMQ's completed and failed sets and the
   * job's existence; only jobs that ended or vanished are read in full.
   */
  private async reconcile(): Promise<void> {
    const jobIds = [...this.tracked.keys()];
    if (jobIds.length === 0) return;
    const pipeline = this.publisher.pipeline();
    for (const jobId of jobIds) {
      pipeline.zscore(this.queue.toKey('completed'), jobId);
      pipeline.zscore(this.queue.toKey('failed'), jobId);
      pipeline.exists(this.queue.toKey(jobId));
    }
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
    } catch {
      return; // Redis unreachable: the next round tries again
    }
    if (!replies) return;
    const ended = jobIds.filter((_, k) => {
      const [completed, failed, exists] = replies.slice(3 * k, 3 * k + 3).map(([, value]) => value);
      return completed !== null || failed !== null || exists === 0;
    });
    await Promise.all(ended.map((jobId) => this.settleFromRedis(jobId)));
  }

  enqueue(runIds: readonly number[]): void {
    for (const runId of runIds) {
      const adding = this.enqueueOne(runId).finally(() => this.adding.delete(runId));
      this.adding.set(runId, adding);
    }
  }

  private async enqueueOne(runId: number): Promise<void> {
    const { hooks, log } = this.options;
    try {
      const request = hooks.request(runId);
      if (!request) return;
      const { runId: _runId, cacheDir: _cacheDir, ...local } = request;
      const payload: QueuePayload = {
        format: 1,
        codeVersion: codeVersion(),
        runId,
        experimentId: request.experimentId,
        // Only this run's row: a grid's other rows would make every job carry the whole grid.
        spec: { ...request.spec, methods: [runRow(request.method)] },
        method: request.method,
        seed: request.seed,
        backend: request.backend,
        dataset:
          request.dataset.kind === 'simulated'
            ? { kind: 'simulated', params: request.dataset.params }
            : {
                kind: 'stored',
                datasetId: request.dataset.datasetId,
                name: this.datasetName(request.dataset.datasetId),
                ref: await this.publish(request.dataset.path),
              },
      };
      if (request.dataset.kind === 'simulated') this.expectDigest(local);
      const jobId = queueJobId(this.coordinatorId, runId);
      // Recorded before the add: a coordinator that dies in between still knows to look for it.
      if (!this.options.store.runs.setQueueJob(runId, this.label, jobId)) return; // cancelled meanwhile
      this.tracked.set(jobId, runId);
      const attempts = this.options.attempts ?? 3;
      await this.queue.add('run', payload, {
        jobId,
        attempts,
        backoff: { type: 'fixed', delay: 1000 },
        // Kept a week, so a coordinator that was off that long still finds its results.
        removeOnComplete: { age: 7 * 86_400 },
        removeOnFail: { age: 7 * 86_400 },
      });
      log('info', runId, `Run ${runId} queued on ${this.label} as job ${jobId}.`);
    } catch (error) {
      hooks.failed(runId, `could not queue the run on ${this.label}: ${messageOf(error)}`);
    }
  }

  private datasetName(datasetId: number): string {
    return this.options.store.datasets.get(datasetId)?.name ?? `dataset ${datasetId}`;
  }

  private publish(folder: string): Promise<DatasetRef> {
    let ref = this.published.get(folder);
    if (!ref) {
      ref = publishDataset(this.publisher, folder);
      this.published.set(folder, ref);
      ref.catch(() => this.published.delete(folder));
    }
    return ref;
  }

  /** Builds the job's world here (data phase only) for the digest its worker's must match. */
  private expectDigest(request: Omit<JobRequest, 'runId'>): void {
    const key = worldKeyOf(request);
    if (this.expectedDigest.has(key)) return;
    const digest = this.digests
      .run({ ...request, worldDigest: 'only' })
      .result.then((result) => result.worldDigest ?? null)
      .catch((error: unknown) => {
        this.options.log('warn', null, `Could not build the world of a queued run here: ${messageOf(error)}`);
        return null;
      });
    this.expectedDigest.set(key, digest);
  }

  private onProgress(jobId: string, progress: QueueProgress): void {
    const runId = this.tracked.get(jobId);
    if (runId === undefined || typeof progress !== 'object' || progress === null) return;
    const { hooks, log } = this.options;
    if (progress.kind === 'started') {
      if (progress.attempt > 1) log('warn', runId, `Attempt ${progress.attempt} of run ${runId}.`);
      hooks.startedRemotely(runId, progress.worker);
    } else if (progress.kind === 'event') {
      // Live only: what the store keeps comes once, with the outcome.
      if (progress.event.type === 'progress' || progress.event.type === 'log')
        hooks.event(runId, progress.event);
    }
  }

  /** Reads the job's state and, when it has ended, stores its outcome (once). */
  private async settleFromRedis(jobId: string): Promise<void> {
    const runId = this.tracked.get(jobId);
    if (runId === undefined || this.closed) return;
    let job: Job | undefined;
    try {
      job = await this.queue.getJob(jobId);
    } catch {
      return; // Redis unreachable: the next reconcile tries again
    }
    if (!this.tracked.has(jobId)) return; // settled by a concurrent call
    if (!job) {
      this.untrack(jobId, runId);
      this.options.hooks.failed(
        runId,
        `its job ${jobId} is no longer on the queue ${this.label} (removed or expired)`,
      );
      return;
    }
    // Set membership, not getState(): that one searches the waiting list, O(queue length).
    if (await job.isCompleted()) {
      this.untrack(jobId, runId);
      await this.storeOutcome(runId, job.returnvalue as QueueOutcome);
    } else if (await job.isFailed()) {
      this.untrack(jobId, runId);
      const reason = job.failedReason || 'the job failed without a reason';
      if (reason.startsWith(CANCELLED_REASON)) this.options.hooks.cancelled(runId, null);
      else this.options.hooks.failed(runId, reason);
    }
  }

  private untrack(jobId: string, runId: number): void {
    this.tracked.delete(jobId);
    const timer = this.cancelTimers.get(runId);
    if (timer) clearTimeout(timer);
    this.cancelTimers.delete(runId);
  }

  private async storeOutcome(runId: number, outcome: QueueOutcome): Promise<void> {
    const { hooks } = this.options;
    const run = this.options.store.runs.get(runId);
    if (!run) return;
    if (run.config.dataset.kind === 'simulated') {
      // Built here again when this coordinator restarted since the run was queued.
      this.expectDigest(run.config);
      const expected = await this.expectedDigest.get(worldKeyOf(run.config));
      const actual = outcome.result.worldDigest;
      if (expected && actual !== expected) {
        hooks.startedRemotely(runId, outcome.worker);
        hooks.failed(
          runId,
          `worker ${outcome.worker} built another world than this machine (digest ${String(actual).slice(0, 12)}, ` +
            `expected ${expected.slice(0, 12)}): its metrics would not be of this dataset. Are both on the same code?`,
        );
        return;
      }
    }
    hooks.startedRemotely(runId, outcome.worker);
    for (const event of outcome.events) hooks.event(runId, event);
    hooks.finished(runId, outcome.result);
  }

  cancel(runId: number): 'queued' | 'running' | null {
    const jobId = [...this.tracked.entries()].find(([, id]) => id === runId)?.[0];
    if (jobId === undefined) return null;
    const run = this.options.store.runs.get(runId);
    void this.cancelJob(jobId, runId);
    return run?.status === 'running' ? 'running' : 'queued';
  }

  private async cancelJob(jobId: string, runId: number): Promise<void> {
    const { hooks } = this.options;
    try {
      // Marked first: a worker that takes the job from now on refuses it.
      await this.publisher.set(cancelledKey(jobId), '1', 'EX', 7 * 86_400);
      await this.adding.get(runId);
      const job = await this.queue.getJob(jobId);
      const state = job ? await job.getState() : 'unknown';
      if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) {
        // Untracked first, so the 'removed' event does not read as a job that vanished.
        this.untrack(jobId, runId);
        try {
          await job.remove();
          hooks.cancelled(runId, null);
          return;
        } catch {
          this.tracked.set(jobId, runId); // a worker took it meanwhile: stop it there
        }
      }
      await this.publisher.publish(CANCEL_CHANNEL, jobId);
      const grace = this.options.cancelGraceMs ?? 15_000;
      this.cancelTimers.set(
        runId,
        setTimeout(() => {
          this.untrack(jobId, runId);
          hooks.cancelled(runId, `its worker did not confirm the cancel within ${grace / 1000} s`);
        }, grace),
      );
    } catch (error) {
      this.options.log('error', runId, `Could not cancel run ${runId} on ${this.label}: ${messageOf(error)}`);
    }
  }

  /** The queue's live workers, as they last announced themselves. */
  workers(): Promise<WorkerAnnouncement[]> {
    return listQueueWorkers(this.publisher);
  }

  /** Runs on the queue this coordinator watches (for tests and the status line). */
  get trackedRunIds(): number[] {
    return [...this.tracked.values()];
  }

  /** Drops the connections of a coordinator that never started (close() would wait for them). */
  private async abandon(): Promise<void> {
    this.closed = true;
    this.publisher.disconnect();
    await Promise.allSettled([this.events?.close(), this.queue?.close(), this.digests.close()]);
  }

  /** Stops listening. Queued and running jobs stay on the queue; a restart picks up their results. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    for (const timer of this.cancelTimers.values()) clearTimeout(timer);
    await Promise.allSettled([
      this.events.close(),
      this.queue.close(),
      this.publisher.quit(),
      this.digests.close(),
    ]);
  }
}
