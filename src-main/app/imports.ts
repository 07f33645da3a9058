/**
 * Dataset imports: each runs in its own worker thread (import-worker.ts) and reports through the
 * event hub (`dataset:import-progress`, `dataset:import-done`).
 *
 * Why a worker: the importers stream and yield per 4 MB chunk, but finalising (k-core, the time
 * sort of millions of rows, PCA of the WeChat embeddings) and writing are long synchronous
 * stretches that would freeze the Electron main process and the HTTP host; a worker also hands the
 * import's memory back when it ends.
 *
 * Order of an import, so that bad input never changes the database:
 *   worker: hash the files and options -> main: same content stored already? return it (no-op)
 *   -> worker: import, profile, write columns to a temp folder and rename it to
 *      <dataDir>/datasets/<hash>/ -> main: insert the row only now.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DatasetImportRequest, ImportDone, ImportFailure } from '../contract/api';
import { PARTIAL_SUFFIX } from '../core/node/importers/processed';
import {
  IMPORT_FORMAT_VERSION,
  canonicalImportOptions,
  defaultImportName,
  type ImportFingerprint,
  type ImportOutcome,
} from '../core/node/importers/run-import';
import { toDatasetSummary, type DatasetRecord, type LabStore } from '../store/index';
import type { ImportWorkerToMain, MainToImportWorker } from './import-protocol';
import type { EventHub } from './types';

/**
 * The worker's entry file: `import-worker.js` beside the bundle (out/main, out/cli) or one folder up
 * from a chunk, else the `.mjs` bootstrap that registers tsx (source runs: tsx, vitest).
 */
export function resolveImportWorkerEntry(moduleUrl: string = import.meta.url): URL {
  const candidates = [
    new URL('./import-worker.js', moduleUrl),
    new URL('../import-worker.js', moduleUrl),
    new URL('./import-worker.mjs', moduleUrl),
  ];
  const found = candidates.find((candidate) => existsSync(fileURLToPath(candidate)));
  if (!found) {
    throw new Error(
      `cannot find the import worker: none of ${candidates.map((c) => fileURLToPath(c)).join(', ')} exists`,
    );
  }
  return found;
}

/** The folder of the data folder that holds the imported datasets' processed columns. */
export function datasetsDir(dataDir: string): string {
  return join(dataDir, 'datasets');
}

/** Where the processed columns of a content hash live. */
export function datasetFolder(dataDir: string, contentHash: string): string {
  return join(datasetsDir(dataDir), contentHash.slice(0, 32));
}

export interface ImportManagerOptions {
  store: LabStore;
  events: EventHub;
  dataDir: string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  workerEntry?: URL;
  /** How long a cancelled import may take to stop before its worker is terminated (default 5000 ms). */
  cancelGraceMs?: number;
}

interface ActiveImport {
  id: string;
  request: DatasetImportRequest;
  worker: Worker;
  fingerprint: ImportFingerprint | null;
  targetDir: string | null;
  settled: boolean;
  cancelRequested: boolean;
  cancelTimer: NodeJS.Timeout | null;
  /** Resolves once the worker has exited. */
  exited: Promise<void>;
  /** Resolves once the outcome has been emitted. */
  done: Promise<void>;
  markDone: () => void;
}

const CANCELLED: ImportFailure = { message: 'The import was cancelled.' };

export class ImportManager {
  private readonly active = new Map<string, ActiveImport>();
  private readonly workerEntry: URL;
  private readonly cancelGraceMs: number;
  private closed = false;

  constructor(private readonly options: ImportManagerOptions) {
    this.workerEntry = options.workerEntry ?? resolveImportWorkerEntry();
    this.cancelGraceMs = options.cancelGraceMs ?? 5000;
  }

  /** Ids of the imports in progress. */
  get activeIds(): string[] {
    return [...this.active.keys()];
  }

  /** Starts an import; its outcome arrives as a `dataset:import-done` event with the returned id. */
  start(request: DatasetImportRequest): string {
    if (this.closed) throw new Error('Cascade Lab is closing; no new imports start');
    const id = randomUUID();
    const worker = new Worker(this.workerEntry);
    let markDone = (): void => undefined;
    const done = new Promise<void>((resolve) => (markDone = resolve));
    const job: ActiveImport = {
      done,
      markDone,
      id,
      request,
      worker,
      fingerprint: null,
      targetDir: null,
      settled: false,
      cancelRequested: false,
      cancelTimer: null,
      exited: new Promise<void>((resolve) => worker.once('exit', () => resolve())),
    };
    this.active.set(id, job);
    worker.on('message', (message: ImportWorkerToMain) => this.onMessage(job, message));
    worker.on('error', (error) => this.fail(job, { message: `the import worker crashed: ${error.message}` }));
    worker.on('exit', (code) => {
      if (!job.settled) {
        if (job.cancelRequested) {
          void this.cleanPartial(job, true).then(() => this.settle(job, { cancelled: true }));
        } else this.fail(job, { message: `the import worker stopped unexpectedly (exit code ${code})` });
      }
    });
    this.options.log(
      'info',
      `Import ${id.slice(0, 8)} started: ${request.format}, ${request.paths.join(', ')}.`,
    );
    this.post(job, { type: 'fingerprint', request });
    return id;
  }

  /** Asks an import to stop; false if no such import is in progress. */
  cancel(importId: string): boolean {
    const job = this.active.get(importId);
    if (!job || job.settled) return false;
    if (!job.cancelRequested) {
      job.cancelRequested = true;
      this.post(job, { type: 'abort' });
      // The write step does not check the signal: a worker that does not stop in time is ended.
      job.cancelTimer = setTimeout(() => void job.worker.terminate(), this.cancelGraceMs);
      job.cancelTimer.unref();
    }
    return true;
  }

  /** Cancels every import and waits for their workers to end. */
  async close(): Promise<void> {
    this.closed = true;
    const jobs = [...this.active.values()];
    for (const job of jobs) this.cancel(job.id);
    await Promise.all(jobs.map((job) => Promise.all([job.exited, job.done])));
  }

  private post(job: ActiveImport, message: MainToImportWorker): void {
    job.worker.postMessage(message);
  }

  private onMessage(job: ActiveImport, message: ImportWorkerToMain): void {
    if (job.settled) return;
    switch (message.type) {
      case 'progress':
        this.options.events.emit('dataset:import-progress', { importId: job.id, ...message.progress });
        break;
      case 'fingerprint':
        this.onFingerprint(job, message.fingerprint);
        break;
      case 'imported':
        this.onImported(job, message.outcome);
        break;
      case 'failed':
        this.fail(job, message.failure);
        break;
      case 'cancelled':
        this.settle(job, { cancelled: true });
        break;
    }
  }

  private onFingerprint(job: ActiveImport, fingerprint: ImportFingerprint): void {
    if (job.cancelRequested) {
      this.settle(job, { cancelled: true });
      return;
    }
    job.fingerprint = fingerprint;
    const { store } = this.options;
    const existing = store.datasets.findByContent(
      job.request.format,
      fingerprint.hash,
      IMPORT_FORMAT_VERSION,
    );
    if (existing?.path && existsSync(join(existing.path, 'meta.json'))) {
      this.options.log(
        'info',
        `Import ${job.id.slice(0, 8)}: the same files and options are stored as dataset ${existing.id} (${existing.name}); nothing to do.`,
      );
      this.settle(job, { dataset: existing, reused: true });
      return;
    }
    const twin = [...this.active.values()].find(
      (other) => other !== job && !other.settled && other.fingerprint?.hash === fingerprint.hash,
    );
    if (twin) {
      this.fail(job, {
        message: `the same files with the same options are being imported already (import ${twin.id.slice(0, 8)})`,
      });
      return;
    }
    job.targetDir = datasetFolder(this.options.dataDir, fingerprint.hash);
    const name = existing?.name ?? this.versionedName(job.request);
    this.post(job, { type: 'import', request: { ...job.request, name }, targetDir: job.targetDir });
  }

  /** The import's name; a name another dataset of this kind already has gets the next version. */
  private versionedName(request: DatasetImportRequest): string {
    const base = defaultImportName(request);
    const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?: \\(v(\\d+)\\))?$`);
    let latest = 0;
    for (const dataset of this.options.store.datasets.list()) {
      if (dataset.kind !== request.format) continue;
      const match = pattern.exec(dataset.name);
      if (match) latest = Math.max(latest, match[1] ? Number(match[1]) : 1);
    }
    return latest === 0 ? base : `${base} (v${latest + 1})`;
  }

  private onImported(job: ActiveImport, outcome: ImportOutcome): void {
    const fingerprint = job.fingerprint as ImportFingerprint;
    const targetDir = job.targetDir as string;
    if (job.cancelRequested) {
      // Finished before the abort arrived: the files are complete but nobody wants them.
      void rm(targetDir, { recursive: true, force: true }).then(() => this.settle(job, { cancelled: true }));
      return;
    }
    let record: DatasetRecord;
    try {
      record = this.options.store.datasets.upsert({
        name: outcome.name,
        kind: job.request.format,
        params: {
          ...canonicalImportOptions(job.request),
          files: fingerprint.files.map((file) => ({ role: file.role, path: file.path, bytes: file.bytes })),
          formatVersion: IMPORT_FORMAT_VERSION,
        },
        stats: {
          users: outcome.profile.users,
          items: outcome.profile.items,
          interactions: outcome.profile.interactions,
          positives: outcome.profile.positives,
        },
        hasGroundTruth: false,
        contentHash: fingerprint.hash,
        formatVersion: IMPORT_FORMAT_VERSION,
        path: targetDir,
      });
    } catch (error) {
      // Without its row the folder is unreachable: remove it so the data dir matches the database.
      void rm(targetDir, { recursive: true, force: true });
      this.fail(job, { message: `could not store the dataset: ${(error as Error).message}` });
      return;
    }
    const dropped = Object.values(outcome.report.rowsDropped).reduce((sum, rows) => sum + rows, 0);
    this.options.log(
      'info',
      `Import ${job.id.slice(0, 8)} stored dataset ${record.id} "${record.name}": ${outcome.profile.interactions} interactions` +
        (dropped ? `, ${dropped} rows dropped` : '') +
        (outcome.report.warnings.length ? `, ${outcome.report.warnings.length} warning(s)` : '') +
        '.',
    );
    this.settle(job, { dataset: record });
  }

  private fail(job: ActiveImport, failure: ImportFailure): void {
    if (job.settled) return;
    this.options.log('error', `Import ${job.id.slice(0, 8)} failed: ${failure.message}`);
    void this.cleanPartial(job);
    this.settle(job, { error: failure });
  }

  /**
   * Removes temp folders a terminated worker may have left beside the target folder, and with
   * `orphanTarget` the target folder itself when no dataset row points at it (the worker was
   * ended between its rename and its last message).
   */
  private async cleanPartial(job: ActiveImport, orphanTarget = false): Promise<void> {
    if (!job.targetDir) return;
    const target = job.targetDir;
    if (orphanTarget) {
      let referenced = true;
      try {
        referenced = this.options.store.datasets.list().some((dataset) => dataset.path === target);
      } catch {
        // The store is unreadable: keep the folder rather than guess.
      }
      if (!referenced) await rm(target, { recursive: true, force: true });
    }
    const parent = dirname(job.targetDir);
    const prefix = `${basename(job.targetDir)}${PARTIAL_SUFFIX}${process.pid}-`;
    const entries = await readdir(parent).catch(() => [] as string[]);
    await Promise.all(
      entries
        .filter((entry) => entry.startsWith(prefix))
        .map((entry) => rm(join(parent, entry), { recursive: true, force: true })),
    );
  }

  private settle(
    job: ActiveImport,
    outcome: { dataset?: DatasetRecord; reused?: boolean; cancelled?: boolean; error?: ImportFailure },
  ): void {
    if (job.settled) return;
    job.settled = true;
    if (job.cancelTimer) clearTimeout(job.cancelTimer);
    this.active.delete(job.id);
    void job.worker.terminate();
    const done: ImportDone = { importId: job.id };
    if (outcome.dataset) done.dataset = toDatasetSummary(outcome.dataset);
    if (outcome.reused) done.reused = true;
    if (outcome.cancelled) {
      done.cancelled = true;
      done.error = CANCELLED;
      this.options.log('warn', `Import ${job.id.slice(0, 8)} cancelled.`);
    }
    if (outcome.error) done.error = outcome.error;
    this.options.events.emit('dataset:import-done', done);
    job.markDone();
  }
}
