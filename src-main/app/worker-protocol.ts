/**
 * Messages between the main thread (jobs.ts) and a training worker (training-worker.ts).
 * Plain data only: everything crosses postMessage by structured clone.
 */
import type { BackendChoice } from '../contract/api';
import type { JobEvent, JobRequest, JobResult } from '../core/experiments/job';

export interface BackendProbe {
  backend: string;
  device: string;
  notes: string[];
}

/**
 * What a training worker gets at its start (`workerData`): the URLs of modules that register
 * testbeds beyond the built-in ones (core/protocols/registry.ts registerProtocol), which it imports
 * before a job, since its registry is its own; and whether its embedding L2 runs on a thread of
 * its own (core/tf/embedding-l2.ts) and its single-threaded passes have row helpers
 * (core/row-helper.ts), which the pool decides from the cores each run has (coresPerRun).
 */
export interface TrainingWorkerData {
  protocolModules: string[];
  l2Thread: boolean;
  rowHelpers: boolean;
}

export type MainToWorker =
  { type: 'run'; request: JobRequest } | { type: 'abort' } | { type: 'probe'; backend: BackendChoice };

export type WorkerToMain =
  | { type: 'event'; event: JobEvent }
  | { type: 'result'; result: JobResult }
  | { type: 'cancelled' }
  | { type: 'error'; message: string }
  | { type: 'probe'; probe: BackendProbe };
