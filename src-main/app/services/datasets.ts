/**
 * Datasets: the stored list, previews of files before an import, imports (each in a worker
 * thread of its own, imports.ts), profiles of imported data, and deletion. Opening the service
 * also removes the unfinished import folders a stopped process left behind.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  DatasetDetails,
  DatasetImportRequest,
  DatasetSummary,
  FilePreview,
  ImportFormat,
} from '../../contract/api';
import { ImportError } from '../../core/node/importers/errors';
import { readProcessed } from '../../core/node/importers/processed';
import { profileDataset } from '../../core/node/importers/profile';
import { PROFILE_FILE, previewImportFile, readStoredProfile } from '../../core/node/importers/run-import';
import { toDatasetSummary } from '../../store/index';
import { NotFoundError, ValidationError } from '../../contract/errors';
import { ImportManager, datasetsDir } from '../imports';
import { sweepPartialImports } from '../partial-sweep';
import { messageOf, type ServiceContext } from './context';
import { datasetVocabulary } from '../dataset-vocabulary';

export interface DatasetService {
  list(): DatasetSummary[];
  /** The first rows of a file as the importer would read them. */
  preview(path: string, format: ImportFormat): Promise<FilePreview>;
  /** Starts an import in a worker; progress and the result arrive as `dataset:*` events. */
  startImport(request: DatasetImportRequest): { importId: string };
  cancelImport(importId: string): { cancelled: boolean };
  /** Profile and import report of an imported dataset. */
  details(datasetId: number): Promise<DatasetDetails>;
  /** Removes the row, then the files; refused while any stored run uses the dataset. */
  remove(datasetId: number): Promise<{ deleted: boolean }>;
  /** Cancels the imports under way and waits for their workers. */
  close(): Promise<void>;
}

export interface DatasetServiceOptions {
  importWorkerEntry?: URL;
  cancelGraceMs?: number;
}

export async function createDatasetService(
  context: ServiceContext,
  options: DatasetServiceOptions,
): Promise<DatasetService> {
  const { store, events, dataDir, log } = context;

  try {
    const swept = await sweepPartialImports(datasetsDir(dataDir));
    if (swept.length) {
      log(
        'warn',
        null,
        `Removed ${swept.length} unfinished import folder(s) that a stopped process left in ` +
          `${datasetsDir(dataDir)}: ${swept.join(', ')}.`,
      );
    }
  } catch (error) {
    // Leftovers only cost disk space: a folder that cannot be listed or removed must not stop the app.
    log('warn', null, `Could not sweep unfinished import folders: ${messageOf(error)}`);
  }

  const imports = new ImportManager({
    store,
    events,
    dataDir,
    log: (level, message) => log(level, null, message),
    workerEntry: options.importWorkerEntry,
    cancelGraceMs: options.cancelGraceMs,
  });

  async function details(datasetId: number): Promise<DatasetDetails> {
    const record = store.datasets.get(datasetId);
    if (!record) throw new NotFoundError(`dataset ${datasetId} does not exist`);
    if (!record.path) {
      throw new ValidationError(
        'datasetId',
        `dataset ${datasetId} (${record.name}) is simulated: it is regenerated for each run and has no stored profile`,
      );
    }
    const path = record.path;
    if (!existsSync(join(path, PROFILE_FILE))) {
      // Processed by a build that wrote no profile: compute it from the columns.
      const processed = await readProcessed(path);
      const dataset = toDatasetSummary(record);
      const profile = profileDataset(processed);
      return {
        dataset,
        profile,
        vocabulary: datasetVocabulary(dataset, profile),
        report: processed.report,
        files: [],
        path,
      };
    }
    const stored = await readStoredProfile(path);
    const dataset = toDatasetSummary(record);
    return {
      dataset,
      profile: stored.profile,
      vocabulary: datasetVocabulary(dataset, stored.profile),
      report: stored.report,
      files: stored.files,
      path,
    };
  }

  async function remove(datasetId: number): Promise<{ deleted: boolean }> {
    const record = store.datasets.get(datasetId);
    if (!record) throw new NotFoundError(`dataset ${datasetId} does not exist`);
    // Any stored run, not only an active one: its metrics came from this data, and deleting the
    // data would leave them unreproducible. Archiving a run keeps it, so it still counts.
    const users = store.runs.list().filter((run) => run.datasetId === datasetId);
    if (users.length) {
      const experiments = [...new Set(users.map((run) => run.experimentName))];
      throw new ValidationError(
        'datasetId',
        `dataset ${datasetId} (${record.name}) is used by ${users.length} run(s) of ${experiments.length} ` +
          `experiment(s) (${experiments.slice(0, 3).join(', ')}${experiments.length > 3 ? ', …' : ''}); ` +
          'delete those runs or experiments first',
      );
    }
    const deleted = store.datasets.remove(datasetId);
    // The row goes first: a folder without a row is harmless, a row without its folder is not.
    if (deleted && record.path) await rm(record.path, { recursive: true, force: true });
    if (deleted) log('info', null, `Deleted dataset ${datasetId} (${record.name}).`);
    return { deleted };
  }

  return {
    list: () => store.datasets.list().map(toDatasetSummary),
    async preview(path, format) {
      try {
        return await previewImportFile(path, format);
      } catch (error) {
        // A file that cannot be read is the caller's input problem, named by the path field.
        if (error instanceof ImportError) throw new ValidationError('path', error.message);
        throw error;
      }
    },
    startImport(request) {
      if (context.isClosing()) throw new Error('Cascade Lab is closing; no new imports start');
      return { importId: imports.start(request) };
    },
    cancelImport: (importId) => ({ cancelled: imports.cancel(importId) }),
    details,
    remove,
    close: () => imports.close(),
  };
}
