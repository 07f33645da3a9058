/**
 * The job pool: each run trains in its own worker thread (training-worker.ts), so the main thread
 * (the Electron UI process, the HTTP host, the CLI's progress bar) stays responsive. At most
 * `maxParallel` workers run at once; the rest wait in a FIFO queue. What a job's messages mean for
 * the store and the windows is the hooks' business (services/jobs.ts); the pool only runs workers.
 *
 * With `prefetch` on, a run of a testbed with something to prefetch (ProtocolModule.prefetch) that
 * starts with cores no worker uses (nothing queued, and room for one more worker's threads: its
 * training thread and its embedding-L2 thread) gets a helper: a
 * second worker running the same request as JobRequest.prefetch, which trains what the run would
 * otherwise stop for (the cascade testbed's ranking model) into the cache folder while the run
 * trains its method. Its log lines join the run's; it ends with the run. On 2 cores a run's two
 * threads take both, and a helper there only slowed the run down (measured in session 13:
 * docs/performance-history.md), so none starts.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../contract/api';
import type { JobEvent, JobRequest, JobResult } from '../core/experiments/job';
import { protocolOf } from '../core/experiments/spec';
import { getProtocolModule, registeredModuleUrls } from '../core/protocols/registry';
import { coresPerRun, tensorflowEnvironment } from '../core/tf/tensorflow-env';
import type { BackendProbe, MainToWorker, TrainingWorkerData, WorkerToMain } from './worker-protocol';
import { messageOf } from './errors';

/**
 * The worker's entry file. A bundled build (electron-vite's out/main, the CLI's out/cli) emits
 * `training-worker.js` beside the main bundle, or one folder up when this code lands in a chunk folder; from source (tsx, vitest)
 * the `.mjs` bootstrap next to this file registers tsx and imports `training-worker.ts`.
 */
export function resolveTrainingWorkerEntry(moduleUrl: string = import.meta.url): URL {
  const candidates = [
    new URL('./training-worker.js', moduleUrl),
    new URL('../training-worker.js', moduleUrl),
    new URL('./training-worker.mjs', moduleUrl),
  ];
  const found = candidates.find((candidate) => existsSync(fileURLToPath(candidate)));
  if (!found) {
    throw new Error(
      `cannot find the training worker: none of ${candidates.map((c) => fileURLToPath(c)).join(', ')} exists`,
    );
  }
  return found;
}

export interface JobHooks {
  /**
   * A slot is free for the run: mark it running and return its request, or null to skip it (it
   * was cancelled meanwhile). A throw fails the run with the message.
   */
  start(runId: number): JobRequest | null;
  event(runId: number, event: JobEvent): void;
  finished(runId: number, result: JobResult): void;
  failed(runId: number, message: string): void;
  /** `reason` is null for an ordinary user cancel. */
  cancelled(runId: number, reason: string | null): void;
}

/**
 * What a run's messages mean for the store and the windows (services/jobs.ts), for every executor:
 * the local pool (JobHooks) and the queue (queue/coordinator.ts), whose runs start on a remote
 * worker rather than in a slot here.
 */
export interface RunHooks extends JobHooks {
  /** The run's request, without changing its status; null when the run does not exist. */
  request(runId: number): JobRequest | null;
  /** A remote worker took the run: queued -> running, marked with the worker. */
  startedRemotely(runId: number, worker: string): void;
}

/** Runs runs: the local pool here, or a queue of remote workers (queue/coordinator.ts). */
export interface RunExecutor {
  enqueue(runIds: readonly number[]): void;
  /** Where the run was when asked to stop, or null when this executor does not hold it. */
  cancel(runId: number): 'queued' | 'running' | null;
  close(): Promise<void>;
}

export interface JobPoolOptions {
  maxParallel: number;
  hooks: JobHooks;
  /** Defaults to resolveTrainingWorkerEntry(). */
  workerEntry?: URL;
  /** How long a cancelled worker may take to stop before it is terminated (default 5000 ms). */
  cancelGraceMs?: number;
  /** Start helpers on cores no run uses (see above); off by default. */
  prefetch?: boolean;
  /** The machine's cores (default: availableParallelism()). */
  cores?: number;
}

interface ActiveJob {
  runId: number;
  request: JobRequest;
  worker: Worker;
  /** Its helper while one runs (jobs.ts prefetch). */
  helper: Worker | null;
  settled: boolean;
  cancelRequested: boolean;
  cancelTimer: NodeJS.Timeout | null;
}

export class JobPool implements RunExecutor {
  private readonly queue: number[] = [];
  private readonly active = new Map<number, ActiveJob>();
  private readonly hooks: JobHooks;
  private readonly maxParallel: number;
  private readonly cancelGraceMs: number;
  private readonly workerEntry: URL;
  /** Each run's share of the cores. */
  private readonly cores: ReturnType<typeof coresPerRun>;
  private readonly prefetch: boolean;
  private readonly coreCount: number;
  private helpers = 0;
  private closed = false;

  constructor(options: JobPoolOptions) {
    if (!Number.isInteger(options.maxParallel) || options.maxParallel < 1) {
      throw new Error(`maxParallelJobs must be a positive integer, got ${options.maxParallel}`);
    }
    this.hooks = options.hooks;
    this.maxParallel = options.maxParallel;
    this.cancelGraceMs = options.cancelGraceMs ?? 5000;
    this.workerEntry = options.workerEntry ?? resolveTrainingWorkerEntry();
    this.prefetch = options.prefetch ?? false;
    // Workers that load native TensorFlow share the cores instead of each taking all of them.
    this.coreCount = options.cores ?? availableParallelism();
    this.cores = coresPerRun(this.coreCount, this.maxParallel);
    Object.assign(process.env, tensorflowEnvironment(process.env, this.cores.tensorflowThreads));
  }

  get queuedRunIds(): number[] {
    return [...this.queue];
  }

  get runningRunIds(): number[] {
    return [...this.active.keys()];
  }

  enqueue(runIds: readonly number[]): void {
    if (this.closed) throw new Error('the job pool is closed');
    this.queue.push(...runIds);
    this.pump();
  }

  /**
   * Cancels a queued run at once, or asks a running one to stop (terminating its worker if it has
   * not stopped after the grace period). Returns where the run was, or null if the pool does not
   * hold it.
   */
  cancel(runId: number): 'queued' | 'running' | null {
    const queuedAt = this.queue.indexOf(runId);
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1);
      this.hooks.cancelled(runId, null);
      return 'queued';
    }
    const job = this.active.get(runId);
    if (!job || job.settled) return null;
    if (!job.cancelRequested) {
      job.cancelRequested = true;
      this.post(job, { type: 'abort' });
      job.cancelTimer = setTimeout(() => {
        this.settle(job, () =>
          this.hooks.cancelled(
            runId,
            `the run did not stop within ${Math.round(this.cancelGraceMs / 1000)} s of the cancel; its worker was terminated`,
          ),
        );
      }, this.cancelGraceMs);
    }
    return 'running';
  }

  /** Cancels everything queued and terminates every running worker. */
  async close(reason = 'cancelled: Cascade Lab closed while the run was active'): Promise<void> {
    this.closed = true;
    for (const runId of this.queue.splice(0)) this.hooks.cancelled(runId, reason);
    const workers = [...this.active.values()].flatMap((job) => {
      const helper = job.helper;
      this.settle(job, () => this.hooks.cancelled(job.runId, reason));
      return helper ? [job.worker, helper] : [job.worker];
    });
    await Promise.all(workers.map((worker) => worker.terminate().catch(() => 0)));
  }

  private pump(): void {
    const started: ActiveJob[] = [];
    while (!this.closed && this.active.size < this.maxParallel && this.queue.length > 0) {
      const runId = this.queue.shift() as number;
      let request: JobRequest | null;
      try {
        request = this.hooks.start(runId);
      } catch (error) {
        this.hooks.failed(runId, messageOf(error));
        continue;
      }
      if (request) started.push(this.spawn(runId, request));
    }
    this.startHelpers(started);
  }

  /**
   * Helpers for runs just started, on cores no worker uses. Only at a run's start: later its helper
   * would redo the run's data phase beside the run's training, for nothing the run waits for.
   */
  private startHelpers(started: readonly ActiveJob[]): void {
    if (!this.prefetch || this.closed || this.queue.length > 0) return;
    const threadsPerWorker = this.cores.tensorflowThreads + (this.cores.l2Thread ? 1 : 0);
    for (const job of started) {
      const workers = this.active.size + this.helpers;
      if (workers >= this.maxParallel || (workers + 1) * threadsPerWorker > this.coreCount) return;
      if (job.settled || !job.request.cacheDir || job.request.worldDigest === 'only') continue;
      // Only for a testbed with something to prefetch (the cascade testbed's ranking model).
      if (!getProtocolModule(protocolOf(job.request.spec))?.prefetch) continue;
      this.spawnHelper(job);
    }
  }

  private spawnHelper(job: ActiveJob): void {
    const helper = new Worker(this.workerEntry, {
      name: `cascade-lab run ${job.runId} helper`,
      workerData: this.workerData(),
    });
    job.helper = helper;
    this.helpers++;
    let ended = false;
    const end = (warning: string | null): void => {
      if (ended) return;
      ended = true;
      this.helpers--;
      job.helper = null;
      void helper.terminate().catch(() => 0);
      if (warning && !job.settled) this.helperLog(job, 'warn', warning);
    };
    helper.on('message', (message: WorkerToMain) => {
      if (message.type === 'event' && message.event.type === 'log' && !job.settled)
        this.helperLog(job, message.event.level, message.event.message);
      else if (message.type === 'result' || message.type === 'cancelled') end(null);
      else if (message.type === 'error')
        end(`the helper failed (${message.message}); the run does its part itself.`);
    });
    helper.on('error', (error) =>
      end(`the helper crashed (${messageOf(error)}); the run does its part itself.`),
    );
    helper.on('exit', () => end(null));
    helper.postMessage({ type: 'run', request: { ...job.request, prefetch: true } } satisfies MainToWorker);
  }

  private helperLog(job: ActiveJob, level: 'info' | 'warn' | 'error', message: string): void {
    try {
      this.hooks.event(job.runId, { type: 'log', level, message: `Spare core: ${message}` });
    } catch {
      // A log line the store could not take loses nothing of the run.
    }
  }

  /** What every training worker gets at its start. */
  private workerData(): TrainingWorkerData {
    // Testbeds registered in this thread reach the worker's own registry as modules to import.
    return {
      protocolModules: registeredModuleUrls(),
      l2Thread: this.cores.l2Thread,
      rowHelpers: this.cores.rowHelpers,
    };
  }

  private post(job: ActiveJob, message: MainToWorker): void {
    try {
      job.worker.postMessage(message);
    } catch {
      // The worker is already gone; its exit handler reports the outcome.
    }
  }

  private spawn(runId: number, request: JobRequest): ActiveJob {
    const worker = new Worker(this.workerEntry, {
      name: `cascade-lab run ${runId}`,
      workerData: this.workerData(),
    });
    const job: ActiveJob = {
      runId,
      request,
      worker,
      settled: false,
      cancelRequested: false,
      cancelTimer: null,
      helper: null,
    };
    this.active.set(runId, job);

    worker.on('message', (message: WorkerToMain) => this.onMessage(job, message));
    worker.on('error', (error) => {
      this.settle(job, () =>
        job.cancelRequested
          ? this.hooks.cancelled(runId, null)
          : this.hooks.failed(runId, `the training worker crashed: ${messageOf(error)}`),
      );
    });
    worker.on('messageerror', (error) => {
      this.settle(job, () =>
        this.hooks.failed(runId, `a message from the training worker was unreadable: ${messageOf(error)}`),
      );
    });
    worker.on('exit', (code) => {
      this.settle(job, () =>
        job.cancelRequested
          ? this.hooks.cancelled(runId, null)
          : this.hooks.failed(
              runId,
              `the training worker stopped unexpectedly (exit code ${code}) before the run ended`,
            ),
      );
    });
    this.post(job, { type: 'run', request });
    return job;
  }

  private onMessage(job: ActiveJob, message: WorkerToMain): void {
    if (job.settled) return;
    const { runId } = job;
    switch (message.type) {
      case 'event':
        try {
          this.hooks.event(runId, message.event);
        } catch (error) {
          this.settle(job, () =>
            this.hooks.failed(runId, `could not record a ${message.event.type} event: ${messageOf(error)}`),
          );
        }
        break;
      case 'result':
        this.settle(job, () => {
          try {
            this.hooks.finished(runId, message.result);
          } catch (error) {
            this.hooks.failed(runId, `could not store the result: ${messageOf(error)}`);
          }
        });
        break;
      case 'cancelled':
        this.settle(job, () => this.hooks.cancelled(runId, null));
        break;
      case 'error':
        this.settle(job, () => this.hooks.failed(runId, message.message));
        break;
      case 'probe':
        break; // only probe workers answer with this
    }
  }

  /** Ends a job exactly once: records the outcome, stops the worker and starts the next run. */
  private settle(job: ActiveJob, record: () => void): void {
    if (job.settled) return;
    job.settled = true;
    if (job.cancelTimer) clearTimeout(job.cancelTimer);
    this.active.delete(job.runId);
    void job.worker.terminate().catch(() => 0);
    // A helper still running has nothing left to serve (the run waited for whatever it needed).
    void job.helper?.terminate().catch(() => 0);
    try {
      record();
    } finally {
      this.pump();
    }
  }
}

/**
 * Asks a short-lived worker which backend the engine would pick, without loading tfjs into the
 * main thread.
 */
export function probeBackend(
  backend: BackendChoice,
  workerEntry: URL = resolveTrainingWorkerEntry(),
  timeoutMs = 60_000,
): Promise<BackendProbe> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry, { name: 'cascade-lab backend probe' });
    let done = false;
    const finish = (outcome: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate().catch(() => 0);
      outcome();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`the backend probe did not answer within ${timeoutMs / 1000} s`))),
      timeoutMs,
    );
    worker.on('message', (message: WorkerToMain) => {
      if (message.type === 'probe') finish(() => resolve(message.probe));
      else if (message.type === 'error') finish(() => reject(new Error(message.message)));
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) =>
      finish(() => reject(new Error(`the backend probe exited with code ${code}`))),
    );
    worker.postMessage({ type: 'probe', backend } satisfies MainToWorker);
  });
}
