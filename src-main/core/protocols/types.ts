/**
 * A protocol is one paper's testbed: the data it builds (from the simulator or a stored dataset),
 * how its methods train, how they are evaluated, and the columns of the paper-shaped result table.
 *
 * Each lives in core/protocols/<id>/ and exports one ProtocolModule from its index.ts, which
 * registry.ts lists; runJob (experiments/run-job.ts) dispatches a job to its protocol by the spec's
 * `protocol`. Every testbed folder has the same files for the same roles:
 *   index.ts     the descriptor (contract/api.ts ProtocolDescriptor), the result table's columns and
 *                caption, the spec checks of its own, and the module itself
 *   settings.ts  the testbed's settings (`protocolParams`) and what reads them
 *   methods.ts   its methods' descriptors in the paper's table order (and what a method is to it)
 *   data.ts      the data it builds for a job
 *   model*.ts    its models
 *   train.ts     one job: data -> training -> evaluation (the module's runJob)
 *   metrics.ts   its metrics
 * beside paper-specific concepts under their own names (e.g. ukdsl/funnel.ts), and tests beside
 * the code they test.
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

/** A problem a testbed finds in a spec, as spec validation reports it (a SpecError). */
export interface SpecProblem {
  /** Path of the offending field, e.g. `evaluation.retrievalK[0]`. */
  field: string;
  message: string;
}

/**
 * Shares of a job's progress bar per phase (data, ranking, train, eval; phases may overlap);
 * 'train' gets what the others leave. runJob's defaults: data 5%, no ranking phase, eval 5%.
 */
export interface ProgressShares {
  data: number;
  /** A ranking model the method reads (DAMCAR's cascade); 0 or absent: no such phase. */
  ranking?: number;
  eval: number;
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
  /**
   * Checks of a spec (already valid field by field) that only this testbed makes, e.g. DAMCAR's
   * cut-offs that its ranking stage divides by 10; the first problem, or null.
   */
  checkSpec?(spec: ExperimentSpec): SpecProblem | null;
  /**
   * The part of a job that no method changes and that the job would otherwise wait for, run ahead
   * of it by a helper on a spare core (JobRequest.prefetch) and left where the job finds it (the
   * cascade testbed: its ranking model, in the request's cache folder). Absent: nothing to prefetch.
   */
  prefetch?(ctx: ProtocolJobContext): Promise<void>;
  /** How a job's progress bar divides between its phases, when not runJob's defaults. */
  progressShares?(spec: ExperimentSpec): ProgressShares;
}
