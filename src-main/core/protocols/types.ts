/**
 * A protocol is one paper's testbed: the data it builds (from the simulator or a stored dataset),
 * how its methods train, how they are evaluated, and the columns of the paper-shaped result table.
 *
 * DAMCAR's two-stage cascade is the built-in protocol 'damcar' (experiments/run-job.ts with the
 * methods in core/methods). RRA, KEEP, UKDSL and CP2Rec each live in core/protocols/<id>/ and
 * export one ProtocolModule; runJob dispatches a job to its protocol by the spec's `protocol`.
 */
import type {
  ExperimentSpec,
  MethodDescriptor,
  MetricColumn,
  ParamValues,
  ProtocolDescriptor,
} from '../../contract/api';
import type { CascadeDataset } from '../data/dataset';
import type { JobEvent, JobRequest } from '../experiments/job';
import type { Rng } from '../random';

/** What a protocol's job receives from runJob (backend started, parameters resolved). */
export interface ProtocolJobContext {
  /** The job: spec, method (id, label, every declared parameter filled), seed, dataset source. */
  request: JobRequest;
  /** Every parameter the method declares, defaults filled and validated. */
  params: ParamValues;
  /** Every parameter the protocol declares, defaults filled and validated. */
  protocolParams: ParamValues;
  /** Seeded from the job's seed; fork it per concern (data, initialisation, shuffling). */
  rng: Rng;
  /** The tfjs backend runJob started, e.g. `wasm`. */
  backend: string;
  /**
   * Sends an event to the job's listener. A 'progress' event's `fraction` is the share done of its
   * own phase (0 to 1; runEpochs emits phase 'train' so), and runJob maps it onto the whole job
   * (data 5%, train 90%, eval 5%). 'curve' events become the run's curves, 'log' its log lines.
   */
  emit(event: JobEvent): void;
  /** Checked between steps; when aborted, throw JobCancelledError (methods/loop.ts throwIfCancelled). */
  signal: AbortSignal;
  /** Runs `work`, stores its wall time as the run's timing of `phase` and returns its result. */
  timed<T>(phase: string, work: () => T | Promise<T>): Promise<T>;
  /**
   * The request's dataset as the cascade engine sees it (simulated from the spec's simulator
   * parameters, or read from a stored dataset's columns); kept per worker, so repeated seeds of an
   * experiment build it once. Protocols that need more than an exposure log (candidate sets,
   * several behaviours) may build their own data from `request.dataset` instead.
   */
  materializeDataset(): CascadeDataset;
}

export interface ProtocolModule {
  descriptor: ProtocolDescriptor;
  /** Descriptors of its methods (each with `protocol` = this id), in the paper's table order. */
  methods: MethodDescriptor[];
  /**
   * Columns of the paper-shaped result table for a validated spec of this protocol, in the
   * paper's order. `hasGroundTruth`: whether the dataset is simulated (ground truth available).
   */
  columns(spec: ExperimentSpec, hasGroundTruth: boolean): MetricColumn[];
  /** One sentence for the table's caption: what was measured on which data (e.g. `Recall@100 over…`). */
  caption(spec: ExperimentSpec): string;
  /**
   * Trains and evaluates one (method, seed) and returns its metrics, keyed as `columns` names
   * them. Throws an Error naming the field (or file) when the data cannot serve the protocol.
   */
  runJob(ctx: ProtocolJobContext): Promise<Record<string, number>>;
}
