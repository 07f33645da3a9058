/**
 * Entry of a training worker thread: runs one job (or one backend probe) off the main thread and
 * posts every engine event back. The main thread terminates the worker once it has the outcome.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendChoice } from '../contract/api';
import type { JobRequest } from '../core/experiments/job';
import type { MainToWorker, TrainingWorkerData, WorkerToMain } from './worker-protocol';

if (!parentPort) throw new Error('training-worker must run in a worker thread');
const port = parentPort;
const abort = new AbortController();

function post(message: WorkerToMain): void {
  port.postMessage(message);
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

async function run(request: JobRequest): Promise<void> {
  try {
    // Loaded here, not at the top, so a module that fails to load is reported as the run's error.
    // First the modules of testbeds the main thread registered (jobs.ts): they register them here.
    const {
      protocolModules = [],
      l2Thread = false,
      rowHelpers = false,
    } = (workerData ?? {}) as Partial<TrainingWorkerData>;
    for (const url of protocolModules) await import(/* @vite-ignore */ url);
    const { useL2Thread } = await import('../core/node/l2-settler');
    useL2Thread(l2Thread);
    const { useRowHelperThreads } = await import('../core/node/row-helper-thread');
    useRowHelperThreads(rowHelpers);
    const { runJob } = await import('../core/experiments/run-job');
    const result = await runJob(request, (event) => post({ type: 'event', event }), abort.signal);
    post({ type: 'result', result });
  } catch (error) {
    // After an abort, whatever the engine threw is the cancellation surfacing.
    if (abort.signal.aborted || (error instanceof Error && error.name === 'JobCancelledError')) {
      post({ type: 'cancelled' });
    } else {
      post({ type: 'error', message: errorMessage(error) });
    }
  }
}

async function probe(backend: BackendChoice): Promise<void> {
  try {
    const { initBackend } = await import('../core/tf/backend');
    const result = await initBackend(backend);
    post({ type: 'probe', probe: { backend: result.backend, device: result.device, notes: result.notes } });
  } catch (error) {
    post({ type: 'error', message: errorMessage(error) });
  }
}

port.on('message', (message: MainToWorker) => {
  switch (message.type) {
    case 'run':
      void run(message.request);
      break;
    case 'probe':
      void probe(message.backend);
      break;
    case 'abort':
      abort.abort();
      break;
  }
});
