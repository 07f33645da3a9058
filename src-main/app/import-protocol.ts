/**
 * Messages between the main thread (imports.ts) and an import worker (import-worker.ts).
 * Plain data only: everything crosses postMessage by structured clone.
 */
import type { DatasetImportRequest, ImportFailure, ImportStepProgress } from '../contract/api';
import type { ImportFingerprint, ImportOutcome } from '../core/node/importers/run-import';

export type MainToImportWorker =
  /** Step 1: hash the files and options, so the main thread can tell whether it has the result. */
  | { type: 'fingerprint'; request: DatasetImportRequest }
  /** Step 2: import and write the processed columns into `targetDir`. */
  | { type: 'import'; request: DatasetImportRequest; targetDir: string }
  | { type: 'abort' };

export type ImportWorkerToMain =
  | { type: 'progress'; progress: ImportStepProgress }
  | { type: 'fingerprint'; fingerprint: ImportFingerprint }
  | { type: 'imported'; outcome: ImportOutcome }
  | { type: 'failed'; failure: ImportFailure }
  | { type: 'cancelled' };
