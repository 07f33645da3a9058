/**
 * Run execution: the worker pool and what each worker message means for the store and the windows.
 * The experiments service creates run rows and hands their ids here; from then on this service
 * alone moves a run through running to finished, failed or cancelled and records what it emits
 * (backend, curves, timings, histograms, the simulated dataset it built).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BackendChoice, QueueStatus } from '../../contract/api';
import type { JobEvent, JobRequest, JobResult } from '../../core/experiments/job';
import type { RunRecord } from '../../store/index';
import { encodeHistogramArtifact } from '../histogram-artifact';
import { JobPool, probeBackend, resolveTrainingWorkerEntry, type RunHooks } from '../jobs';
import type { BackendProbe } from '../worker-protocol';
import { QueueCoordinator } from '../queue/coordinator';
import { emitRunStatus, messageOf, type ServiceContext } from './context';
import { simulatorContentHash } from './simulated-data';

export interface JobService {
  /**
   * Queues created runs where runs execute now (queueStatus().runOn): this process's worker
   * threads, or a queue's remote workers. They start as workers come free.
   */
  enqueue(runIds: readonly number[]): void;
  /** Stops a queued or running run of this pool or queue; null when neither holds it. */
  cancel(runId: number): 'queued' | 'running' | null;
  /** The backend runs with `auto` would get here, probed once in a worker. */
  probeBackend(): Promise<BackendProbe>;
  /** Where new runs execute, the queue's workers and how many runs wait there. */
  queueStatus(): Promise<QueueStatus>;
  /**
   * New runs execute on the queue at `url` (null: on this machine). Connecting picks up the
   * results of this store's runs that finished on that queue meanwhile. Throws when the queue
   * cannot be reached; where runs execute is then unchanged.
   */
  connectQueue(url: string | null): Promise<QueueStatus>;
  /** Cancels locally queued runs and stops the workers; runs on a queue stay there. */
  close(): Promise<void>;
}

export interface JobServiceOptions {
  /** Backend for runs whose spec says `auto`. */
  preferredBackend: BackendChoice;
  /** CA certificate for rediss:// queues with a private CA (or env CASCADE_LAB_REDIS_CA). */
  queueCaFile?: string;
  maxParallelJobs?: number;
  workerEntry?: URL;
  cancelGraceMs?: number;
}

export function createJobService(context: ServiceContext, options: JobServiceOptions): JobService {
  const { store, events, dataDir, log } = context;

  /** Runs this app has started, by id, for their experiment and config while they train. */
  const started = new Map<number, RunRecord>();

  function recordEvent(run: RunRecord, event: JobEvent): void {
    const runId = run.id;
    switch (event.type) {
      case 'backend':
        // The engine logs the choice and its notes itself; the run only needs to remember it.
        store.runs.setBackend(runId, event.backend, event.device);
        break;
      case 'progress': {
        const { type: _type, ...progress } = event;
        events.emit('job:progress', { runId, experimentId: run.experimentId, ...progress });
        break;
      }
      case 'log':
        log(event.level, runId, event.message);
        break;
      case 'curve':
        store.runs.addCurvePoint(runId, event.name, event.step, event.value);
        break;
      case 'timing':
        store.runs.addTimings(runId, { [event.phase]: event.ms });
        break;
      case 'histogram':
        store.artifacts.add(encodeHistogramArtifact(runId, event));
        break;
      case 'dataset': {
        const source = run.config.dataset;
        // A stored dataset is linked when the run is created; only simulated data is new here.
        if (source.kind !== 'simulated') break;
        const dataset = store.datasets.upsert({
          name: event.name,
          kind: 'simulated',
          params: { ...source.params },
          stats: {
            users: event.users,
            items: event.items,
            interactions: event.interactions,
            positives: event.positives,
          },
          hasGroundTruth: event.hasGroundTruth,
          contentHash: simulatorContentHash(source.params),
        });
        store.runs.setDataset(runId, dataset.id);
        break;
      }
    }
  }

  /** The run's record while this app has it in hand; runs ended elsewhere are read again. */
  function runOf(runId: number): RunRecord | undefined {
    return started.get(runId) ?? store.runs.get(runId);
  }

  const hooks: RunHooks = {
    request(runId: number): JobRequest | null {
      const run = store.runs.get(runId);
      if (!run) return null;
      started.set(runId, run);
      // Trained ranking models are shared through the data folder's cache (core/node/ranking-cache.ts).
      return { ...run.config, runId, cacheDir: join(dataDir, 'cache') };
    },
    start(runId: number): JobRequest | null {
      const run = store.runs.get(runId);
      if (!run || !store.runs.markRunning(runId)) return null;
      emitRunStatus(events, run, 'running', null);
      log('info', runId, `Run ${runId} started: ${run.label}, seed ${run.seed}.`);
      return hooks.request(runId);
    },
    startedRemotely(runId: number, worker: string): void {
      const run = runOf(runId);
      if (!run || !store.runs.markRemoteRunning(runId, worker)) return;
      started.set(runId, run);
      emitRunStatus(events, run, 'running', null);
      log('info', runId, `Run ${runId} started on worker ${worker}: ${run.label}, seed ${run.seed}.`);
    },
    event(runId: number, event: JobEvent): void {
      const run = runOf(runId);
      if (run) recordEvent(run, event);
    },
    finished(runId: number, result: JobResult): void {
      const run = runOf(runId);
      started.delete(runId);
      if (!run) return;
      const stored = store.runs.finish(runId, {
        metrics: result.metrics,
        timings: result.timings,
        backend: result.backend,
        device: result.device,
      });
      if (stored) {
        emitRunStatus(events, run, 'finished', null);
        log('info', runId, `Run ${runId} finished: ${run.label}, seed ${run.seed}.`);
      }
    },
    failed(runId: number, message: string): void {
      const run = runOf(runId);
      started.delete(runId);
      if (run && store.runs.fail(runId, message)) {
        emitRunStatus(events, run, 'failed', message);
        log('error', runId, `Run ${runId} failed: ${message}`);
      }
    },
    cancelled(runId: number, reason: string | null): void {
      const run = runOf(runId);
      started.delete(runId);
      if (run && store.runs.cancel(runId, reason)) {
        emitRunStatus(events, run, 'cancelled', reason);
        log('warn', runId, `Run ${runId} cancelled${reason ? `: ${reason}` : '.'}`);
      }
    },
  };

  const workerEntry = options.workerEntry ?? resolveTrainingWorkerEntry();
  const pool = new JobPool({
    maxParallel: options.maxParallelJobs ?? availableParallelism(),
    hooks,
    // A run alone on the machine trains its ranking model on a core it would leave idle.
    prefetch: true,
    workerEntry,
    cancelGraceMs: options.cancelGraceMs,
  });

  let backendProbe: Promise<BackendProbe> | null = null;
  let coordinator: QueueCoordinator | null = null;
  let queueError: string | null = null;

  async function queueStatus(): Promise<QueueStatus> {
    if (!coordinator) return { runOn: { kind: 'local' }, workers: [], queuedRuns: 0, error: queueError };
    let workers: QueueStatus['workers'] = [];
    let error: string | null = null;
    try {
      workers = await coordinator.workers();
    } catch (cause) {
      error = `cannot read the workers of ${coordinator.label}: ${messageOf(cause)}`;
    }
    return {
      runOn: { kind: 'queue', url: coordinator.label },
      workers,
      queuedRuns: coordinator.trackedRunIds.length,
      error,
    };
  }

  return {
    enqueue: (runIds) => (coordinator ?? pool).enqueue(runIds),
    cancel: (runId) => pool.cancel(runId) ?? coordinator?.cancel(runId) ?? null,
    probeBackend(): Promise<BackendProbe> {
      backendProbe ??= probeBackend(options.preferredBackend, workerEntry).catch((error: unknown) => ({
        backend: 'unavailable',
        device: 'none',
        notes: [`No tfjs backend could start: ${messageOf(error)}`],
      }));
      return backendProbe;
    },
    queueStatus,
    async connectQueue(url: string | null): Promise<QueueStatus> {
      const next =
        url === null
          ? null
          : await QueueCoordinator.open({
              url,
              caFile: options.queueCaFile,
              store,
              hooks,
              log,
              dataDir,
            });
      const previous = coordinator;
      coordinator = next;
      queueError = null;
      // Its runs stay on that queue; connecting to it again picks up their results.
      await previous?.close();
      log(
        'info',
        null,
        next ? `New runs execute on the queue ${next.label}.` : 'New runs execute on this machine.',
      );
      return queueStatus();
    },
    async close(): Promise<void> {
      await Promise.all([pool.close(), coordinator?.close()]);
    },
  };
}
