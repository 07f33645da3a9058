/**
 * The workbench's state: what the main side told us (info, methods, datasets, experiments, runs,
 * live progress and log) and what the user has open (views, tabs, drafts). One instance, shared
 * by every component; all API traffic goes through `api`.
 */
import type {
  AnnotationChange,
  AppInfo,
  DatasetSource,
  DatasetSummary,
  ExperimentSpec,
  ExperimentSummary,
  ExportFormat,
  JobProgress,
  LogLine,
  MethodDescriptor,
  ProtocolDescriptor,
  RunStatus,
  RunStatusEvent,
  RunSummary,
  BundledSpec,
} from '../../../src-main/contract/api';
import { api } from './api';
import { describeError } from './errors';
import { pluralize } from './format';
import { fillMethodDefaults, specsEqual } from './spec';

export type ViewId = 'explorer' | 'experiments' | 'runs' | 'workers' | 'settings';

export type Tab =
  | { id: string; kind: 'welcome'; title: string }
  | { id: string; kind: 'editor'; title: string; experimentId: number | null }
  | { id: string; kind: 'results'; title: string; experimentId: number }
  | { id: string; kind: 'run'; title: string; runId: number }
  | { id: string; kind: 'dataset'; title: string; datasetId: number }
  | { id: string; kind: 'import'; title: string }
  | { id: string; kind: 'compare'; title: string; runIds: number[] };

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  message: string;
  field?: string;
}

export interface LossPoint {
  /** Fractional epoch (epoch - 1 + step / stepsPerEpoch), plus the epochs of earlier stages. */
  x: number;
  loss: number;
}

const MAX_LOG_LINES = 2000;
const MAX_LOSS_POINTS = 4000;
const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];

export function isActive(status: RunStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

class Workbench {
  /* What the main side reports. Lists are replaced wholesale, so they are raw (not deep) state. */
  info = $state<AppInfo | null>(null);
  loadError = $state<string | null>(null);
  ready = $state(false);
  methods = $state.raw<MethodDescriptor[]>([]);
  /** The papers' testbeds (DAMCAR cascade, RRA, KEEP, UKDSL, CP2Rec) with their settings. */
  protocols = $state.raw<ProtocolDescriptor[]>([]);
  /** Specs shipped in experiments/ (quickstart, DAMCAR Tables 2-4, Figures 3-4). */
  bundledSpecs = $state.raw<BundledSpec[]>([]);
  datasets = $state.raw<DatasetSummary[]>([]);
  experiments = $state.raw<ExperimentSummary[]>([]);
  runs = $state.raw<RunSummary[]>([]);
  logs = $state.raw<LogLine[]>([]);
  progress = $state.raw<Record<number, JobProgress>>({});
  /** Bumped when a run's loss history grows (the histories themselves are plain arrays). */
  lossVersion = $state(0);
  /** Bumped per experiment when one of its runs ends, so open result tables refetch. */
  resultsVersion = $state<Record<number, number>>({});

  /* What the user has open. */
  view = $state<ViewId>('explorer');
  sidebarOpen = $state(true);
  panelOpen = $state(true);
  paletteOpen = $state(false);
  tabs = $state<Tab[]>([{ id: 'welcome', kind: 'welcome', title: 'Welcome' }]);
  activeTabId = $state('welcome');
  /** Editor drafts by tab id (deep state: the forms bind straight into them). */
  drafts = $state<Record<string, ExperimentSpec>>({});
  /** The spec each editor tab's experiment was saved with, to tell whether the draft changed. */
  savedSpecs = $state.raw<Record<string, ExperimentSpec>>({});
  editorErrors = $state<Record<string, { message: string; field?: string } | null>>({});
  busy = $state<Record<string, boolean>>({});
  notices = $state<Notice[]>([]);
  selectedExperimentId = $state<number | null>(null);

  readonly lossHistory = new Map<number, LossPoint[]>();
  /** Per run, the epochs of its finished training stages (see onProgress). */
  private readonly lossOffsets = new Map<number, number>();
  private noticeCounter = 0;
  private tabCounter = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  activeTab = $derived(this.tabs.find((tab) => tab.id === this.activeTabId) ?? null);

  methodsById = $derived(new Map(this.methods.map((method) => [method.id, method])));

  runCounts = $derived.by(() => {
    const counts: Record<RunStatus, number> = { queued: 0, running: 0, finished: 0, failed: 0, cancelled: 0 };
    for (const run of this.runs) counts[run.status] += 1;
    return counts;
  });

  /** The experiment commands act on: the active tab's, else the one last picked, else the newest. */
  activeExperimentId = $derived.by((): number | null => {
    const tab = this.activeTab;
    if (tab?.kind === 'editor' && tab.experimentId !== null) return tab.experimentId;
    if (tab?.kind === 'results') return tab.experimentId;
    if (tab?.kind === 'run') return this.runs.find((run) => run.id === tab.runId)?.experimentId ?? null;
    if (this.selectedExperimentId !== null) return this.selectedExperimentId;
    return this.experiments.length > 0 ? Math.max(...this.experiments.map((e) => e.id)) : null;
  });

  async init(): Promise<void> {
    api.on('job:log', (line) => this.onLog(line));
    api.on('job:progress', (progress) => this.onProgress(progress));
    api.on('run:status', (event) => this.onRunStatus(event));
    try {
      const [info, methods, protocols, datasets, experiments, runs] = await Promise.all([
        api.invoke('app:info', {}),
        api.invoke('methods:list', {}),
        api.invoke('protocols:list', {}),
        api.invoke('datasets:list', {}),
        api.invoke('experiments:list', {}),
        api.invoke('runs:list', {}),
      ]);
      this.info = info;
      this.methods = methods;
      this.protocols = protocols;
      this.datasets = datasets;
      this.experiments = experiments;
      this.runs = runs;
      this.ready = true;
    } catch (error) {
      this.loadError = describeError(error).message;
    }
    try {
      this.bundledSpecs = await api.invoke('experiments:bundled', {});
    } catch (error) {
      this.notify('error', describeError(error).message);
    }
  }

  /** Opens an editor on a spec shipped in experiments/ (e.g. the paper's Table 2). */
  openBundledSpec(file: string): void {
    const bundled = this.bundledSpecs.find((entry) => entry.file === file);
    if (!bundled) return;
    const id = `editor-new-${++this.tabCounter}`;
    this.drafts[id] = fillMethodDefaults(structuredClone(bundled.spec), this.methods);
    this.openTab({ id, kind: 'editor', title: bundled.spec.name, experimentId: null });
  }

  /* ------------------------------------------------------------------------------------------
   * Events
   * ---------------------------------------------------------------------------------------- */

  private onLog(line: LogLine): void {
    const next =
      this.logs.length >= MAX_LOG_LINES ? this.logs.slice(-(MAX_LOG_LINES - 1)) : this.logs.slice();
    next.push(line);
    this.logs = next;
  }

  private onProgress(progress: JobProgress): void {
    this.progress = { ...this.progress, [progress.runId]: progress };
    if (progress.phase === 'train' && progress.loss !== null && Number.isFinite(progress.loss)) {
      const history = this.lossHistory.get(progress.runId) ?? [];
      const epochs =
        progress.epoch - 1 + (progress.stepsPerEpoch > 0 ? progress.step / progress.stepsPerEpoch : 0);
      // A method that trains in stages (DAMCAR: label generator, then hybrid training) restarts
      // its epoch count: later stages continue after the earlier ones instead of drawing over them.
      let offset = this.lossOffsets.get(progress.runId) ?? 0;
      const last = history.at(-1);
      if (last && offset + epochs < last.x) {
        offset = last.x;
        this.lossOffsets.set(progress.runId, offset);
      }
      history.push({ x: offset + epochs, loss: progress.loss });
      // Halve the resolution instead of growing without bound on very long runs.
      this.lossHistory.set(
        progress.runId,
        history.length > MAX_LOSS_POINTS ? history.filter((_, i) => i % 2 === 0) : history,
      );
      this.lossVersion += 1;
    }
    const run = this.runs.find((candidate) => candidate.id === progress.runId);
    if (!run) this.scheduleRefresh();
  }

  private onRunStatus(event: RunStatusEvent): void {
    this.runs = this.runs.map((run) =>
      run.id === event.runId ? { ...run, status: event.status, error: event.error } : run,
    );
    if (!isActive(event.status)) {
      const { [event.runId]: _ended, ...rest } = this.progress;
      this.progress = rest;
      this.resultsVersion[event.experimentId] = (this.resultsVersion[event.experimentId] ?? 0) + 1;
      if (event.status === 'failed' && event.error)
        this.notify('error', `Run #${event.runId} failed: ${event.error}`);
    }
    this.scheduleRefresh();
  }

  /** Reloads the lists soon, once for a burst of events. */
  scheduleRefresh(): void {
    if (this.refreshTimer !== null) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshLists();
    }, 250);
  }

  async refreshLists(): Promise<void> {
    try {
      const [datasets, experiments, runs] = await Promise.all([
        api.invoke('datasets:list', {}),
        api.invoke('experiments:list', {}),
        api.invoke('runs:list', {}),
      ]);
      this.datasets = datasets;
      this.experiments = experiments;
      this.runs = runs;
    } catch (error) {
      this.notify('error', describeError(error).message);
    }
  }

  /* ------------------------------------------------------------------------------------------
   * Notices
   * ---------------------------------------------------------------------------------------- */

  notify(kind: Notice['kind'], message: string, field?: string): void {
    const id = ++this.noticeCounter;
    this.notices = [...this.notices.slice(-4), { id, kind, message, ...(field ? { field } : {}) }];
    setTimeout(() => this.dismiss(id), kind === 'error' ? 10_000 : 4_000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((notice) => notice.id !== id);
  }

  /* ------------------------------------------------------------------------------------------
   * Tabs
   * ---------------------------------------------------------------------------------------- */

  private openTab(tab: Tab): void {
    if (!this.tabs.some((existing) => existing.id === tab.id)) this.tabs.push(tab);
    this.activeTabId = tab.id;
  }

  activate(tabId: string): void {
    this.activeTabId = tabId;
    const tab = this.activeTab;
    if (tab && (tab.kind === 'results' || (tab.kind === 'editor' && tab.experimentId !== null))) {
      this.selectedExperimentId = tab.experimentId;
    }
  }

  closeTab(tabId: string): void {
    const index = this.tabs.findIndex((tab) => tab.id === tabId);
    if (index < 0) return;
    this.tabs.splice(index, 1);
    delete this.drafts[tabId];
    delete this.editorErrors[tabId];
    const { [tabId]: _closed, ...savedRest } = this.savedSpecs;
    this.savedSpecs = savedRest;
    if (this.activeTabId === tabId) {
      const next = this.tabs[Math.min(index, this.tabs.length - 1)];
      this.activeTabId = next ? next.id : '';
    }
  }

  showWelcome(): void {
    this.openTab({ id: 'welcome', kind: 'welcome', title: 'Welcome' });
  }

  /** Opens an editor on the quickstart template (optionally on a given dataset). */
  async newExperiment(dataset?: DatasetSource): Promise<void> {
    try {
      const template = await api.invoke('experiments:template', {});
      const spec = fillMethodDefaults(dataset ? { ...template, dataset } : template, this.methods);
      const id = `editor-new-${++this.tabCounter}`;
      this.drafts[id] = spec;
      this.openTab({ id, kind: 'editor', title: 'New experiment', experimentId: null });
    } catch (error) {
      this.notify('error', describeError(error).message);
    }
  }

  async openExperiment(experimentId: number): Promise<void> {
    this.selectedExperimentId = experimentId;
    const id = `editor-${experimentId}`;
    if (this.tabs.some((tab) => tab.id === id)) {
      this.activeTabId = id;
      return;
    }
    try {
      const summary = await api.invoke('experiments:get', { experimentId });
      this.drafts[id] = fillMethodDefaults(structuredClone(summary.spec), this.methods);
      this.savedSpecs = { ...this.savedSpecs, [id]: $state.snapshot(this.drafts[id]) };
      this.openTab({ id, kind: 'editor', title: summary.name, experimentId });
    } catch (error) {
      this.notify('error', describeError(error).message);
    }
  }

  openResults(experimentId: number): void {
    this.selectedExperimentId = experimentId;
    const name =
      this.experiments.find((experiment) => experiment.id === experimentId)?.name ?? `#${experimentId}`;
    this.openTab({ id: `results-${experimentId}`, kind: 'results', title: `Results: ${name}`, experimentId });
  }

  openDataset(datasetId: number): void {
    const dataset = this.datasets.find((candidate) => candidate.id === datasetId);
    const title = dataset ? dataset.name : `Dataset #${datasetId}`;
    this.openTab({ id: `dataset-${datasetId}`, kind: 'dataset', title, datasetId });
  }

  /** The dataset import wizard (one tab; it keeps its form while open). */
  openImportWizard(): void {
    this.openTab({ id: 'import', kind: 'import', title: 'Import dataset' });
  }

  /** Runs ticked in the Runs view for a comparison. */
  selectedRunIds = $state<number[]>([]);

  toggleRunSelection(runId: number): void {
    this.selectedRunIds = this.selectedRunIds.includes(runId)
      ? this.selectedRunIds.filter((id) => id !== runId)
      : [...this.selectedRunIds, runId];
  }

  /** Opens (or re-aims) the one comparison tab on these runs, from any experiments. */
  openComparison(runIds: readonly number[]): void {
    const ids = [...new Set(runIds)].sort((a, b) => a - b);
    const existing = this.tabs.find((tab) => tab.kind === 'compare');
    if (existing && existing.kind === 'compare') {
      existing.runIds = ids;
      this.activeTabId = existing.id;
      return;
    }
    this.openTab({ id: 'compare', kind: 'compare', title: 'Compare runs', runIds: ids });
  }

  openRun(runId: number): void {
    const run = this.runs.find((candidate) => candidate.id === runId);
    const title = run ? `Run #${runId} ${run.label}` : `Run #${runId}`;
    this.openTab({ id: `run-${runId}`, kind: 'run', title, runId });
  }

  /* ------------------------------------------------------------------------------------------
   * Experiments and runs
   * ---------------------------------------------------------------------------------------- */

  isDirty(tabId: string): boolean {
    const saved = this.savedSpecs[tabId];
    return !saved || !specsEqual(saved, $state.snapshot(this.drafts[tabId]) as ExperimentSpec);
  }

  /** Creates an experiment from the editor's draft; the tab then shows that experiment. */
  async createFromEditor(tabId: string): Promise<ExperimentSummary | null> {
    const draft = this.drafts[tabId];
    if (!draft) return null;
    this.busy[tabId] = true;
    this.editorErrors[tabId] = null;
    try {
      const spec = $state.snapshot(draft) as ExperimentSpec;
      const summary = await api.invoke('experiments:create', { spec });
      const tab = this.tabs.find((candidate) => candidate.id === tabId);
      if (tab && tab.kind === 'editor') {
        tab.experimentId = summary.id;
        tab.title = summary.name;
      }
      this.savedSpecs = { ...this.savedSpecs, [tabId]: spec };
      this.selectedExperimentId = summary.id;
      this.experiments = [...this.experiments.filter((e) => e.id !== summary.id), summary];
      this.notify('info', `Created experiment #${summary.id} "${summary.name}".`);
      return summary;
    } catch (error) {
      const described = describeError(error);
      this.editorErrors[tabId] = described;
      this.notify('error', described.field ? `${described.field}: ${described.message}` : described.message);
      return null;
    } finally {
      this.busy[tabId] = false;
    }
  }

  /** Runs the editor's experiment, creating it first when the draft is new or changed. */
  async runFromEditor(tabId: string): Promise<void> {
    const tab = this.tabs.find((candidate) => candidate.id === tabId);
    if (!tab || tab.kind !== 'editor') return;
    let experimentId = tab.experimentId;
    if (experimentId === null || this.isDirty(tabId)) {
      const summary = await this.createFromEditor(tabId);
      if (!summary) return;
      experimentId = summary.id;
    }
    await this.runExperiment(experimentId);
  }

  async runExperiment(experimentId: number): Promise<void> {
    try {
      const { runIds } = await api.invoke('experiments:run', { experimentId });
      this.notify('info', `Queued ${pluralize(runIds.length, 'run')} of experiment #${experimentId}.`);
      this.panelOpen = true;
      await this.refreshLists();
      this.openResults(experimentId);
    } catch (error) {
      this.notify('error', describeError(error).message);
    }
  }

  /** Cancels the queued and running runs of one experiment, or of every experiment. */
  async cancelRuns(experimentId: number | null): Promise<void> {
    const experimentIds =
      experimentId !== null
        ? [experimentId]
        : [...new Set(this.runs.filter((run) => isActive(run.status)).map((run) => run.experimentId))];
    try {
      let cancelled = 0;
      for (const id of experimentIds)
        cancelled += (await api.invoke('runs:cancel', { experimentId: id })).cancelled;
      this.notify('info', cancelled > 0 ? `Cancelled ${pluralize(cancelled, 'run')}.` : 'No runs to cancel.');
      this.scheduleRefresh();
    } catch (error) {
      this.notify('error', describeError(error).message);
    }
  }

  /* ------------------------------------------------------------------------------------------
   * Tags, notes, archiving and deleting
   * ---------------------------------------------------------------------------------------- */

  /** Runs `change` and refreshes the lists; a failure becomes a notice. Returns whether it worked. */
  private async curate(change: () => Promise<unknown>, done?: string): Promise<boolean> {
    try {
      await change();
      await this.refreshLists();
      if (done) this.notify('info', done);
      return true;
    } catch (error) {
      this.notify('error', describeError(error).message);
      return false;
    }
  }

  annotateRun(runId: number, change: AnnotationChange): Promise<boolean> {
    return this.curate(() => api.invoke('runs:annotate', { runId, ...change }));
  }

  annotateExperiment(experimentId: number, change: AnnotationChange): Promise<boolean> {
    return this.curate(() => api.invoke('experiments:annotate', { experimentId, ...change }));
  }

  /** Archiving also unticks the runs: a tick on a run the list no longer shows would be a trap. */
  async archiveRuns(runIds: readonly number[], archived: boolean): Promise<boolean> {
    const what = pluralize(runIds.length, 'run');
    const done = await this.curate(
      () => api.invoke('runs:archive', { runIds: [...runIds], archived }),
      archived ? `Archived ${what}: hidden unless "Show archived" is on.` : `Restored ${what}.`,
    );
    if (done && archived) this.selectedRunIds = this.selectedRunIds.filter((id) => !runIds.includes(id));
    return done;
  }

  archiveExperiment(experimentId: number, archived: boolean): Promise<boolean> {
    return this.curate(
      () => api.invoke('experiments:archive', { experimentId, archived }),
      archived ? 'Archived the experiment: hidden unless "Show archived" is on.' : 'Restored the experiment.',
    );
  }

  /** Deletes ended runs after the user confirms; their tabs close. */
  async deleteRuns(runIds: readonly number[]): Promise<boolean> {
    const what = pluralize(runIds.length, 'run');
    if (!confirm(`Delete ${what} with their metrics and curves? This cannot be undone. Datasets are kept.`)) {
      return false;
    }
    const deleted = await this.curate(
      () => api.invoke('runs:delete', { runIds: [...runIds] }),
      `Deleted ${what}.`,
    );
    if (deleted) {
      for (const runId of runIds) this.closeTab(`run-${runId}`);
      this.selectedRunIds = this.selectedRunIds.filter((id) => !runIds.includes(id));
    }
    return deleted;
  }

  /** Deletes an experiment and its runs after the user confirms; its tabs close. */
  async deleteExperiment(experimentId: number): Promise<boolean> {
    const experiment = this.experiments.find((candidate) => candidate.id === experimentId);
    const runs = this.runs.filter((run) => run.experimentId === experimentId).length;
    const name = experiment ? `"${experiment.name}"` : `experiment #${experimentId}`;
    if (
      !confirm(`Delete ${name} and its ${pluralize(runs, 'run')}? This cannot be undone. Datasets are kept.`)
    ) {
      return false;
    }
    const deleted = await this.curate(
      () => api.invoke('experiments:delete', { experimentId }),
      `Deleted ${name} and its ${pluralize(runs, 'run')}.`,
    );
    if (deleted) {
      this.closeTab(`editor-${experimentId}`);
      this.closeTab(`results-${experimentId}`);
    }
    return deleted;
  }

  async cancelRun(runId: number): Promise<void> {
    try {
      await api.invoke('runs:cancel', { runId });
      this.scheduleRefresh();
    } catch (error) {
      this.notify('error', describeError(error).message);
    }
  }

  async exportResults(experimentId: number, format: ExportFormat): Promise<void> {
    try {
      const file = await api.invoke('results:export', { experimentId, format });
      await api.saveFile(file.filename, file.mimeType, file.content);
      this.notify('info', `Exported ${file.filename}.`);
    } catch (error) {
      this.notify('error', describeError(error).message);
    }
  }

  clearLog(): void {
    this.logs = [];
  }
}

export const workbench = new Workbench();
