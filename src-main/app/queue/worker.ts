/**
 * `cascade-lab worker`: takes runs from the queue (queue/coordinator.ts) and executes them here,
 * each in a training worker thread as local runs are, so the main thread stays free to renew the
 * job's lock. Everything it writes stays in its own data folder: datasets fetched by content hash
 * (queue/dataset-transfer.ts) and the trained ranking-model cache (core/node/ranking-cache.ts).
 *
 * How a job can end:
 * - finished: the return value carries the result and every event to store (payload.ts QueueOutcome);
 * - the run itself failed (diverged, bad data): an UnrecoverableError, since another worker would
 *   fail the same way;
 * - cancelled by its coordinator (a pub/sub message, or a mark found before it started): an
 *   UnrecoverableError whose reason starts with CANCELLED_REASON;
 * - this worker cannot run anything (its backend did not start, or it runs other code than the
 *   coordinator's): an ordinary error, so BullMQ gives the job back to the queue for another
 *   worker, and this worker stops taking jobs and says why;
 * - this process dies: its lock expires, and BullMQ's stalled-job check gives the job to another
 *   worker (`stalledMs`).
 */
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { BackendChoice } from '../../contract/api';
import type { JobDataset, JobEvent, JobRequest } from '../../core/experiments/job';
import { codeVersion } from '../code-version';
import { probeBackend, resolveTrainingWorkerEntry } from '../jobs';
import type { BackendProbe } from '../worker-protocol';
import { fetchDataset } from './dataset-transfer';
import {
  CANCEL_CHANNEL,
  CANCELLED_REASON,
  KEY_PREFIX,
  QUEUE_NAME,
  cancelledKey,
  parseQueuePayload,
  workerKey,
  workerLabel,
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
import { JobEndedError, ThreadJobRunner } from './thread-runner';
import { messageOf } from '../errors';

export interface QueueWorkerOptions {
  url: string;
  caFile?: string;
  /** Unique among the queue's live workers; default `<host>-<pid>`. */
  name?: string;
  /** Runs at once (default 1: a run already uses every core it is given). */
  concurrency?: number;
  /** Overrides the backend runs ask for (default: what each run's spec says). */
  backend?: BackendChoice;
  /** This worker's own folder: fetched datasets and the ranking-model cache. */
  dataDir: string;
  /**
   * How long a job's lock lives without renewal, and how often stalled jobs are looked for (ms,
   * default 30 000): how soon a run of a killed worker moves to another.
   */
  stalledMs?: number;
  /** Progress messages per job and second at most (default 2). */
  progressPerSecond?: number;
  log: (message: string) => void;
  workerEntry?: URL;
}

export interface QueueWorkerHandle {
  readonly name: string;
  /** Resolves when the worker has stopped: closed, or it refused to go on (`reason`). */
  readonly stopped: Promise<{ reason: string | null }>;
  /** Stops taking jobs, waits for the running ones (or cancels them when `force`) and disconnects. */
  close(force?: boolean): Promise<void>;
}

const HEARTBEAT_MS = 5000;

/** Connects, announces itself and takes runs until closed. */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const label = redactRedisUrl(options.url);
  const version = codeVersion();
  const redis = connectRedis(options.url, { caFile: options.caFile });
  const subscriber = connectRedis(options.url, { caFile: options.caFile });
  const workerEntry = options.workerEntry ?? resolveTrainingWorkerEntry();
  const concurrency = options.concurrency ?? 1;
  const runner = new ThreadJobRunner({ maxParallel: concurrency, workerEntry });
  const threadOf = new Map<string, number>();
  const stalledMs = options.stalledMs ?? 30_000;
  const minProgressGapMs = 1000 / (options.progressPerSecond ?? 2);

  try {
    await reachRedis(redis, options.url);
  } catch (error) {
    redis.disconnect();
    subscriber.disconnect();
    await runner.close();
    throw error;
  }
  const onError = sayEachConnectionErrorOnce((message) => options.log(`Queue ${label}: ${message}`));
  redis.on('error', onError);
  subscriber.on('error', onError);
  const existing = await redis.get(workerKey(name));
  if (existing) {
    redis.disconnect();
    subscriber.disconnect();
    await runner.close();
    throw new Error(
      `a worker named "${name}" is already connected to ${label}; give this one another --name`,
    );
  }

  const announcement: WorkerAnnouncement = {
    name,
    host: hostname(),
    version,
    backend: options.backend ?? 'auto',
    device: 'not probed yet',
    cores: availableParallelism(),
    concurrency,
    active: 0,
    status: 'ready',
    startedAt: new Date().toISOString(),
    heartbeatAt: new Date().toISOString(),
  };
  const announce = async (): Promise<void> => {
    announcement.active = runner.activeCount;
    announcement.heartbeatAt = new Date().toISOString();
    await redis.set(workerKey(name), JSON.stringify(announcement), 'PX', HEARTBEAT_MS * 3);
  };

  let backendProbe: Promise<BackendProbe> | null = null;
  const backendReady = (): Promise<BackendProbe> => {
    backendProbe ??= probeBackend(options.backend ?? 'auto', workerEntry).then((probe) => {
      // The engine falls back along tensorflow, webgpu, wasm, cpu; a GPU server told to use its
      // GPU that would quietly train on wasm is the failure to report, not to paper over.
      if (options.backend && options.backend !== 'auto' && probe.backend !== options.backend) {
        throw new Error(probe.notes.join(' ') || `the engine picked ${probe.backend} instead`);
      }
      announcement.backend = probe.backend;
      announcement.device = probe.device;
      void announce().catch(() => undefined);
      return probe;
    });
    return backendProbe;
  };

  let resolveStopped: (value: { reason: string | null }) => void = () => undefined;
  const stopped = new Promise<{ reason: string | null }>((resolve) => {
    resolveStopped = resolve;
  });
  let closing: Promise<void> | null = null;

  /** This worker cannot run anything: say so, give the job back, take no more. */
  const refuse = (reason: string): Error => {
    announcement.status = reason;
    options.log(`Refusing jobs: ${reason}`);
    void announce().catch(() => undefined);
    void close(false, reason);
    return new Error(`worker ${name}: ${reason}`);
  };

  async function processJob(job: Job, _token?: string, signal?: AbortSignal): Promise<QueueOutcome> {
    const jobId = job.id ?? '';
    let payload: QueuePayload;
    try {
      payload = parseQueuePayload(job.data);
    } catch (error) {
      throw new UnrecoverableError(
        `worker ${name}: the job's payload is not a valid run: ${messageOf(error)}`,
      );
    }
    if (payload.codeVersion !== version) {
      throw refuse(
        `it runs Cascade Lab ${version}, but run ${payload.runId} was queued by ${payload.codeVersion}; ` +
          'start workers from the same version as the workbench',
      );
    }
    if (await redis.exists(cancelledKey(jobId))) {
      throw new UnrecoverableError(`${CANCELLED_REASON} before it started`);
    }
    let probe: BackendProbe;
    try {
      probe = await backendReady();
    } catch (error) {
      throw refuse(`the ${options.backend ?? 'auto'} backend did not start: ${messageOf(error)}`);
    }
    const worker = workerLabel({ name, device: probe.device, backend: probe.backend });
    const report = (progress: QueueProgress): Promise<void> => job.updateProgress(progress);
    await report({ kind: 'started', worker, attempt: job.attemptsMade + 1 });

    let dataset: JobDataset;
    if (payload.dataset.kind === 'simulated') {
      dataset = { kind: 'simulated', params: payload.dataset.params };
    } else {
      try {
        const path = await fetchDataset(redis, payload.dataset.ref, options.dataDir);
        dataset = { kind: 'stored', datasetId: payload.dataset.datasetId, path };
      } catch (error) {
        // Another worker would read the same bytes from the same Redis.
        throw new UnrecoverableError(
          `worker ${name}: dataset "${payload.dataset.name}" did not arrive intact: ${messageOf(error)}`,
        );
      }
    }
    const request: Omit<JobRequest, 'runId'> = {
      experimentId: payload.experimentId,
      spec: payload.spec,
      method: payload.method,
      seed: payload.seed,
      dataset,
      backend: options.backend ?? payload.backend,
      cacheDir: join(options.dataDir, 'cache'),
      ...(dataset.kind === 'simulated' ? { worldDigest: 'report' as const } : {}),
    };

    const stored: JobEvent[] = [];
    let lastProgressAt = 0;
    const onEvent = (event: JobEvent): void => {
      if (event.type === 'progress') {
        const now = Date.now();
        if (now - lastProgressAt < minProgressGapMs && event.fraction < 1) return;
        lastProgressAt = now;
        void report({ kind: 'event', event }).catch(() => undefined);
      } else if (event.type === 'log') {
        void report({ kind: 'event', event }).catch(() => undefined);
      } else {
        stored.push(event);
      }
    };
    const thread = runner.run(request, onEvent);
    threadOf.set(jobId, thread.id);
    const abort = (): void => runner.cancel(thread.id);
    signal?.addEventListener('abort', abort);
    void announce().catch(() => undefined);
    options.log(
      `Run ${payload.runId} (${payload.method.label}, seed ${payload.seed}) started: job ${jobId}.`,
    );
    try {
      const result = await thread.result;
      options.log(`Run ${payload.runId} finished: job ${jobId}.`);
      return { result, events: stored, worker };
    } catch (error) {
      if (error instanceof JobEndedError && error.outcome === 'cancelled') {
        options.log(`Run ${payload.runId} cancelled: job ${jobId}.`);
        throw new UnrecoverableError(`${CANCELLED_REASON} on worker ${name}`);
      }
      options.log(`Run ${payload.runId} failed: ${messageOf(error)}`);
      throw new UnrecoverableError(messageOf(error));
    } finally {
      signal?.removeEventListener('abort', abort);
      threadOf.delete(jobId);
      void announce().catch(() => undefined);
    }
  }

  const worker = new Worker(QUEUE_NAME, processJob, {
    connection: parseRedisUrl(options.url, { caFile: options.caFile }),
    prefix: KEY_PREFIX,
    concurrency,
    name,
    lockDuration: stalledMs,
    stalledInterval: stalledMs,
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('error', onError);

  await subscriber.subscribe(CANCEL_CHANNEL);
  subscriber.on('message', (_channel: string, jobId: string) => {
    const thread = threadOf.get(jobId);
    if (thread !== undefined) {
      options.log(`Cancelling job ${jobId} as its coordinator asked.`);
      runner.cancel(thread);
    }
  });

  await announce();
  const heartbeat = setInterval(() => void announce().catch(() => undefined), HEARTBEAT_MS);
  // Probed now, so the announcement names the device before the first run; a backend that does
  // not start makes the worker refuse before it takes any run (a run it already took goes back).
  backendReady().catch((error: unknown) => {
    refuse(`the ${options.backend ?? 'auto'} backend did not start: ${messageOf(error)}`);
  });
  void worker.run().catch((error: unknown) => options.log(`The worker stopped: ${messageOf(error)}`));
  await worker.waitUntilReady();
  options.log(
    `Worker ${name} on ${label}: Cascade Lab ${version}, ${concurrency} run(s) at once, ` +
      `${announcement.cores} cores, data in ${options.dataDir}.`,
  );

  function close(force = false, reason: string | null = null): Promise<void> {
    closing ??= (async () => {
      clearInterval(heartbeat);
      // Forced: the running jobs' threads stop now, and their jobs go back through the stalled check.
      if (force) await runner.close();
      await worker.close(force).catch(() => undefined);
      await runner.close();
      await redis.del(workerKey(name)).catch(() => 0);
      await Promise.allSettled([subscriber.quit(), redis.quit()]);
      resolveStopped({ reason });
    })();
    return closing;
  }

  return { name, stopped, close: (force) => close(force ?? false, null) };
}
