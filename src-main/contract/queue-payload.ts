/**
 * The payload of a run queued on Redis for remote workers (app/queue/): the run's request minus
 * everything local to the coordinator. Declared here, with the spec's schemas, because a worker
 * trusts nothing it takes from the queue: app/queue/payload.ts parses it with this schema and the
 * spec inside it with the spec file's own validation. No field is a path: a stored dataset is named
 * by content hash and plain file names, so nothing on the queue can make a worker read or write
 * outside its cache folder.
 */
import * as v from 'valibot';
import type { ExperimentSpec, ParamValues, SimulatorParams } from './api';
import { BACKEND_CHOICES, type BackendChoice } from './backends';
import { choice, fields, id, listOf, strictFields, text } from './schema';
import { PARAM_VALUES, SIMULATOR_PARAMS } from './spec-schema';

/** A file of a dataset folder on the queue: one path component, no leading dot (so never . or ..). */
export const DATASET_FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
export const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isDatasetFileName(name: string): boolean {
  return DATASET_FILE_NAME.test(name);
}

export interface DatasetFile {
  name: string;
  bytes: number;
  /** sha256 of the file's bytes, lowercase hex. */
  sha256: string;
}

/** A stored dataset on the queue; `hash` is the sha256 of its manifest (app/queue/dataset-transfer.ts). */
export interface DatasetRef {
  hash: string;
  files: DatasetFile[];
  /** All files' bytes together. */
  bytes: number;
}

export type QueueDataset =
  | { kind: 'simulated'; params: SimulatorParams }
  /** `datasetId` is the coordinator's id: a cache key on the worker, never a path. */
  | { kind: 'stored'; datasetId: number; name: string; ref: DatasetRef };

export interface QueuePayload {
  format: 1;
  /** The coordinator's code version; a worker running other code refuses the job. */
  codeVersion: string;
  /** The coordinator's run id and experiment, for messages and the job id. */
  runId: number;
  experimentId: number;
  spec: ExperimentSpec;
  method: { id: string; label: string; params: ParamValues; protocolParams?: ParamValues };
  seed: number;
  backend: BackendChoice;
  dataset: QueueDataset;
}

const SHA256 = v.pipe(v.string(), v.regex(SHA256_HEX, 'must be a SHA-256 digest in hex'));
const BYTES = v.pipe(v.number(), v.integer(), v.minValue(0));

/** The payload's schema; `spec` is checked afterwards as a spec file is (validateSpec). */
export const QUEUE_PAYLOAD = fields({
  format: v.literal(1),
  codeVersion: text({ nonEmpty: true, maxLength: 200 }),
  runId: id(),
  experimentId: id(),
  spec: v.unknown(),
  method: fields({
    id: text({ nonEmpty: true, maxLength: 200 }),
    label: text({ maxLength: 500 }),
    params: PARAM_VALUES,
    protocolParams: v.optional(PARAM_VALUES),
  }),
  seed: v.pipe(v.number(), v.integer()),
  backend: choice(BACKEND_CHOICES),
  dataset: v.variant('kind', [
    strictFields({ kind: v.literal('simulated'), params: SIMULATOR_PARAMS }),
    strictFields({
      kind: v.literal('stored'),
      datasetId: id(),
      name: text({ maxLength: 500 }),
      ref: fields({
        hash: SHA256,
        files: listOf(
          fields({
            name: v.pipe(v.string(), v.regex(DATASET_FILE_NAME, 'must be a plain file name')),
            bytes: BYTES,
            sha256: SHA256,
          }),
          { what: 'files', nonEmpty: true },
        ),
        bytes: BYTES,
      }),
    }),
  ]),
});
