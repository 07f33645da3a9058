/**
 * Experiments and their runs: specs (template, bundled files, create), starting an experiment
 * (one run row per method row and seed, handed to the jobs service), listing and cancelling runs,
 * their curves and histograms, the results table, and waiting for an experiment to end.
 */
import {
  DEFAULT_PROTOCOL,
  type AnnotationChange,
  type BackendChoice,
  type BundledSpec,
  type CurveSeries,
  type ExperimentSpec,
  type ExperimentSummary,
  type MetricColumn,
  type ResultTable,
  type RunHistogram,
  type RunSummary,
  type SimulatorParams,
} from '../../contract/api';
import { resolveSimulatorParams } from '../../core/data/simulator';
import type { JobDataset } from '../../core/experiments/job';
import {
  defaultExperimentSpec,
  experimentColumns,
  protocolCaption,
  resolveMethodParams,
} from '../../core/experiments/spec';
import type { ExperimentRecord, NewRun, RunRecord } from '../../store/index';
import { DEFAULT_EXPERIMENTS_DIR, readBundledSpecs } from '../bundled-specs';
import { NotFoundError, ValidationError } from '../../contract/errors';
import { normalizeAnnotation } from '../annotations';
import { decodeHistogramArtifact } from '../histogram-artifact';
import { buildResultTable, rowLabel } from '../results';
import { validateExperimentSpec } from '../validate';
import {
  emitRunStatus,
  experimentOrThrow,
  hasGroundTruth,
  methodNames,
  type ServiceContext,
} from './context';
import type { JobService } from './jobs';
import { simulatedDatasetName } from './simulated-data';

export interface ExperimentService {
  list(): ExperimentSummary[];
  get(experimentId: number): ExperimentSummary;
  template(): ExperimentSpec;
  /** The spec files of the experiments folder that validate; the others are logged and skipped. */
  bundled(): BundledSpec[];
  create(spec: ExperimentSpec): ExperimentSummary;
  /** Creates and queues one run per method row and seed, seed-major. */
  run(experimentId: number): { runIds: number[] };
  /** Runs of one experiment, or of all when experimentId is undefined. */
  runs(experimentId: number | undefined): RunSummary[];
  curves(runId: number): CurveSeries[];
  /** Histograms of the latest finished run per (method row, seed). */
  histograms(experimentId: number): RunHistogram[];
  /** Cancels one run, or every queued or running run of this process in an experiment. */
  cancel(request: { runId?: number; experimentId?: number }): { cancelled: number };
  /** Replaces a run's tags and/or note. */
  annotateRun(runId: number, change: AnnotationChange): RunSummary;
  annotateExperiment(experimentId: number, change: AnnotationChange): ExperimentSummary;
  /** Hides runs from (or brings them back to) the default lists; deletes nothing. */
  archiveRuns(runIds: readonly number[], archived: boolean): { changed: number };
  archiveExperiment(experimentId: number, archived: boolean): ExperimentSummary;
  /** Deletes ended runs with their metrics and curves; refused while one of them is queued or running. */
  deleteRuns(runIds: readonly number[]): { deleted: number };
  /** Deletes an experiment and all its runs; refused while one is queued or running. Datasets stay. */
  deleteExperiment(experimentId: number): { deletedRuns: number };
  resultTable(experimentId: number): ResultTable;
  /** Resolves when every run of the experiment has ended, or the app has closed. */
  waitForExperiment(experimentId: number): Promise<void>;
  /** Called once the app has closed: settles every pending waitForExperiment. */
  releaseWaiters(): void;
}

export interface ExperimentServiceOptions {
  jobs: JobService;
  /** Backend for runs whose spec says `auto`. */
  preferredBackend: BackendChoice;
  /** Folder of the bundled experiment specs; defaults to the repository's experiments/. */
  experimentsDir?: string;
}

export function createExperimentService(
  context: ServiceContext,
  options: ExperimentServiceOptions,
): ExperimentService {
  const { store, events, log } = context;
  const { jobs, preferredBackend } = options;

  function summary(record: ExperimentRecord): ExperimentSummary {
    return {
      id: record.id,
      name: record.name,
      createdAt: record.createdAt,
      spec: record.spec,
      runCounts: store.runs.countsByStatus(record.id),
      tags: record.tags,
      note: record.note,
      archived: record.archivedAt !== null,
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
      protocol: run.config.spec?.protocol ?? DEFAULT_PROTOCOL,
      method: run.method,
      methodName: names[run.method] ?? run.method,
      label: run.label,
      datasetId: run.datasetId,
      datasetName: run.datasetName ?? describeJobDataset(run.config.dataset),
      seed: run.seed,
      status: run.status,
      backend: run.backend,
      device: run.device,
      worker: run.worker,
      params: run.params,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      timings: run.timings,
      error: run.error,
      metrics: run.metrics,
      tags: run.tags,
      note: run.note,
      archived: run.archivedAt !== null,
    };
  }

  function runOrThrow(runId: number): RunRecord {
    const run = store.runs.get(runId);
    if (!run) throw new NotFoundError(`run ${runId} does not exist`);
    return run;
  }

  /** Refuses to delete what is queued or running: cancel first, then delete. */
  function assertEnded(runs: readonly RunRecord[], what: string): void {
    const active = runs.filter((run) => run.status === 'queued' || run.status === 'running');
    if (active.length) {
      throw new ValidationError(
        'runIds',
        `${what} has ${active.length} queued or running run(s) (${active.map((run) => `#${run.id}`).join(', ')}); cancel them first`,
      );
    }
  }

  /** The spec's simulator parameters completed; a bad one is named by its path in the spec. */
  function simulatorParams(spec: ExperimentSpec): SimulatorParams {
    if (spec.dataset.kind !== 'simulated') throw new Error('not a simulated dataset');
    try {
      return resolveSimulatorParams(spec.dataset.params);
    } catch (error) {
      throw error instanceof ValidationError ? error.under('spec.dataset.params') : error;
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

  function resultTable(experimentId: number): ResultTable {
    const experiment = experimentOrThrow(store, experimentId);
    const spec = experiment.spec;
    const runs = store.runs.list({ experimentId });
    // Rows that set their own testbed settings (a sweep) build different datasets: say so.
    const names = [...new Set(runs.flatMap((run) => (run.datasetName ? [run.datasetName] : [])))];
    let datasetName: string | null =
      names.length > 1
        ? `${names.length} variants, one per row setting (e.g. ${names[0]})`
        : (names[0] ?? null);
    if (spec.dataset.kind === 'stored') {
      const dataset = store.datasets.get(spec.dataset.datasetId);
      datasetName ??= dataset?.name ?? `dataset ${spec.dataset.datasetId} (missing)`;
    } else {
      datasetName ??= simulatedDatasetName(simulatorParams(spec));
    }
    const columns: MetricColumn[] = experimentColumns(spec, hasGroundTruth(store, spec));
    // The items each row's dataset holds: a row with its own simulator parameters simulates its own.
    const { dataset } = spec;
    const datasetItems: (number | null)[] = spec.methods.map((method) =>
      dataset.kind === 'stored'
        ? (store.datasets.get(dataset.datasetId)?.stats.items ?? null)
        : simulatorParams({
            ...spec,
            dataset: { kind: 'simulated', params: { ...dataset.params, ...method.simulator } },
          }).items,
    );
    return buildResultTable({
      experimentId,
      spec,
      runs: runs.map((run) => ({
        id: run.id,
        methodIndex: run.methodIndex,
        seed: run.seed,
        status: run.status,
        metrics: run.metrics,
        curves: run.status === 'finished' ? curves(run.id) : [],
      })),
      columns,
      methodNames: methodNames(),
      datasetName,
      protocolCaption: protocolCaption(spec),
      corpusItems: datasetItems,
    });
  }

  function annotateRun(runId: number, change: AnnotationChange): RunSummary {
    runOrThrow(runId);
    const updated = store.runs.annotate(runId, normalizeAnnotation(change)) as RunRecord;
    return runSummary(updated, methodNames());
  }

  function annotateExperiment(experimentId: number, change: AnnotationChange): ExperimentSummary {
    experimentOrThrow(store, experimentId);
    return summary(store.experiments.annotate(experimentId, normalizeAnnotation(change)) as ExperimentRecord);
  }

  function archiveRuns(runIds: readonly number[], archived: boolean): { changed: number } {
    for (const runId of runIds) runOrThrow(runId);
    return { changed: store.runs.setArchived(runIds, archived) };
  }

  function archiveExperiment(experimentId: number, archived: boolean): ExperimentSummary {
    experimentOrThrow(store, experimentId);
    return summary(store.experiments.setArchived(experimentId, archived) as ExperimentRecord);
  }

  function deleteRuns(runIds: readonly number[]): { deleted: number } {
    const runs = runIds.map(runOrThrow);
    assertEnded(runs, runs.length === 1 ? `run ${runs[0].id}` : 'the selection');
    const deleted = store.runs.remove(runIds);
    log('info', null, `Deleted ${deleted} run(s): ${runIds.map((id) => `#${id}`).join(', ')}.`);
    return { deleted };
  }

  function deleteExperiment(experimentId: number): { deletedRuns: number } {
    const experiment = experimentOrThrow(store, experimentId);
    const runs = store.runs.list({ experimentId });
    assertEnded(runs, `experiment ${experimentId} (${experiment.name})`);
    store.experiments.remove(experimentId);
    log(
      'info',
      null,
      `Deleted experiment ${experimentId} (${experiment.name}) and its ${runs.length} run(s).`,
    );
    return { deletedRuns: runs.length };
  }

  function run(experimentId: number): { runIds: number[] } {
    if (context.isClosing()) throw new Error('Cascade Lab is closing; no new runs start');
    const experiment = experimentOrThrow(store, experimentId);
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
    for (const created of runs) emitRunStatus(events, created, 'queued', null);
    jobs.enqueue(runs.map((created) => created.id));
    return { runIds: runs.map((created) => created.id) };
  }

  function cancel(request: { runId?: number; experimentId?: number }): { cancelled: number } {
    let targets: RunRecord[];
    if (request.runId !== undefined) {
      const target = store.runs.get(request.runId);
      if (!target) throw new NotFoundError(`run ${request.runId} does not exist`);
      if (request.experimentId !== undefined && target.experimentId !== request.experimentId) {
        throw new ValidationError(
          'runId',
          `run ${target.id} belongs to experiment ${target.experimentId}, not ${request.experimentId}`,
        );
      }
      if (target.status !== 'queued' && target.status !== 'running') return { cancelled: 0 };
      if (target.ownerToken !== store.owner.token) {
        throw new ValidationError(
          'runId',
          `run ${target.id} belongs to another Cascade Lab process (pid ${target.ownerPid}); cancel it there`,
        );
      }
      targets = [target];
    } else {
      experimentOrThrow(store, request.experimentId as number);
      targets = store.runs
        .list({ experimentId: request.experimentId, statuses: ['queued', 'running'] })
        .filter((candidate) => candidate.ownerToken === store.owner.token);
    }
    let cancelled = 0;
    for (const target of targets) {
      if (jobs.cancel(target.id) !== null) cancelled += 1;
      else if (store.runs.cancel(target.id)) {
        // Ours but not in the pool (it never reached it): just record the cancel.
        emitRunStatus(events, target, 'cancelled', null);
        cancelled += 1;
      }
    }
    return { cancelled };
  }

  function histograms(experimentId: number): RunHistogram[] {
    experimentOrThrow(store, experimentId);
    // Like the results table: the latest finished run per (method row, seed), so a re-run
    // replaces its histograms instead of adding to them.
    const latest = new Map<string, RunRecord>();
    for (const candidate of store.runs.list({ experimentId })) {
      if (candidate.status !== 'finished') continue;
      const key = `${candidate.methodIndex}:${candidate.seed}`;
      const current = latest.get(key);
      if (!current || candidate.id > current.id) latest.set(key, candidate);
    }
    return [...latest.values()].flatMap((finished) =>
      store.artifacts.listForRun(finished.id).flatMap((artifact): RunHistogram[] => {
        const histogram = decodeHistogramArtifact(artifact);
        if (!histogram) return [];
        const { id: runId, method, label, seed } = finished;
        return [{ runId, method, label, seed, ...histogram }];
      }),
    );
  }

  function curves(runId: number): CurveSeries[] {
    if (!store.runs.get(runId)) throw new NotFoundError(`run ${runId} does not exist`);
    const series = new Map<string, CurveSeries>();
    for (const point of store.runs.curves(runId)) {
      let entry = series.get(point.name);
      if (!entry) series.set(point.name, (entry = { name: point.name, points: [] }));
      entry.points.push({ step: point.step, value: point.value });
    }
    return [...series.values()];
  }

  /** Set by releaseWaiters() once the app has closed. */
  let closed = false;
  /** Checks of pending waitForExperiment calls; releaseWaiters() runs them once more so none hangs. */
  const waiters = new Set<() => void>();

  function waitForExperiment(experimentId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        experimentOrThrow(store, experimentId);
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
    annotateRun,
    annotateExperiment,
    archiveRuns,
    archiveExperiment,
    deleteRuns,
    deleteExperiment,
    list: () => store.experiments.list().map(summary),
    get: (experimentId) => summary(experimentOrThrow(store, experimentId)),
    template: () => defaultExperimentSpec(),
    bundled: () =>
      readBundledSpecs(options.experimentsDir ?? DEFAULT_EXPERIMENTS_DIR, (message) =>
        log('warn', null, message),
      ),
    create(spec) {
      if (spec.dataset.kind === 'stored' && !store.datasets.get(spec.dataset.datasetId)) {
        throw new ValidationError(
          'spec.dataset.datasetId',
          `dataset ${spec.dataset.datasetId} does not exist`,
        );
      }
      return summary(store.experiments.create(spec));
    },
    run,
    runs(experimentId) {
      if (experimentId !== undefined) experimentOrThrow(store, experimentId);
      const names = methodNames();
      return store.runs.list({ experimentId }).map((listed) => runSummary(listed, names));
    },
    curves,
    histograms,
    cancel,
    resultTable,
    waitForExperiment,
    releaseWaiters() {
      closed = true;
      for (const check of [...waiters]) check();
    },
  };
}
