/**
 * What crosses the queue between a coordinator (queue/coordinator.ts: the workbench or `cascade-lab
 * run --queue`) and its workers (queue/worker.ts), and the names both use in Redis.
 *
 * A job's payload is the run's request minus everything local to the coordinator: no paths (a
 * stored dataset travels by content hash, queue/dataset-transfer.ts), no cache folder (each worker
 * has its own). A worker trusts nothing in it: it is parsed with the same schemas as a spec file
 * (the spec itself with validateSpec, so unknown testbeds, methods and out-of-range values are
 * refused) before anything runs, and no field names a path.
 */
import type { ParamValues, QueueWorkerInfo } from '../../contract/api';
import { QUEUE_PAYLOAD, type QueueDataset, type QueuePayload } from '../../contract/queue-payload';

export type { DatasetRef, QueueDataset, QueuePayload } from '../../contract/queue-payload';
import { parseWith } from '../../contract/schema';
import type { JobEvent, JobResult } from '../../core/experiments/job';
import { validateSpec } from '../../core/experiments/spec';

/** The BullMQ queue every coordinator and worker of one Redis shares. */
export const QUEUE_NAME = 'runs';
/** Prefix of every Redis key Cascade Lab writes (BullMQ's and ours), so one Redis can hold others'. */
export const KEY_PREFIX = 'cascade-lab';
/** Pub/sub channel a coordinator cancels a running job on; the message is the job id. */
export const CANCEL_CHANNEL = `${KEY_PREFIX}:cancel`;
/** Key marking a job as cancelled, for a worker that takes it before it hears the message. */
export const cancelledKey = (jobId: string): string => `${KEY_PREFIX}:cancelled:${jobId}`;
/** Key of a worker's announcement (JSON WorkerInfo), refreshed by its heartbeat. */
export const workerKey = (name: string): string => `${KEY_PREFIX}:worker:${name}`;
/** A failed job's reason starts with this when it was cancelled, not broken. */
export const CANCELLED_REASON = 'cancelled';

/**
 * Parses a job's payload as a worker receives it. Throws a ValidationError naming the field
 * (`spec.training.epochs`, `dataset.ref.files[2].name`) on anything malformed.
 */
export function parseQueuePayload(input: unknown): QueuePayload {
  const payload = parseWith(QUEUE_PAYLOAD, input);
  return {
    ...payload,
    spec: validateSpec(payload.spec),
    method: {
      id: payload.method.id,
      label: payload.method.label,
      params: payload.method.params as ParamValues,
      ...(payload.method.protocolParams
        ? { protocolParams: payload.method.protocolParams as ParamValues }
        : {}),
    },
    dataset: payload.dataset as QueueDataset,
  };
}

/** The job id of a coordinator's run: unique per coordinator data folder and run. */
export function queueJobId(coordinatorId: string, runId: number): string {
  return `${coordinatorId}-run-${runId}`;
}

/** What a worker announces about itself (refreshed every few seconds while it lives). */
export type WorkerAnnouncement = QueueWorkerInfo;

/** A worker's label on a run: "gpu-1 (NVIDIA H100, tensorflow)". */
export function workerLabel(worker: Pick<WorkerAnnouncement, 'name' | 'device' | 'backend'>): string {
  return `${worker.name} (${worker.device}, ${worker.backend})`;
}

/** Progress a worker reports while it runs a job (BullMQ job progress; live, not stored as such). */
export type QueueProgress =
  { kind: 'started'; worker: string; attempt: number } | { kind: 'event'; event: JobEvent };

/** A finished job's return value: the result and every event to store, in order. */
export interface QueueOutcome {
  result: JobResult;
  /** Curves, timings, histograms, backend and dataset events (not progress or log lines). */
  events: JobEvent[];
  worker: string;
}
