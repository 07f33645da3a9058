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

export type MainToWorker =
  { type: 'run'; request: JobRequest } | { type: 'abort' } | { type: 'probe'; backend: BackendChoice };

export type WorkerToMain =
  | { type: 'event'; event: JobEvent }
  | { type: 'result'; result: JobResult }
  | { type: 'cancelled' }
  | { type: 'error'; message: string }
  | { type: 'probe'; probe: BackendProbe };
