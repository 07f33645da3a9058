/**
 * The app behind every transport: one store, one event hub, and the services over them (info,
 * datasets, jobs, experiments and runs, exports; services/). Electron IPC, the browser host and
 * the CLI all call `handlers`, which maps each channel of the contract to one service method
 * after validating its request. The map is typed by the contract's channel list, so a channel
 * added there without a handler here, or a handler for no channel, does not compile.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BackendChoice, Channel, RequestOf, ResponseOf } from '../contract/api';
import { CHANNELS } from '../contract/requests';
import { openStore, unusableDatabaseError, type LabStore } from '../store/index';
import { createEventHub } from './events';
import { databasePathIn, defaultDataDir } from './paths';
import type { ServiceContext } from './services/context';
import { createComparisonService } from './services/comparisons';
import { createDatasetService } from './services/datasets';
import { createExperimentService } from './services/experiments';
import { createExportService } from './services/exports';
import { createInfoService } from './services/info';
import { createJobService } from './services/jobs';
import type { ApiHandlers, LabAppOptions, LocalLabApp } from './types';
import { validateRequest } from './validate';

/** What serves each channel, given its validated request. */
type ChannelServices = {
  [C in Channel]: (request: RequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>>;
};

/** The transports' handlers: each validates its payload, then calls its channel's service. */
function validatingHandlers(services: ChannelServices): ApiHandlers {
  const handlers: Partial<Record<Channel, unknown>> = {};
  function bind<C extends Channel>(channel: C): (request: RequestOf<C>) => Promise<ResponseOf<C>> {
    const serve: ChannelServices[C] = services[channel];
    return async (request) => serve(validateRequest(channel, request));
  }
  for (const channel of CHANNELS) handlers[channel] = bind(channel);
  // CHANNELS holds every channel once (the contract builds it from a Record over Channel), so the
  // object is complete; the compiler cannot follow a loop over a union of keys, hence the cast.
  return handlers as ApiHandlers;
}

/**
 * Opens the store and fails the runs an earlier process left behind. A file that is not a usable
 * Cascade Lab database throws an UnusableDatabaseError naming it, with nothing written to it: the
 * first reads of the runs are where a damaged file shows.
 */
function openCheckedStore(
  databasePath: string,
  nativeBinding: string | undefined,
): { store: LabStore; recovered: number[] } {
  let store: LabStore | null = null;
  try {
    store = openStore(databasePath, { nativeBinding });
    return { store, recovered: store.recoverInterruptedRuns() };
  } catch (error) {
    store?.close();
    throw unusableDatabaseError(error, databasePath) ?? error;
  }
}

export async function createLabApp(options: LabAppOptions): Promise<LocalLabApp> {
  const dataDir = options.dataDir ?? (options.dbPath ? dirname(options.dbPath) : defaultDataDir());
  const databasePath = options.dbPath ?? databasePathIn(dataDir);
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(dirname(databasePath), { recursive: true });

  const { store, recovered } = openCheckedStore(databasePath, options.sqliteNativeBinding);
  const events = createEventHub();
  const preferredBackend: BackendChoice = options.backend ?? 'auto';
  /** Set as soon as close() is called. */
  let closing: Promise<void> | null = null;
  const context: ServiceContext = {
    store,
    events,
    dataDir,
    log: (level, runId, message) =>
      events.emit('job:log', { time: new Date().toISOString(), level, runId, message }),
    isClosing: () => closing !== null,
  };

  if (recovered.length) {
    context.log(
      'warn',
      null,
      `Marked ${recovered.length} run(s) interrupted by an earlier stop as failed: ${recovered.join(', ')}.`,
    );
  }
  const datasets = await createDatasetService(context, options);
  const jobs = createJobService(context, { ...options, preferredBackend });
  if (options.queue) {
    try {
      await jobs.connectQueue(options.queue.url);
    } catch (error) {
      await Promise.all([jobs.close(), datasets.close()]);
      store.close();
      throw error;
    }
  }
  const experiments = createExperimentService(context, { ...options, jobs, preferredBackend });
  const exports = createExportService(experiments);
  const comparisons = createComparisonService(context);
  const info = createInfoService({ ...options, jobs, dataDir, databasePath });

  const handlers = validatingHandlers({
    'app:info': () => info.appInfo(),
    'methods:list': () => info.methods(),
    'protocols:list': () => info.protocols(),
    'datasets:list': () => datasets.list(),
    'datasets:preview': ({ path, format }) => datasets.preview(path, format),
    'datasets:import': (request) => datasets.startImport(request),
    'datasets:cancel-import': ({ importId }) => datasets.cancelImport(importId),
    'datasets:profile': ({ datasetId }) => datasets.details(datasetId),
    'datasets:delete': ({ datasetId }) => datasets.remove(datasetId),
    'experiments:list': () => experiments.list(),
    'experiments:get': ({ experimentId }) => experiments.get(experimentId),
    'experiments:template': () => experiments.template(),
    'experiments:bundled': () => experiments.bundled(),
    'experiments:create': ({ spec }) => experiments.create(spec),
    'experiments:run': ({ experimentId }) => experiments.run(experimentId),
    'runs:list': ({ experimentId }) => experiments.runs(experimentId),
    'runs:curves': ({ runId }) => experiments.curves(runId),
    'runs:histograms': ({ experimentId }) => experiments.histograms(experimentId),
    'runs:cancel': (request) => experiments.cancel(request),
    'runs:annotate': ({ runId, ...change }) => experiments.annotateRun(runId, change),
    'runs:archive': ({ runIds, archived }) => experiments.archiveRuns(runIds, archived),
    'runs:delete': ({ runIds }) => experiments.deleteRuns(runIds),
    'experiments:annotate': ({ experimentId, ...change }) =>
      experiments.annotateExperiment(experimentId, change),
    'experiments:archive': ({ experimentId, archived }) =>
      experiments.archiveExperiment(experimentId, archived),
    'experiments:delete': ({ experimentId }) => experiments.deleteExperiment(experimentId),
    'results:table': ({ experimentId }) => experiments.resultTable(experimentId),
    'runs:compare': (request) => comparisons.compare(request),
    'results:export': ({ experimentId, format }) => exports.exportResults(experimentId, format),
    'queue:status': () => jobs.queueStatus(),
    'queue:connect': ({ url }) => jobs.connectQueue(url),
  });

  return {
    handlers,
    events,
    dataDir,
    databasePath,
    waitForExperiment: (experimentId) => experiments.waitForExperiment(experimentId),
    close(): Promise<void> {
      closing ??= (async () => {
        await Promise.all([jobs.close(), datasets.close()]);
        experiments.releaseWaiters();
        events.clear();
        store.close();
      })();
      return closing;
    },
  };
}
