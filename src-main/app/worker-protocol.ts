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
 * before a job, since its registry is its own.
 */
export interface TrainingWorkerData {
  protocolModules: string[];
}

export type MainToWorker =
  { type: 'run'; request: JobRequest } | { type: 'abort' } | { type: 'probe'; backend: BackendChoice };

export type WorkerToMain =
  | { type: 'event'; event: JobEvent }
  | { type: 'result'; result: JobResult }
  | { type: 'cancelled' }
  | { type: 'error'; message: string }
  | { type: 'probe'; probe: BackendProbe };
