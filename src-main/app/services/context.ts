/**
 * What the services share: the store, the event hub, the data folder, the log, and whether the
 * app is closing. createLabApp builds one context and hands it to each service; the helpers below
 * are the few record lookups and events more than one service needs, declared once here.
 */
import type { ExperimentSpec, LogLine, RunStatus } from '../../contract/api';
import { listAllMethods } from '../../core/protocols/registry';
import type { ExperimentRecord, LabStore, RunRecord } from '../../store/index';
import { NotFoundError } from '../../contract/errors';
import type { EventHub } from '../types';

export interface ServiceContext {
  store: LabStore;
  events: EventHub;
  dataDir: string;
  /** Sends a `job:log` line to the windows; runId null for lines about the app itself. */
  log(level: LogLine['level'], runId: number | null, message: string): void;
  /** True from the moment close() is called: no new runs or imports start after that. */
  isClosing(): boolean;
}

export { messageOf } from '../errors';

export function experimentOrThrow(store: LabStore, experimentId: number): ExperimentRecord {
  const experiment = store.experiments.get(experimentId);
  if (!experiment) throw new NotFoundError(`experiment ${experimentId} does not exist`);
  return experiment;
}

/** Whether the experiment's data carries ground truth: simulated, or a stored dataset that has it. */
export function hasGroundTruth(store: LabStore, spec: ExperimentSpec): boolean {
  if (spec.dataset.kind === 'simulated') return true;
  return store.datasets.get(spec.dataset.datasetId)?.hasGroundTruth ?? false;
}

/** Display name of every registered method, by id (read per call: the registry may change). */
export function methodNames(): Record<string, string> {
  return Object.fromEntries(listAllMethods().map((method) => [method.id, method.name]));
}

export function emitRunStatus(
  events: EventHub,
  run: Pick<RunRecord, 'id' | 'experimentId'>,
  status: RunStatus,
  error: string | null,
): void {
  events.emit('run:status', { runId: run.id, experimentId: run.experimentId, status, error });
}
