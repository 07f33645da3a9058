/**
 * The one API contract between the renderer and the main side.
 *
 * Both the renderer and every transport (Electron IPC, the browser host over HTTP + server-sent
 * events) import this module. Channels are named `domain:verb`. What callers send is declared
 * once as schemas (requests.ts for each channel's request, spec-schema.ts for the experiment
 * spec): the types of those values are derived from them here, and the main side validates every
 * payload with them (src-main/app/validate.ts). What the main side answers is plain types.
 */
import type { ComparisonTable } from './comparison';
import type * as v from 'valibot';
import type { Channel, RequestOf } from './requests';
import type {
  DATASET,
  EVALUATION,
  EXPERIMENT_SPEC,
  METHOD_ROW,
  PARAM_VALUE,
  PARAM_VALUES,
  RANKING_MODELS,
  SIMULATOR_PARAMS,
  TRAINING,
} from './spec-schema';

export type {
  Channel,
  ColumnMapping,
  DatasetImportRequest,
  ExportFormat,
  ImportFilters,
  ImportFormat,
  RequestOf,
} from './requests';

/* ----------------------------------------------------------------------------------------------
 * Hyper-parameters and method declarations (generated forms come from these)
 * -------------------------------------------------------------------------------------------- */

export interface NumberParamSpec {
  kind: 'number';
  /** Key in the params object. */
  key: string;
  label: string;
  help: string;
  default: number;
  min: number;
  max: number;
  /** Step for the form's input; integers use 1. */
  step: number;
  integer: boolean;
  /** Values the paper searched (e.g. Table 4 grids); used as grid-search suggestions. */
  paperGrid?: number[];
  /** Log-scale hint for sliders and sweeps. */
  logScale?: boolean;
}

export interface ChoiceParamSpec {
  kind: 'choice';
  key: string;
  label: string;
  help: string;
  default: string;
  options: { value: string; label: string }[];
}

export interface BooleanParamSpec {
  kind: 'boolean';
  key: string;
  label: string;
  help: string;
  default: boolean;
}

export type ParamSpec = NumberParamSpec | ChoiceParamSpec | BooleanParamSpec;

export type ParamValue = v.InferOutput<typeof PARAM_VALUE>;
export type ParamValues = v.InferOutput<typeof PARAM_VALUES>;

/** Serializable description of a method, as shown by the workbench and the CLI. */
export interface MethodDescriptor {
  /** Stable id used in specs, e.g. `bc`, `damcar`. */
  id: string;
  /** Display name as in the papers' tables, e.g. `BC`, `DAMCAR`. */
  name: string;
  /** Which paper the method comes from, e.g. `DAMCAR (ACM MM 2024)`. */
  paper: string;
  /** Short summary: what it trains on and which equations it implements. */
  summary: string;
  /** Equations implemented, as the paper numbers them, e.g. ['Eq. 11', 'Eq. 12']. */
  equations: string[];
  /** Which cascade stage the method trains (retrieval, ranking or both). */
  stage: 'retrieval' | 'ranking' | 'cascade';
  /** The testbed (paper) whose experiments the method runs in; see ProtocolDescriptor. */
  protocol: ProtocolId;
  params: ParamSpec[];
}

/**
 * Which paper's testbed an experiment follows: its data (e.g. RRA's impression logs with candidate
 * sets, KEEP's super-domain behaviours), training protocol, metrics and table shape. The engine's
 * registry (src-main/core/protocols/registry.ts) lists them; `protocols:list` returns them, e.g.
 * 'damcar' (DAMCAR's two-stage cascade: DSSM retrieval, DeepFM/DCN ranking, R/P/F@K, N/M/H@K),
 * 'rra', 'keep', 'ukdsl', 'cp2rec'.
 */
export type ProtocolId = string;

/** The testbed of a spec that names none: specs written before testbeds existed are DAMCAR's. */
export const DEFAULT_PROTOCOL: ProtocolId = 'damcar';

/**
 * What the workbench shows differently per testbed, so that its views read it here instead of
 * knowing the papers: editor sections, the result charts' titles and defaults.
 */
export interface ProtocolPresentation {
  /**
   * Label and help of the editor's `evaluation.retrievalK` field, when `evaluationSettings` has it
   * (DAMCAR: the retrieval cut-offs K1); absent: a generic "Top-K cut-offs".
   */
  cutoffs?: { label: string; help: string };
  /**
   * Whether the spec's ranking stage (`ranking.model`: DeepFM, DCN or none) applies, so the editor
   * shows its selector.
   */
  rankingStage: boolean;
  /** A line the editor shows under the dataset, e.g. which retrieval model every method trains. */
  modelNote?: string;
  /**
   * The paper's figures the result charts redraw, named in their titles: the comparison bars
   * (e.g. `DAMCAR's Figure 3 ablation`), the sensitivity lines (`Figure 4`) and the histograms of
   * target-domain predictions (`Figure 5`). A testbed that names the predictions figure shows its
   * chart even before a run stored a histogram.
   */
  figures: { comparison?: string; sensitivity?: string; predictions?: string };
  /**
   * The result-table group whose first three columns the charts plot until the user picks (DAMCAR:
   * `Ranking`, N/M/H@10 as its Figures 3-4); absent, or fewer than three columns in it: the
   * table's first three.
   */
  chartGroup?: string;
  /** Methods whose rows the predictions chart overlays first (DAMCAR's Figure 5: BC and DAMCAR). */
  pairedMethods: string[];
}

/** Serializable description of a testbed, as the workbench and the CLI show it. */
export interface ProtocolDescriptor {
  id: ProtocolId;
  /** e.g. `RRA retrieval-ranking alignment`. */
  name: string;
  /** e.g. `RRA (KDD 2023)`. */
  paper: string;
  /** What data it builds, what it trains and how it evaluates, in two or three sentences. */
  summary: string;
  /** The testbed's own settings (e.g. NKTD's list length); a form is generated from them. */
  params: ParamSpec[];
  /** Ids of the methods that run in it, in the paper's table order. */
  methods: string[];
  /**
   * The training settings its bundled specs use (the paper's where it gives them); the editor
   * starts a draft switched to this testbed from them.
   */
  training: TrainingSpec;
  /**
   * The `evaluation` settings it reads, so the editor shows only those: DAMCAR all three, CP2Rec
   * the top-K cut-offs, the others none (their metrics' settings are protocol parameters).
   */
  evaluationSettings: ('retrievalK' | 'corpus' | 'split')[];
  presentation: ProtocolPresentation;
}

/* ----------------------------------------------------------------------------------------------
 * Datasets
 * -------------------------------------------------------------------------------------------- */

/** Parameters of the built-in cascade simulator (their ranges: ranges.ts). */
export type SimulatorParams = v.InferOutput<typeof SIMULATOR_PARAMS>;

export type DatasetSource = v.InferOutput<typeof DATASET>;

export interface DatasetSummary {
  id: number;
  name: string;
  kind: 'simulated' | 'wechat' | 'tiktok' | 'csv';
  users: number;
  items: number;
  interactions: number;
  positives: number;
  /** Whether ground-truth preferences for unexposed pairs are available (simulated data). */
  hasGroundTruth: boolean;
  createdAt: string;
  params: Record<string, unknown>;
}

/* ----------------------------------------------------------------------------------------------
 * Dataset import (WeChat 2021, TikTok / ICME 2019 track 2, any CSV / TSV / JSON-lines log)
 * -------------------------------------------------------------------------------------------- */

/** The first rows of a file, as the import wizard shows them before importing. */
export interface FilePreview {
  path: string;
  /** How the file was read: csv / tsv with a header, headerless TikTok tsv, or JSON lines. */
  layout: 'csv' | 'tsv' | 'jsonl';
  separator: string;
  columns: string[];
  rows: string[][];
  bytes: number;
}

/** How far an importer has read one of its files. */
export interface FileReadProgress {
  file: string;
  bytesRead: number;
  totalBytes: number;
  rows: number;
}

/** An import's progress as its worker reports it: which step, in which file. */
export interface ImportStepProgress extends FileReadProgress {
  /** hash: fingerprinting the files; read: parsing; write: storing the processed columns. */
  phase: 'hash' | 'read' | 'write';
}

/** An import's progress as the transports send it: the step's progress and whose import it is. */
export interface ImportProgress extends ImportStepProgress {
  importId: string;
}

export interface ImportFailure {
  message: string;
  file?: string;
  /** 1-based line of the file. */
  line?: number;
  column?: string;
}

export interface ImportDone {
  importId: string;
  /** The stored dataset; absent when the import failed or was cancelled. */
  dataset?: DatasetSummary;
  /** True when the same files and options were imported before: that dataset is returned as is. */
  reused?: boolean;
  cancelled?: boolean;
  error?: ImportFailure;
}

/** Quantiles and a log2 histogram of a count per user or per item. */
export interface CountDistribution {
  min: number;
  p25: number;
  median: number;
  p75: number;
  p90: number;
  max: number;
  mean: number;
  /** Counts in log2 bins: bin b holds values in [2^b, 2^(b+1)). */
  log2Histogram: number[];
}

/** The dataset view's figures (DAMCAR Table 1 columns and more). */
export interface DatasetProfile {
  users: number;
  items: number;
  interactions: number;
  positives: number;
  labelRate: number;
  /** Table 1's modality letters present in the item features, e.g. ['V', 'A', 'T']. */
  modalities: string[];
  interactionsPerUser: CountDistribution;
  interactionsPerItem: CountDistribution;
  /** Share of users or items with a (non-missing) value, per feature. */
  featureCoverage: { entity: 'user' | 'item'; name: string; coverage: number }[];
  timeRange: [number, number];
}

/** What an import skipped, found missing or wants the analyst to know. */
export interface ImportReport {
  rowsRead: number;
  rowsKept: number;
  /** Rows dropped, by reason (e.g. `label missing (finish = -1)`, `k-core filter`). */
  rowsDropped: Record<string, number>;
  /** Optional values that were empty or -1, by column: counted, not fatal. */
  missingValues: Record<string, number>;
  warnings: string[];
}

/** How the dataset view words an imported dataset: its own label, modalities and time unit. */
export interface DatasetVocabulary {
  /** The word for a positive interaction in counts, e.g. `finished` (TikTok, WeChat) or `positive`. */
  positiveWord: string;
  /** What y = 1 means here, e.g. `watch_pct ≥ 0.8 (column of the imported log)`. */
  labelMeaning: string;
  /** The item feature modalities present, spelled out (`visual, acoustic, textual`); [] when none. */
  modalities: string[];
  /** The time range in the source's own terms: dates for Unix times, days for WeChat's day index. */
  timeRange: string;
}

export interface DatasetDetails {
  dataset: DatasetSummary;
  profile: DatasetProfile;
  vocabulary: DatasetVocabulary;
  report: ImportReport;
  /** The imported files with their sizes in bytes. */
  files: { path: string; bytes: number }[];
  /** Folder of the processed columns. */
  path: string;
}

/* ----------------------------------------------------------------------------------------------
 * Experiments and runs
 * -------------------------------------------------------------------------------------------- */

export type RankingModelName = (typeof RANKING_MODELS)[number];

export { BACKEND_CHOICES, BACKEND_NAMES, isBackendChoice } from './backends';
export type { BackendChoice, BackendName } from './backends';

/** One row of a spec's methods (spec-schema.ts says what each field means). */
export type MethodRunSpec = v.InferOutput<typeof METHOD_ROW>;

/** A grid key of this form sweeps a protocol setting for the row (MethodRunSpec.grid). */
export const PROTOCOL_GRID_PREFIX = 'protocolParams.';
/** A grid key of this form sweeps a parameter of the simulated dataset (MethodRunSpec.grid). */
export const SIMULATOR_GRID_PREFIX = 'simulator.';

export type TrainingSpec = v.InferOutput<typeof TRAINING>;
export type EvaluationSpec = v.InferOutput<typeof EVALUATION>;

/**
 * A reproducible experiment: JSON files in experiments/ and the workbench's editor share it.
 * Validation (core/experiments/spec.ts) fills `protocol`, `protocolParams`, `ranking` and
 * `evaluation.split`; they stay optional in the type because specs stored before they existed
 * are read without them.
 */
export type ExperimentSpec = v.InferOutput<typeof EXPERIMENT_SPEC>;

export type RunStatus = 'queued' | 'running' | 'finished' | 'failed' | 'cancelled';

export interface ExperimentSummary {
  id: number;
  name: string;
  createdAt: string;
  spec: ExperimentSpec;
  runCounts: Record<RunStatus, number>;
  /** What the analyst wrote on it: distinct tags and a free-text note. */
  tags: string[];
  note: string;
  /** Archived experiments are hidden from the default lists; nothing of them is deleted. */
  archived: boolean;
}

/**
 * What `runs:annotate` and `experiments:annotate` change (requests.ts declares it): replacement
 * tags (trimmed, empty ones dropped, duplicates kept once) and/or a note; a field left out stays.
 */
export type AnnotationChange = Omit<RequestOf<'runs:annotate'>, 'runId'>;

/** A comparison's runs and its baseline row (`<experimentId>:<methodIndex>`), as requests.ts declares. */
export type ComparisonRequest = RequestOf<'runs:compare'>;

export interface RunSummary {
  id: number;
  experimentId: number;
  experimentName: string;
  /** The paper testbed the run's experiment follows. */
  protocol: ProtocolId;
  method: string;
  methodName: string;
  label: string;
  datasetId: number | null;
  datasetName: string;
  seed: number;
  status: RunStatus;
  backend: string | null;
  device: string | null;
  /** The remote worker that ran it, e.g. "gpu-1 (NVIDIA H100)"; null for runs on this machine. */
  worker: string | null;
  params: ParamValues;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Wall time of the phases in milliseconds, e.g. { data: 120, train: 5400, eval: 300 }. */
  timings: Record<string, number>;
  error: string | null;
  metrics: Record<string, number>;
  tags: string[];
  note: string;
  archived: boolean;
}

/* ----------------------------------------------------------------------------------------------
 * Result tables (shaped like the papers' tables)
 * -------------------------------------------------------------------------------------------- */

export interface MetricColumn {
  /** Metric key, e.g. `R@100`. */
  key: string;
  /** Group header, e.g. `Retrieval` or `Ground truth`. */
  group: string;
  /** Whether larger is better (all DAMCAR metrics are); ignored when `target` is set. */
  higherIsBetter: boolean;
  /**
   * The ideal value when neither direction is better, e.g. 1 for calibration (predicted / observed
   * rate, UKDSL): the cell closest to it is best.
   */
  target?: number;
}

export interface ResultCell {
  mean: number;
  std: number;
  /** Number of seeds that produced the value. */
  n: number;
  /** 1 = best in the column (bold), 2 = second best (underlined), 0 = neither. */
  rank: 0 | 1 | 2;
}

export interface ResultRow {
  label: string;
  method: string;
  /**
   * The row's hyper-parameters with defaults filled, so views can tell which parameter a set of
   * rows sweeps (DAMCAR Figure 4) from what they share.
   */
  params: ParamValues;
  cells: Record<string, ResultCell | null>;
}

/**
 * Why a number of the table is not meaningful (app/result-warnings.ts), shown beside the row or
 * column it concerns.
 */
export interface ResultWarning {
  /** Index into `rows` of the row it concerns; absent when it concerns every row. */
  row?: number;
  /** Key of the column it concerns; absent when it concerns every column. */
  metric?: string;
  /** The run it was read from, when one run's curves are the cause. */
  runId?: number;
  message: string;
}

export interface ResultTable {
  experimentId: number;
  /** The paper testbed the experiment follows (its figures and captions differ). */
  protocol: ProtocolId;
  title: string;
  /** Says which corpus retrieval searched, the dataset and seeds, as a caption. */
  caption: string;
  columns: MetricColumn[];
  rows: ResultRow[];
  warnings: ResultWarning[];
}

/* ----------------------------------------------------------------------------------------------
 * App info and events
 * -------------------------------------------------------------------------------------------- */

export interface AppInfo {
  version: string;
  /** 'electron' or 'browser-host': which transport serves this window. */
  transport: 'electron' | 'browser-host';
  /** Backend the engine selected at start, e.g. `wasm`. */
  backend: string;
  /** Device or adapter name, e.g. `WebAssembly SIMD (1 thread)`. */
  device: string;
  /** Why earlier backends in the order were skipped (one line each). */
  backendNotes: string[];
  dataDir: string;
  databasePath: string;
}

/* ----------------------------------------------------------------------------------------------
 * Remote execution: runs queued on Redis, executed by `cascade-lab worker` processes
 * -------------------------------------------------------------------------------------------- */

/** Where new runs execute: in worker threads of this process, or on a queue's workers. */
export type RunTarget =
  | { kind: 'local' }
  /** `url` is the queue's Redis URL with its password redacted. */
  | { kind: 'queue'; url: string };

/** A worker connected to the queue, as it last announced itself (every few seconds). */
export interface QueueWorkerInfo {
  name: string;
  host: string;
  /** Its Cascade Lab version (it refuses runs queued by another). */
  version: string;
  backend: string;
  device: string;
  cores: number;
  /** Runs it executes at once, and how many it is executing now. */
  concurrency: number;
  active: number;
  /** 'ready', or why it takes no runs (its backend failed to start, another version). */
  status: string;
  startedAt: string;
  heartbeatAt: string;
}

export interface QueueStatus {
  runOn: RunTarget;
  /** The queue's live workers; empty when running locally. */
  workers: QueueWorkerInfo[];
  /** Runs of this store waiting or running on the queue. */
  queuedRuns: number;
  /** Why the queue could not be reached or used, or null. */
  error: string | null;
}

/** A job's progress as the engine reports it (core's JobEvent 'progress'). */
export interface JobStepProgress {
  /**
   * 'ranking' is the ranking model's training (before the method's own 'train'); its epoch, step
   * and loss fields then describe the ranking model.
   */
  phase: 'data' | 'ranking' | 'train' | 'eval' | 'done';
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number | null;
  samplesPerSecond: number | null;
  /** Overall fraction done in [0, 1]. */
  fraction: number;
}

/** A job's progress as the transports send it: the step's progress and whose run it is. */
export interface JobProgress extends JobStepProgress {
  runId: number;
  experimentId: number;
}

export interface LogLine {
  time: string;
  level: 'info' | 'warn' | 'error';
  runId: number | null;
  message: string;
}

export interface RunStatusEvent {
  runId: number;
  experimentId: number;
  status: RunStatus;
  error: string | null;
}

/* ----------------------------------------------------------------------------------------------
 * The channel map
 * -------------------------------------------------------------------------------------------- */

/**
 * What each channel answers. The channels and their requests are requests.ts's table; this map
 * must name exactly those channels (the check below fails to compile otherwise).
 */
export interface ApiResponses {
  'app:info': AppInfo;
  'methods:list': MethodDescriptor[];
  /** The papers' testbeds, each with its settings and methods. */
  'protocols:list': ProtocolDescriptor[];
  'datasets:list': DatasetSummary[];
  /** The first rows of a file on the main side's machine, for the import wizard. */
  'datasets:preview': FilePreview;
  /**
   * Starts an import in a worker thread; progress arrives as `dataset:import-progress`, the
   * outcome as `dataset:import-done`. Re-importing unchanged files with the same options is a no-op.
   */
  'datasets:import': { importId: string };
  'datasets:cancel-import': { cancelled: boolean };
  /** Profile and import report of a stored (imported) dataset. */
  'datasets:profile': DatasetDetails;
  /** Deletes an imported dataset's row and its processed files; its runs keep their metrics. */
  'datasets:delete': { deleted: boolean };
  'experiments:list': ExperimentSummary[];
  'experiments:get': ExperimentSummary;
  /** Default spec used by the editor's "New experiment" (the quickstart). */
  'experiments:template': ExperimentSpec;
  /** The reproducible specs shipped in experiments/ (quickstart, DAMCAR Tables 2-4, Figures 3-5). */
  'experiments:bundled': BundledSpec[];
  'experiments:create': ExperimentSummary;
  /** Queues one run per (method, seed) and starts them; returns the run ids. */
  'experiments:run': { runIds: number[] };
  'runs:list': RunSummary[];
  /** A run's stored training curves (each loss term per epoch, validation metrics), by series. */
  'runs:curves': CurveSeries[];
  /**
   * The histograms the experiment's runs stored, e.g. DAMCAR Figure 5: retrieval predictions on
   * target-domain samples, BC against DAMCAR.
   */
  'runs:histograms': RunHistogram[];
  'runs:cancel': { cancelled: number };
  'runs:annotate': RunSummary;
  'runs:archive': { changed: number };
  'runs:delete': { deleted: number };
  'experiments:annotate': ExperimentSummary;
  'experiments:archive': ExperimentSummary;
  'experiments:delete': { deletedRuns: number };
  'results:table': ResultTable;
  'runs:compare': ComparisonTable;
  'results:export': { filename: string; mimeType: string; content: string };
  /** Where new runs execute, the queue's workers and how many runs wait there. */
  'queue:status': QueueStatus;
  /** Switches where new runs execute (runs already queued keep their place). */
  'queue:connect': QueueStatus;
}

/** A spec file from the experiments/ folder, validated. */
export interface BundledSpec {
  /** File name, e.g. `table2-deepfm.json`. */
  file: string;
  /**
   * The spec with defaults filled but its grids kept as written, so the editor's grid search
   * shows them; creating the experiment expands them.
   */
  spec: ExperimentSpec;
  /** Method rows after grid expansion (e.g. 125 for Table 4's lambda grid). */
  rows: number;
  /** Runs the spec queues: rows x seeds. */
  runs: number;
}

export interface CurveSeries {
  /** e.g. `damcar/L_dom`, `train/bce`, `ranking/valid/auc`. */
  name: string;
  points: { step: number; value: number | null }[];
}

export interface RunHistogram {
  runId: number;
  /** Method id, e.g. `bc`, `damcar`. */
  method: string;
  /** The run's row label in the results table, e.g. `DAMCAR`. */
  label: string;
  seed: number;
  /** e.g. `target-domain predictions`. */
  name: string;
  /** counts.length + 1 bin edges. */
  edges: number[];
  counts: number[];
}

export type ResponseOf<C extends Channel> = ApiResponses[C];

/** Compiles only while ApiResponses names exactly the channels of requests.ts. */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : never;
export const RESPONSES_MATCH_CHANNELS: SameKeys<ApiResponses, Record<Channel, unknown>> = true;

export interface ApiEvents {
  'job:progress': JobProgress;
  'job:log': LogLine;
  'run:status': RunStatusEvent;
  'dataset:import-progress': ImportProgress;
  'dataset:import-done': ImportDone;
}

export type EventName = keyof ApiEvents;

/** Error shape every transport returns for a failed call. */
export interface ApiErrorPayload {
  message: string;
  /** The offending field for validation errors, e.g. `spec.methods[0].params.lr`. */
  field?: string;
}

/** What `window.api` (Electron preload) and the browser transport both implement. */
export interface CascadeApi {
  invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  /**
   * Saves text (exported tables, SVG) or bytes (PNG) to a file the user picks (Electron: save
   * dialog; browser: a download).
   */
  saveFile(filename: string, mimeType: string, content: string | Uint8Array): Promise<void>;
  /**
   * Lets the user pick files to import with the native open dialog. Resolves with the chosen
   * paths ([] when cancelled), or null where the transport has no dialog (the browser host:
   * there the user types paths on the host's machine).
   */
  pickFiles(options: PickFilesOptions): Promise<string[] | null>;
}

export interface PickFilesOptions {
  title: string;
  multiple: boolean;
  /** File type filters, e.g. [{ name: 'Logs', extensions: ['csv', 'txt'] }]. */
  filters?: { name: string; extensions: string[] }[];
}

export const EVENTS: readonly EventName[] = [
  'job:progress',
  'job:log',
  'run:status',
  'dataset:import-progress',
  'dataset:import-done',
] as const;
