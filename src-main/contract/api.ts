/**
 * The one API contract between the renderer and the main side.
 *
 * Plain types only: no runtime imports, so both the renderer and every transport (Electron IPC,
 * the browser host over HTTP + server-sent events) import this module. Channels are named
 * `domain:verb`. Payloads are validated on the main side (src-main/app/validate.ts).
 */
import type { ComparisonRequest, ComparisonTable } from './comparison';

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

export type ParamValue = number | string | boolean;
export type ParamValues = Record<string, ParamValue>;

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

/** Parameters of the built-in cascade simulator. */
export interface SimulatorParams {
  users: number;
  items: number;
  categories: number;
  /** Dimension of the latent preference space. */
  latentDim: number;
  /** Dimension of the dense "multimodal" item vector. */
  multimodalDim: number;
  /** Exposed items per user (the ranking policy's final list length times the sessions). */
  exposuresPerUser: number;
  /** Candidates the logging retrieval policy returns per request. */
  candidatesPerRequest: number;
  /** Items the logging ranking policy exposes per request. */
  exposedPerRequest: number;
  /**
   * Exposure bias strength in [0, 1]: 0 = the logging cascade exposes items uniformly at random,
   * 1 = it exposes what its (popularity-skewed, noisy) policies score highest.
   */
  exposureBias: number;
  seed: number;
}

export type DatasetSource =
  { kind: 'simulated'; params: Partial<SimulatorParams> } | { kind: 'stored'; datasetId: number };

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

export type ImportFormat = 'wechat' | 'tiktok' | 'csv';

/** Filters that reproduce the papers' subsets; applied after reading, before the time order. */
export interface ImportFilters {
  /** Keep users (items) with at least this many interactions, repeated until stable (k-core). */
  minUserInteractions?: number;
  minItemInteractions?: number;
  /** Inclusive time range in the source's time unit (WeChat: day 1-14; TikTok: creat_time). */
  timeFrom?: number;
  timeTo?: number;
  /** Keep a seeded random fraction of users, in (0, 1]. */
  userSampleFraction?: number;
  sampleSeed?: number;
}

/** Which columns of a generic log hold what (chosen after a preview). */
export interface ColumnMapping {
  user: string;
  item: string;
  label: string;
  timestamp?: string;
  /** e.g. watch time; without it the label is the random-walk edge weight. */
  weight?: string;
  userFeatures?: string[];
  itemFeatures?: string[];
  /** When set, label = (value >= labelThreshold); otherwise the label must be 0/1 or true/false. */
  labelThreshold?: number;
}

export interface DatasetImportRequest {
  format: ImportFormat;
  /**
   * Files on the machine that runs the main side. WeChat: user_action.csv, feed_info.csv and
   * optionally feed_embeddings.csv; TikTok: final_track2_train.txt and optionally the video, audio
   * and title feature files; csv: one log file. Roles are told apart by the well-known names.
   */
  paths: string[];
  /** Display name; defaults to the dataset's usual name (or the csv file's name). */
  name?: string;
  filters?: ImportFilters;
  /** Required for csv. */
  mapping?: ColumnMapping;
  /** WeChat: PCA dimension of the 512-d feed embeddings (0 keeps 512; default 64). */
  embeddingDim?: number;
}

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

export type RankingModelName = 'deepfm' | 'dcn' | 'none';

/**
 * The tfjs backends, fastest first: the one list of their names. `auto` tries them in this order
 * (core/tf/backend.ts); the CLI's options, spec validation and the editor's choices derive from it.
 */
export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';
/** What a spec or a `--backend` option may say: `auto`, then each backend. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

export function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}

export interface MethodRunSpec {
  /** Method id from the registry (`methods:list`). */
  id: string;
  /** Overrides of the declared defaults; missing keys take the defaults. */
  params?: ParamValues;
  /** Optional display label for the table row (defaults to the method's name). */
  label?: string;
  /**
   * This row's overrides of the experiment's protocol settings (ExperimentSpec.protocolParams),
   * e.g. one row per strength of KEEP's domain shift or CP2Rec's confounding.
   */
  protocolParams?: ParamValues;
  /**
   * This row's overrides of the simulated dataset's parameters (simulated datasets only), e.g.
   * one row per exposure bias: each row then trains and is evaluated on its own simulated world.
   */
  simulator?: Partial<SimulatorParams>;
  /**
   * Grid search: one row per combination of these values (e.g. DAMCAR Table 4's lambda1-3).
   * Validation expands it into plain rows labelled like `DAMCAR (λ1=0.5, λ2=0.2)`. A key
   * `protocolParams.<key>` sweeps a protocol setting for this row instead of a method parameter,
   * `simulator.<key>` a parameter of the simulated dataset (e.g. `simulator.exposureBias`).
   */
  grid?: Record<string, number[] | string[] | boolean[]>;
}

/** A grid key of this form sweeps a protocol setting for the row (MethodRunSpec.grid). */
export const PROTOCOL_GRID_PREFIX = 'protocolParams.';
/** A grid key of this form sweeps a parameter of the simulated dataset (MethodRunSpec.grid). */
export const SIMULATOR_GRID_PREFIX = 'simulator.';

export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Embedding dimension of the user and item feature embeddings (paper: 128). */
  embeddingDim: number;
}

export interface EvaluationSpec {
  /** Retrieval cut-offs K1 (paper: 100, 200). */
  retrievalK: number[];
  /** Search the whole corpus (default, as the paper says) or only items in the test split. */
  corpus: 'all' | 'test';
  /**
   * How interactions split into train / valid / test: each user's interactions 6:2:2 in time
   * order (DAMCAR; the default), or one global cut in time where the last day is the test set
   * (RRA). Validation fills the default.
   */
  split?: 'user-time' | 'global-time';
  /** Length of a day in the dataset's time unit for 'global-time' (seconds: 86400; WeChat's date_: 1). */
  dayLength?: number;
}

/** A reproducible experiment: JSON files in experiments/ and the workbench's editor share it. */
export interface ExperimentSpec {
  name: string;
  description?: string;
  /** The paper testbed the experiment follows; validation fills DEFAULT_PROTOCOL. */
  protocol?: ProtocolId;
  /** Settings declared by the protocol (ProtocolDescriptor.params); validation fills defaults. */
  protocolParams?: ParamValues;
  dataset: DatasetSource;
  retrieval: { model: 'dssm' };
  /**
   * The ranking stage of the cascade testbed (DAMCAR Tables 2-3: DeepFM or DCN). It is trained on
   * exposed data once per (dataset, seed), gives KD/TL/MUDA/DAMCAR their ranking scores, and
   * re-ranks each user's top-K1 retrieved items for N/M/H@K2. 'none' evaluates retrieval only.
   * Validation fills the default.
   */
  ranking?: { model: RankingModelName };
  methods: MethodRunSpec[];
  training: TrainingSpec;
  evaluation: EvaluationSpec;
  seeds: number[];
  backend: BackendChoice;
}

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

/** What `runs:annotate` and `experiments:annotate` change; a field left out stays as it is. */
export interface AnnotationChange {
  /** Replaces the tags: each trimmed, empty ones dropped, duplicates kept once. */
  tags?: string[];
  note?: string;
}

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

export type ExportFormat = 'csv' | 'markdown' | 'latex';

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

export interface ApiChannels {
  'app:info': { request: Record<string, never>; response: AppInfo };
  'methods:list': { request: Record<string, never>; response: MethodDescriptor[] };
  /** The papers' testbeds, each with its settings and methods. */
  'protocols:list': { request: Record<string, never>; response: ProtocolDescriptor[] };
  'datasets:list': { request: Record<string, never>; response: DatasetSummary[] };
  /** The first rows of a file on the main side's machine, for the import wizard. */
  'datasets:preview': { request: { path: string; format: ImportFormat }; response: FilePreview };
  /**
   * Starts an import in a worker thread; progress arrives as `dataset:import-progress`, the
   * outcome as `dataset:import-done`. Re-importing unchanged files with the same options is a no-op.
   */
  'datasets:import': { request: DatasetImportRequest; response: { importId: string } };
  'datasets:cancel-import': { request: { importId: string }; response: { cancelled: boolean } };
  /** Profile and import report of a stored (imported) dataset. */
  'datasets:profile': { request: { datasetId: number }; response: DatasetDetails };
  /** Deletes an imported dataset's row and its processed files; its runs keep their metrics. */
  'datasets:delete': { request: { datasetId: number }; response: { deleted: boolean } };
  'experiments:list': { request: Record<string, never>; response: ExperimentSummary[] };
  'experiments:get': { request: { experimentId: number }; response: ExperimentSummary };
  /** Default spec used by the editor's "New experiment" (the quickstart). */
  'experiments:template': { request: Record<string, never>; response: ExperimentSpec };
  /** The reproducible specs shipped in experiments/ (quickstart, DAMCAR Tables 2-4, Figures 3-5). */
  'experiments:bundled': { request: Record<string, never>; response: BundledSpec[] };
  'experiments:create': { request: { spec: ExperimentSpec }; response: ExperimentSummary };
  /** Queues one run per (method, seed) and starts them; returns the run ids. */
  'experiments:run': { request: { experimentId: number }; response: { runIds: number[] } };
  'runs:list': { request: { experimentId?: number }; response: RunSummary[] };
  /** A run's stored training curves (each loss term per epoch, validation metrics), by series. */
  'runs:curves': { request: { runId: number }; response: CurveSeries[] };
  /**
   * The histograms the experiment's runs stored, e.g. DAMCAR Figure 5: retrieval predictions on
   * target-domain samples, BC against DAMCAR.
   */
  'runs:histograms': { request: { experimentId: number }; response: RunHistogram[] };
  'runs:cancel': { request: { runId?: number; experimentId?: number }; response: { cancelled: number } };
  /** Replaces a run's tags and/or note (a field left out stays). */
  'runs:annotate': { request: { runId: number } & AnnotationChange; response: RunSummary };
  /** Hides runs from the default lists (archived: true) or brings them back; deletes nothing. */
  'runs:archive': { request: { runIds: number[]; archived: boolean }; response: { changed: number } };
  /** Deletes ended runs with their metrics and curves; refused while one is queued or running. */
  'runs:delete': { request: { runIds: number[] }; response: { deleted: number } };
  'experiments:annotate': {
    request: { experimentId: number } & AnnotationChange;
    response: ExperimentSummary;
  };
  'experiments:archive': {
    request: { experimentId: number; archived: boolean };
    response: ExperimentSummary;
  };
  /** Deletes an experiment and its runs (never a dataset); refused while a run is queued or running. */
  'experiments:delete': { request: { experimentId: number }; response: { deletedRuns: number } };
  'results:table': { request: { experimentId: number }; response: ResultTable };
  /**
   * Any runs side by side, from any experiments: rows per (experiment, method row), the parameters
   * that differ, and a paired t-test of each cell against the baseline row over shared seeds.
   */
  'runs:compare': { request: ComparisonRequest; response: ComparisonTable };
  'results:export': {
    request: { experimentId: number; format: ExportFormat };
    response: { filename: string; mimeType: string; content: string };
  };
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

export type Channel = keyof ApiChannels;
export type RequestOf<C extends Channel> = ApiChannels[C]['request'];
export type ResponseOf<C extends Channel> = ApiChannels[C]['response'];

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

/** Every channel once; a Record, so the compiler rejects a channel left out (transports route by it). */
const CHANNEL_SET: Record<Channel, true> = {
  'app:info': true,
  'methods:list': true,
  'protocols:list': true,
  'datasets:list': true,
  'datasets:preview': true,
  'datasets:import': true,
  'datasets:cancel-import': true,
  'datasets:profile': true,
  'datasets:delete': true,
  'experiments:list': true,
  'experiments:get': true,
  'experiments:template': true,
  'experiments:bundled': true,
  'experiments:create': true,
  'experiments:run': true,
  'runs:list': true,
  'runs:curves': true,
  'runs:histograms': true,
  'runs:cancel': true,
  'runs:annotate': true,
  'runs:archive': true,
  'runs:delete': true,
  'experiments:annotate': true,
  'experiments:archive': true,
  'experiments:delete': true,
  'results:table': true,
  'runs:compare': true,
  'results:export': true,
};

export const CHANNELS: readonly Channel[] = Object.keys(CHANNEL_SET) as Channel[];

export const EVENTS: readonly EventName[] = [
  'job:progress',
  'job:log',
  'run:status',
  'dataset:import-progress',
  'dataset:import-done',
] as const;
