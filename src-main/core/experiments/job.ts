/**
 * The boundary between the engine (src-main/core) and the services that run it (src-main/app).
 *
 * A job is one (method, seed) run of an experiment. The app layer starts it in a worker thread
 * (src-main/app/training-worker.ts), which calls `runJob` and posts every `JobEvent` back; the
 * main thread writes them to the store and forwards them to the windows. Plain data only, so the
 * types cross `postMessage` unchanged.
 */
import type {
  BackendChoice,
  JobStepProgress,
  ExperimentSpec,
  MethodRunSpec,
  ParamValues,
  SimulatorParams,
} from '../../contract/api';

/** A dataset the worker can materialise by itself. */
export type JobDataset =
  | { kind: 'simulated'; params: SimulatorParams }
  | { kind: 'stored'; datasetId: number; /** Folder with the processed columns. */ path: string };

export interface JobRequest {
  runId: number;
  experimentId: number;
  spec: ExperimentSpec;
  /** The method with every declared parameter filled in (defaults applied and validated). */
  method: Required<Pick<MethodRunSpec, 'id' | 'params'>> & {
    label: string;
    /** The row's overrides of the spec's protocol settings (MethodRunSpec.protocolParams). */
    protocolParams?: ParamValues;
  };
  seed: number;
  dataset: JobDataset;
  backend: BackendChoice;
  /**
   * Folder of the trained-ranking-model cache (node/ranking-cache.ts), shared by the workers
   * and processes of one data folder; without it every job trains its ranking model.
   */
  cacheDir?: string;
  /**
   * Digest of the world the data phase built (node/world-digest.ts): 'report' adds it to the
   * result; 'only' stops after the data phase and returns just the digest (no training). Remote
   * execution (app/queue/) rebuilds simulated data on the worker and compares the two.
   */
  worldDigest?: 'report' | 'only';
  /**
   * Run only the testbed's preparation that no method changes (ProtocolModule.prefetch: the
   * cascade testbed's ranking model, into `cacheDir`) and return no metrics: a helper the job pool
   * starts on a core that no run uses, so the run finds that model ready when it needs it.
   */
  prefetch?: boolean;
}

export type JobEvent =
  | { type: 'backend'; backend: string; device: string; notes: string[] }
  | ({ type: 'progress' } & JobStepProgress)
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /** A named scalar series point, e.g. a loss term per epoch, stored for training curves. */
  | { type: 'curve'; name: string; step: number; value: number }
  | { type: 'timing'; phase: string; ms: number }
  /**
   * A histogram stored as a run artifact, e.g. DAMCAR Figure 5: the retrieval model's predictions
   * on target-domain samples. `edges` has counts.length + 1 entries.
   */
  | { type: 'histogram'; name: string; edges: number[]; counts: number[] }
  /** Statistics of the materialised dataset, sent once after the data phase. */
  | {
      type: 'dataset';
      name: string;
      users: number;
      items: number;
      interactions: number;
      positives: number;
      hasGroundTruth: boolean;
    };

export interface JobResult {
  metrics: Record<string, number>;
  timings: Record<string, number>;
  backend: string;
  device: string;
  /** Set when the request asked for it (JobRequest.worldDigest). */
  worldDigest?: string;
}

/** Thrown by `runJob` when its AbortSignal fires; the run is then stored as cancelled, not failed. */
export class JobCancelledError extends Error {
  constructor() {
    super('The run was cancelled.');
    this.name = 'JobCancelledError';
  }
}

/** Where a training loss first went wrong (methods/loss-watch.ts). */
export interface DivergencePoint {
  /** 1-based, as in the progress events and log lines. */
  epoch: number;
  step: number;
  loss: number;
}

/**
 * Thrown from inside training when the loss stops being a number or explodes
 * (methods/loss-watch.ts). The run is stored as failed with this message: its metrics would
 * describe a model that does not exist.
 */
export class TrainingDivergedError extends Error {
  /** Who was training, e.g. 'BC' or 'DAMCAR label generator'. */
  readonly label: string;
  /** The step that tripped the watch. */
  readonly at: DivergencePoint;
  /** The last step whose loss was finite, or null when none was. */
  readonly lastFinite: DivergencePoint | null;

  constructor(label: string, message: string, at: DivergencePoint, lastFinite: DivergencePoint | null) {
    super(message);
    this.name = 'TrainingDivergedError';
    this.label = label;
    this.at = at;
    this.lastFinite = lastFinite;
  }
}

/** Metrics as a job's log lines print them, e.g. `R@100 0.1234, P@100 0.0120`. */
export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ');
}

/**
 * A progress event of a phase without steps (data, ranking model, evaluation, done): only its own
 * fraction done moves; `epochs` names the spec's so the bar reads the same in every phase.
 */
export function phaseProgress(phase: JobStepProgress['phase'], epochs: number, fraction: number): JobEvent {
  return {
    type: 'progress',
    phase,
    epoch: 0,
    epochs,
    step: 0,
    stepsPerEpoch: 0,
    loss: null,
    samplesPerSecond: null,
    fraction,
  };
}
