/**
 * Entry of an import worker thread. Imports parse millions of rows, sort them and write hundreds
 * of megabytes; in a worker none of that blocks the main thread (the Electron UI process, the HTTP
 * host), and the import's memory is returned when the worker ends. The main thread terminates the
 * worker once it has the outcome.
 */
import { parentPort } from 'node:worker_threads';
import type { ImportStepProgress } from '../contract/api';
import type { ImportWorkerToMain, MainToImportWorker } from './import-protocol';

if (!parentPort) throw new Error('import-worker must run in a worker thread');
const port = parentPort;
const abort = new AbortController();

function post(message: ImportWorkerToMain): void {
  port.postMessage(message);
}

/** At most one progress message per interval, plus every change of phase or file. */
const PROGRESS_INTERVAL_MS = 100;
let lastProgress = { at: 0, phase: '', file: '' };

function progress(step: ImportStepProgress): void {
  const now = performance.now();
  const changed = step.phase !== lastProgress.phase || step.file !== lastProgress.file;
  const done = step.totalBytes > 0 && step.bytesRead >= step.totalBytes;
  if (!changed && !done && now - lastProgress.at < PROGRESS_INTERVAL_MS) return;
  lastProgress = { at: now, phase: step.phase, file: step.file };
  post({ type: 'progress', progress: step });
}

async function handle(message: Exclude<MainToImportWorker, { type: 'abort' }>): Promise<void> {
  // Loaded here, not at the top, so a module that fails to load is reported as the import's error.
  const { ImportCancelledError } = await import('../core/node/importers/errors');
  const { describeImportFailure, fingerprintImport, runImport } =
    await import('../core/node/importers/run-import');
  const options = { signal: abort.signal, onProgress: progress };
  try {
    if (message.type === 'fingerprint') {
      post({ type: 'fingerprint', fingerprint: await fingerprintImport(message.request, options) });
    } else {
      post({ type: 'imported', outcome: await runImport(message.request, message.targetDir, options) });
    }
  } catch (error) {
    if (abort.signal.aborted || error instanceof ImportCancelledError) post({ type: 'cancelled' });
    else post({ type: 'failed', failure: describeImportFailure(error) });
  }
}

port.on('message', (message: MainToImportWorker) => {
  if (message.type === 'abort') abort.abort();
  else void handle(message);
});
