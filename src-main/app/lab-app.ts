/**
 * The services behind every transport: one store, one job pool, one event hub, and a handler per
 * channel of the contract. Electron IPC, the browser host and the CLI all call these handlers.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  AppInfo,
  BackendChoice,
  CurveSeries,
  DatasetDetails,
  ExperimentSpec,
  ExperimentSummary,
  MetricColumn,
  ResultTable,
  RunHistogram,
  RunStatus,
  RunSummary,
  SimulatorParams,
} from '../contract/api';
import { SimulatorParamError, resolveSimulatorParams } from '../core/data/simulator';
import { ImportError } from '../core/data/importers/errors';
import { readProcessed } from '../core/data/importers/processed';
import { profileDataset } from '../core/data/importers/profile';
import { PROFILE_FILE, previewImportFile, readStoredProfile } from '../core/data/importers/run-import';
import type { JobDataset, JobEvent, JobRequest, JobResult } from '../core/experiments/job';
import {
  defaultExperimentSpec,
  experimentColumns,
  protocolCaption,
  resolveMethodParams,
} from '../core/experiments/spec';
import { listAllMethods, listProtocols } from '../core/protocols/registry';
import {
  openStore,
  toDatasetSummary,
  unusableDatabaseError,
  type ExperimentRecord,
  type LabStore,
  type NewRun,
  type RunRecord,
} from '../store/index';
import { NotFoundError, ValidationError } from './errors';
import { createEventHub } from './events';
import { exportTable } from './export';
import { ImportManager, datasetsDir } from './imports';
import { sweepPartialImports } from './partial-sweep';
import { JobPool, probeBackend, resolveTrainingWorkerEntry, type JobHooks } from './jobs';
import { DEFAULT_EXPERIMENTS_DIR, readBundledSpecs } from './bundled-specs';
import { databasePathIn, defaultDataDir } from './paths';
import { buildResultTable, rowLabel } from './results';
import type { ApiHandlers, LabAppOptions, LocalLabApp } from './types';
import { validateExperimentSpec, validateRequest } from './validate';
import type { BackendProbe } from './worker-protocol';

/** The version in the nearest package.json above this module named cascade-lab. */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'cascade-lab' && pkg.version) return pkg.version;
      } catch {
        // not ours or unreadable: keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return '0.0.0';
}

/** Name of simulated data before a run has materialised it (the engine's naming, run-job.ts). */
export function simulatedDatasetName(params: SimulatorParams): string {
  return `Simulated cascade (${params.users} users, ${params.items} items, bias ${params.exposureBias}, seed ${params.seed})`;
}

/** Identity of simulated data: the simulator's resolved parameters, keys sorted. */
export function simulatorContentHash(params: SimulatorParams): string {
  const canonical = Object.fromEntries(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256')
    .update(`simulator:${JSON.stringify(canonical)}`)
    .digest('hex');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
  const version = options.version ?? packageVersion();
  const preferredBackend: BackendChoice = options.backend ?? 'auto';
  /** Set once close() has stopped the pool; `closing` as soon as it is called. */
  let closed = false;
  let closing: Promise<void> | null = null;

  function log(level: 'info' | 'warn' | 'error', runId: number | null, message: string): void {
    events.emit('job:log', { time: new Date().toISOString(), level, runId, message });
  }

  if (recovered.length) {
    log(
      'warn',
      null,
      `Marked ${recovered.length} run(s) interrupted by an earlier stop as failed: ${recovered.join(', ')}.`,
    );
  }
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

  // Imports run in worker threads of their own, beside the training jobs (imports.ts).
  const imports = new ImportManager({
    store,
    events,
    dataDir,
    log: (level, message) => log(level, null, message),
    workerEntry: options.importWorkerEntry,
    cancelGraceMs: options.cancelGraceMs,
  });

  const methodNames = (): Record<string, string> =>
    Object.fromEntries(listAllMethods().map((method) => [method.id, method.name]));

  /* --------------------------------------------------------------------------------------------
   * Records, summaries
   * ------------------------------------------------------------------------------------------ */

  function experimentOrThrow(experimentId: number): ExperimentRecord {
    const experiment = store.experiments.get(experimentId);
    if (!experiment) throw new NotFoundError(`experiment ${experimentId} does not exist`);
    return experiment;
  }

  function experimentSummary(record: ExperimentRecord): ExperimentSummary {
    return {
      id: record.id,
      name: record.name,
      createdAt: record.createdAt,
      spec: record.spec,
      runCounts: store.runs.countsByStatus(record.id),
    };
  }

  function describeJobDataset(dataset: JobDataset | undefined): string {
    if (!dataset) return 'unknown dataset';
    if (dataset.kind === 'simulated') return simulatedDatasetName(dataset.params);
    return store.datasets.get(dataset.datasetId)?.name ?? `dataset ${dataset.datasetId}`;
  }

  function runSummary(run: RunRecord, names: Record<string, string>): RunSummary {
    return {
      id: run.id,
      experimentId: run.experimentId,
      experimentName: run.experimentName,
      method: run.method,
      methodName: names[run.method] ?? run.method,
      label: run.label,
      datasetId: run.datasetId,
      datasetName: run.datasetName ?? describeJobDataset(run.config.dataset),
      seed: run.seed,
      status: run.status,
      backend: run.backend,
      device: run.device,
      params: run.params,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      timings: run.timings,
      error: run.error,
      metrics: run.metrics,
    };
  }

  function emitStatus(
    run: Pick<RunRecord, 'id' | 'experimentId'>,
    status: RunStatus,
    error: string | null,
  ): void {
    events.emit('run:status', { runId: run.id, experimentId: run.experimentId, status, error });
  }

  /** The spec's simulator parameters completed; a bad one is named by its path in the spec. */
  function simulatorParams(spec: ExperimentSpec): SimulatorParams {
    if (spec.dataset.kind !== 'simulated') throw new Error('not a simulated dataset');
    try {
      return resolveSimulatorParams(spec.dataset.params);
    } catch (error) {
      if (error instanceof SimulatorParamError) {
        throw new ValidationError(
          `spec.dataset.params.${error.field}`,
          error.message.replace(`${error.field}: `, ''),
        );
      }
      throw error;
    }
  }

  /** What a run of this spec trains on; stored datasets must exist and have processed files. */
  function jobDataset(spec: ExperimentSpec): JobDataset {
    if (spec.dataset.kind === 'simulated') {
      return { kind: 'simulated', params: simulatorParams(spec) };
    }
    const { datasetId } = spec.dataset;
    const dataset = store.datasets.get(datasetId);
    if (!dataset) throw new ValidationError('spec.dataset.datasetId', `dataset ${datasetId} does not exist`);
    if (!dataset.path) {
      throw new ValidationError(
        'spec.dataset.datasetId',
        `dataset ${datasetId} (${dataset.name}) has no processed files`,
      );
    }
    return { kind: 'stored', datasetId, path: dataset.path };
  }

  /* --------------------------------------------------------------------------------------------
   * Jobs: what each worker message means for the store and the windows
   * ------------------------------------------------------------------------------------------ */

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
        store.artifacts.add({
          runId,
          kind: 'histogram',
          meta: { name: event.name },
          blob: Buffer.from(JSON.stringify({ edges: event.edges, counts: event.counts })),
        });
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

  const hooks: JobHooks = {
    start(runId: number): JobRequest | null {
      const run = store.runs.get(runId);
      if (!run || !store.runs.markRunning(runId)) return null;
      started.set(runId, run);
      emitStatus(run, 'running', null);
      log('info', runId, `Run ${runId} started: ${run.label}, seed ${run.seed}.`);
      // Trained ranking models are shared through the data folder's cache (models/ranking-cache.ts).
      return { ...run.config, runId, cacheDir: join(dataDir, 'cache') };
    },
    event(runId: number, event: JobEvent): void {
      const run = started.get(runId);
      if (run) recordEvent(run, event);
    },
    finished(runId: number, result: JobResult): void {
      const run = started.get(runId) ?? store.runs.get(runId);
      started.delete(runId);
      if (!run) return;
      const stored = store.runs.finish(runId, {
        metrics: result.metrics,
        timings: result.timings,
        backend: result.backend,
        device: result.device,
      });
      if (stored) {
        emitStatus(run, 'finished', null);
        log('info', runId, `Run ${runId} finished: ${run.label}, seed ${run.seed}.`);
      }
    },
    failed(runId: number, message: string): void {
      const run = started.get(runId) ?? store.runs.get(runId);
      started.delete(runId);
      if (run && store.runs.fail(runId, message)) {
        emitStatus(run, 'failed', message);
        log('error', runId, `Run ${runId} failed: ${message}`);
      }
    },
    cancelled(runId: number, reason: string | null): void {
      const run = started.get(runId) ?? store.runs.get(runId);
      started.delete(runId);
      if (run && store.runs.cancel(runId, reason)) {
        emitStatus(run, 'cancelled', reason);
        log('warn', runId, `Run ${runId} cancelled${reason ? `: ${reason}` : '.'}`);
      }
    },
  };

  const workerEntry = options.workerEntry ?? resolveTrainingWorkerEntry();
  const pool = new JobPool({
    maxParallel: options.maxParallelJobs ?? availableParallelism(),
    hooks,
    workerEntry,
    cancelGraceMs: options.cancelGraceMs,
  });

  let backendProbe: Promise<BackendProbe> | null = null;
  function probe(): Promise<BackendProbe> {
    backendProbe ??= probeBackend(preferredBackend, workerEntry).catch((error: unknown) => ({
      backend: 'unavailable',
      device: 'none',
      notes: [`No tfjs backend could start: ${messageOf(error)}`],
    }));
    return backendProbe;
  }

  /* --------------------------------------------------------------------------------------------
   * Channels
   * ------------------------------------------------------------------------------------------ */

  function resultTable(experimentId: number): ResultTable {
    const experiment = experimentOrThrow(experimentId);
    const spec = experiment.spec;
    const runs = store.runs.list({ experimentId });
    let hasGroundTruth = spec.dataset.kind === 'simulated';
    // Rows that set their own testbed settings (a sweep) build different datasets: say so.
    const names = [...new Set(runs.flatMap((run) => (run.datasetName ? [run.datasetName] : [])))];
    let datasetName: string | null =
      names.length > 1
        ? `${names.length} variants, one per row setting (e.g. ${names[0]})`
        : (names[0] ?? null);
    if (spec.dataset.kind === 'stored') {
      const dataset = store.datasets.get(spec.dataset.datasetId);
      hasGroundTruth = dataset?.hasGroundTruth ?? false;
      datasetName ??= dataset?.name ?? `dataset ${spec.dataset.datasetId} (missing)`;
    } else {
      datasetName ??= simulatedDatasetName(simulatorParams(spec));
    }
    const columns: MetricColumn[] = experimentColumns(spec, hasGroundTruth);
    return buildResultTable({
      experimentId,
      spec,
      runs: runs.map((run) => ({
        id: run.id,
        methodIndex: run.methodIndex,
        seed: run.seed,
        status: run.status,
        metrics: run.metrics,
      })),
      columns,
      methodNames: methodNames(),
      datasetName,
      protocolCaption: protocolCaption(spec),
    });
  }

  function runExperiment(experimentId: number): { runIds: number[] } {
    if (closing) throw new Error('Cascade Lab is closing; no new runs start');
    const experiment = experimentOrThrow(experimentId);
    // Re-checked: the spec was valid when stored, but the method registry may have changed since.
    const spec = validateExperimentSpec(experiment.spec);
    const dataset = jobDataset(spec);
    const backend: BackendChoice = spec.backend === 'auto' ? preferredBackend : spec.backend;
    const names = methodNames();
    const newRuns: NewRun[] = [];
    // Seed-major order: the first seed of every method finishes first, so a comparison appears early.
    for (const seed of spec.seeds) {
      spec.methods.forEach((method, methodIndex) => {
        const params = resolveMethodParams(method, `methods[${methodIndex}]`);
        // A row with its own simulator parameters trains on its own simulated world.
        const rowDataset: JobDataset =
          method.simulator && spec.dataset.kind === 'simulated'
            ? jobDataset({
                ...spec,
                dataset: { kind: 'simulated', params: { ...spec.dataset.params, ...method.simulator } },
              })
            : dataset;
        const label = rowLabel(spec, methodIndex, names);
        newRuns.push({
          experimentId,
          methodIndex,
          method: method.id,
          label,
          params,
          seed,
          datasetId: dataset.kind === 'stored' ? dataset.datasetId : null,
          config: {
            experimentId,
            spec,
            method: {
              id: method.id,
              params,
              label,
              ...(method.protocolParams ? { protocolParams: method.protocolParams } : {}),
            },
            seed,
            dataset: rowDataset,
            backend,
          },
        });
      });
    }
    const runs = store.runs.createMany(newRuns);
    for (const run of runs) emitStatus(run, 'queued', null);
    pool.enqueue(runs.map((run) => run.id));
    return { runIds: runs.map((run) => run.id) };
  }

  function cancelRuns(request: { runId?: number; experimentId?: number }): { cancelled: number } {
    let targets: RunRecord[];
    if (request.runId !== undefined) {
      const run = store.runs.get(request.runId);
      if (!run) throw new NotFoundError(`run ${request.runId} does not exist`);
      if (request.experimentId !== undefined && run.experimentId !== request.experimentId) {
        throw new ValidationError(
          'runId',
          `run ${run.id} belongs to experiment ${run.experimentId}, not ${request.experimentId}`,
        );
      }
      if (run.status !== 'queued' && run.status !== 'running') return { cancelled: 0 };
      if (run.ownerToken !== store.owner.token) {
        throw new ValidationError(
          'runId',
          `run ${run.id} belongs to another Cascade Lab process (pid ${run.ownerPid}); cancel it there`,
        );
      }
      targets = [run];
    } else {
      experimentOrThrow(request.experimentId as number);
      targets = store.runs
        .list({ experimentId: request.experimentId, statuses: ['queued', 'running'] })
        .filter((run) => run.ownerToken === store.owner.token);
    }
    let cancelled = 0;
    for (const run of targets) {
      if (pool.cancel(run.id) !== null) cancelled += 1;
      else if (store.runs.cancel(run.id)) {
        // Ours but not in the pool (it never reached it): just record the cancel.
        emitStatus(run, 'cancelled', null);
        cancelled += 1;
      }
    }
    return { cancelled };
  }

  /** Profile and import report of an imported dataset (profile.json, written by the import). */
  async function datasetDetails(datasetId: number): Promise<DatasetDetails> {
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
      return {
        dataset: toDatasetSummary(record),
        profile: profileDataset(processed),
        report: processed.report,
        files: [],
        path,
      };
    }
    const stored = await readStoredProfile(path);
    return {
      dataset: toDatasetSummary(record),
      profile: stored.profile,
      report: stored.report,
      files: stored.files,
      path,
    };
  }

  const handlers: ApiHandlers = {
    'app:info': async (request) => {
      validateRequest('app:info', request);
      const backend = await probe();
      const info: AppInfo = {
        version,
        // The CLI has no window; when it serves one it says 'browser-host'.
        transport: options.transport === 'electron' ? 'electron' : 'browser-host',
        backend: backend.backend,
        device: backend.device,
        backendNotes: backend.notes,
        dataDir,
        databasePath,
      };
      return info;
    },
    'methods:list': async (request) => {
      validateRequest('methods:list', request);
      return listAllMethods();
    },
    'protocols:list': async (request) => {
      validateRequest('protocols:list', request);
      return listProtocols();
    },
    'datasets:list': async (request) => {
      validateRequest('datasets:list', request);
      return store.datasets.list().map(toDatasetSummary);
    },
    'datasets:preview': async (request) => {
      const { path, format } = validateRequest('datasets:preview', request);
      try {
        return await previewImportFile(path, format);
      } catch (error) {
        // A file that cannot be read is the caller's input problem, named by the path field.
        if (error instanceof ImportError) throw new ValidationError('path', error.message);
        throw error;
      }
    },
    'datasets:import': async (request) => {
      const importRequest = validateRequest('datasets:import', request);
      if (closing) throw new Error('Cascade Lab is closing; no new imports start');
      return { importId: imports.start(importRequest) };
    },
    'datasets:cancel-import': async (request) => {
      const { importId } = validateRequest('datasets:cancel-import', request);
      return { cancelled: imports.cancel(importId) };
    },
    'datasets:profile': async (request) => {
      const { datasetId } = validateRequest('datasets:profile', request);
      return datasetDetails(datasetId);
    },
    'datasets:delete': async (request) => {
      const { datasetId } = validateRequest('datasets:delete', request);
      const record = store.datasets.get(datasetId);
      if (!record) throw new NotFoundError(`dataset ${datasetId} does not exist`);
      const running = store.runs
        .list({ statuses: ['queued', 'running'] })
        .filter((run) => run.datasetId === datasetId);
      if (running.length) {
        throw new ValidationError(
          'datasetId',
          `dataset ${datasetId} is used by ${running.length} queued or running run(s); cancel them first`,
        );
      }
      const deleted = store.datasets.remove(datasetId);
      // The row goes first: a folder without a row is harmless, a row without its folder is not.
      if (deleted && record.path) await rm(record.path, { recursive: true, force: true });
      if (deleted) log('info', null, `Deleted dataset ${datasetId} (${record.name}).`);
      return { deleted };
    },
    'experiments:list': async (request) => {
      validateRequest('experiments:list', request);
      return store.experiments.list().map(experimentSummary);
    },
    'experiments:get': async (request) => {
      const { experimentId } = validateRequest('experiments:get', request);
      return experimentSummary(experimentOrThrow(experimentId));
    },
    'experiments:template': async (request) => {
      validateRequest('experiments:template', request);
      return defaultExperimentSpec();
    },
    'experiments:bundled': async (request) => {
      validateRequest('experiments:bundled', request);
      return readBundledSpecs(options.experimentsDir ?? DEFAULT_EXPERIMENTS_DIR, (message) =>
        log('warn', null, message),
      );
    },
    'experiments:create': async (request) => {
      const { spec } = validateRequest('experiments:create', request);
      if (spec.dataset.kind === 'stored' && !store.datasets.get(spec.dataset.datasetId)) {
        throw new ValidationError(
          'spec.dataset.datasetId',
          `dataset ${spec.dataset.datasetId} does not exist`,
        );
      }
      return experimentSummary(store.experiments.create(spec));
    },
    'experiments:run': async (request) => {
      const { experimentId } = validateRequest('experiments:run', request);
      return runExperiment(experimentId);
    },
    'runs:list': async (request) => {
      const { experimentId } = validateRequest('runs:list', request);
      if (experimentId !== undefined) experimentOrThrow(experimentId);
      const names = methodNames();
      return store.runs.list({ experimentId }).map((run) => runSummary(run, names));
    },
    'runs:curves': async (request) => {
      const { runId } = validateRequest('runs:curves', request);
      if (!store.runs.get(runId)) throw new NotFoundError(`run ${runId} does not exist`);
      const series = new Map<string, CurveSeries>();
      for (const point of store.runs.curves(runId)) {
        let entry = series.get(point.name);
        if (!entry) series.set(point.name, (entry = { name: point.name, points: [] }));
        entry.points.push({ step: point.step, value: point.value });
      }
      return [...series.values()];
    },
    'runs:histograms': async (request) => {
      const { experimentId } = validateRequest('runs:histograms', request);
      experimentOrThrow(experimentId);
      // Like the results table: the latest finished run per (method row, seed), so a re-run
      // replaces its histograms instead of adding to them.
      const latest = new Map<string, RunRecord>();
      for (const run of store.runs.list({ experimentId })) {
        if (run.status !== 'finished') continue;
        const key = `${run.methodIndex}:${run.seed}`;
        const current = latest.get(key);
        if (!current || run.id > current.id) latest.set(key, run);
      }
      return [...latest.values()].flatMap((run) =>
        store.artifacts
          .listForRun(run.id)
          .filter((artifact) => artifact.kind === 'histogram' && artifact.blob)
          .map((artifact): RunHistogram => {
            const { edges, counts } = JSON.parse(artifact.blob?.toString('utf8') ?? '{}') as {
              edges: number[];
              counts: number[];
            };
            return {
              runId: run.id,
              method: run.method,
              label: run.label,
              seed: run.seed,
              name: String(artifact.meta.name ?? 'histogram'),
              edges,
              counts,
            };
          }),
      );
    },
    'runs:cancel': async (request) => cancelRuns(validateRequest('runs:cancel', request)),
    'results:table': async (request) => {
      const { experimentId } = validateRequest('results:table', request);
      return resultTable(experimentId);
    },
    'results:export': async (request) => {
      const { experimentId, format } = validateRequest('results:export', request);
      return exportTable(resultTable(experimentId), format);
    },
  };

  /** Checks of pending waitForExperiment calls; close() runs them once more so none hangs. */
  const waiters = new Set<() => void>();

  function waitForExperiment(experimentId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        experimentOrThrow(experimentId);
      } catch (error) {
        reject(error);
        return;
      }
      const check = (): void => {
        let ended = closed;
        if (!ended) {
          const counts = store.runs.countsByStatus(experimentId);
          ended = counts.queued + counts.running === 0;
        }
        if (ended) {
          off();
          clearInterval(poll);
          waiters.delete(check);
          resolve();
        }
      };
      const off = events.on('run:status', (event) => {
        if (event.experimentId === experimentId) check();
      });
      // Runs owned by another process send no events here; a slow poll notices them too.
      const poll = setInterval(check, 2000);
      waiters.add(check);
      check();
    });
  }

  return {
    handlers,
    events,
    dataDir,
    databasePath,
    waitForExperiment,
    close(): Promise<void> {
      closing ??= (async () => {
        await Promise.all([pool.close(), imports.close()]);
        closed = true;
        for (const check of [...waiters]) check();
        events.clear();
        store.close();
      })();
      return closing;
    },
  };
}
