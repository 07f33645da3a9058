/** The command palette's commands (Ctrl/Cmd+Shift+P) and their keyboard shortcuts. */
import type { ExportFormat } from '../../../src-main/contract/api';
import { pluralize } from './format';
import { rankByMatch } from './palette-ranking';
import { isActive, workbench } from './workbench.svelte';

export interface Command {
  id: string;
  title: string;
  category: string;
  keybinding?: string;
  /** Shown after the title but not matched, e.g. a spec's `15 runs`. */
  detail?: string;
  /** Why the command cannot run now, or null when it can. */
  disabledReason: () => string | null;
  run: () => void | Promise<void>;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const modKey = isMac ? '⌘' : 'Ctrl';

function needExperiment(): string | null {
  return workbench.activeExperimentId === null ? 'Create an experiment first.' : null;
}

function exportCommand(format: ExportFormat, label: string): Command {
  return {
    id: `results.export.${format}`,
    title: `Export results as ${label}`,
    category: 'Results',
    disabledReason: needExperiment,
    run: () => {
      const id = workbench.activeExperimentId;
      if (id !== null) return workbench.exportResults(id, format);
    },
  };
}

export const commands: readonly Command[] = [
  {
    id: 'experiment.new',
    title: 'New experiment',
    category: 'Experiment',
    keybinding: `${modKey}+Alt+N`,
    disabledReason: () => null,
    run: () => workbench.newExperiment(),
  },
  {
    id: 'experiment.run',
    title: 'Run experiment',
    category: 'Experiment',
    keybinding: 'F5',
    disabledReason: () => (workbench.activeTab?.kind === 'editor' ? null : needExperiment()),
    run: () => {
      const tab = workbench.activeTab;
      if (tab?.kind === 'editor') return workbench.runFromEditor(tab.id);
      const id = workbench.activeExperimentId;
      if (id !== null) return workbench.runExperiment(id);
    },
  },
  {
    id: 'runs.cancel',
    title: 'Cancel runs',
    category: 'Runs',
    keybinding: 'Shift+F5',
    disabledReason: () =>
      workbench.runs.some((run) => isActive(run.status)) ? null : 'No run is queued or running.',
    run: () => {
      const id = workbench.activeExperimentId;
      const hasActive =
        id !== null && workbench.runs.some((run) => run.experimentId === id && isActive(run.status));
      return workbench.cancelRuns(hasActive ? id : null);
    },
  },
  {
    id: 'dataset.import',
    title: 'Import dataset',
    category: 'Dataset',
    disabledReason: () => null,
    run: () => workbench.openImportWizard(),
  },
  exportCommand('markdown', 'Markdown'),
  exportCommand('csv', 'CSV'),
  exportCommand('latex', 'LaTeX'),
  {
    id: 'results.open',
    title: 'Open results',
    category: 'Results',
    disabledReason: needExperiment,
    run: () => {
      const id = workbench.activeExperimentId;
      if (id !== null) workbench.openResults(id);
    },
  },
  {
    id: 'view.explorer',
    title: 'Show Explorer',
    category: 'View',
    keybinding: `${modKey}+Shift+E`,
    disabledReason: () => null,
    run: () => {
      workbench.view = 'explorer';
      workbench.sidebarOpen = true;
    },
  },
  {
    id: 'view.runs',
    title: 'Show Runs',
    category: 'View',
    disabledReason: () => null,
    run: () => {
      workbench.view = 'runs';
      workbench.sidebarOpen = true;
    },
  },
  {
    id: 'view.sidebar',
    title: 'Toggle side bar',
    category: 'View',
    keybinding: `${modKey}+B`,
    disabledReason: () => null,
    run: () => {
      workbench.sidebarOpen = !workbench.sidebarOpen;
    },
  },
  {
    id: 'view.panel',
    title: 'Toggle panel (log and progress)',
    category: 'View',
    keybinding: `${modKey}+J`,
    disabledReason: () => null,
    run: () => {
      workbench.panelOpen = !workbench.panelOpen;
    },
  },
  {
    id: 'view.welcome',
    title: 'Show welcome page',
    category: 'Help',
    disabledReason: () => null,
    run: () => workbench.showWelcome(),
  },
  {
    id: 'log.clear',
    title: 'Clear log',
    category: 'View',
    disabledReason: () => (workbench.logs.length > 0 ? null : 'The log is empty.'),
    run: () => workbench.clearLog(),
  },
  {
    id: 'lists.refresh',
    title: 'Refresh experiments and runs',
    category: 'View',
    disabledReason: () => null,
    run: () => workbench.refreshLists(),
  },
];

/** The fixed commands plus one "Open spec" command per bundled experiment spec. */
export function allCommands(): Command[] {
  return [
    ...commands,
    ...workbench.bundledSpecs.map((bundled): Command => ({
      id: `experiment.open-spec.${bundled.file}`,
      title: `Open spec: ${bundled.spec.name}`,
      detail: pluralize(bundled.runs, 'run'),
      category: 'Experiment',
      disabledReason: () => null,
      run: () => workbench.openBundledSpec(bundled.file),
    })),
  ];
}

/** Ranks commands for the palette (see palette-ranking.ts): exact, prefix, word-prefix, contains. */
export function filterCommands(query: string, list: readonly Command[] = allCommands()): Command[] {
  return rankByMatch(query, list, (command) => ({ label: command.title, category: command.category }));
}

/** Runs the command bound to a key press, if any; returns whether one ran. */
export function runKeybinding(event: KeyboardEvent): boolean {
  const mod = isMac ? event.metaKey : event.ctrlKey;
  const key = event.key.toLowerCase();
  let id: string | null = null;
  if (mod && event.shiftKey && key === 'p') {
    workbench.paletteOpen = !workbench.paletteOpen;
    return true;
  }
  if (event.key === 'F1') {
    workbench.paletteOpen = true;
    return true;
  }
  if (mod && event.altKey && key === 'n') id = 'experiment.new';
  else if (mod && event.shiftKey && key === 'e') id = 'view.explorer';
  else if (mod && !event.shiftKey && key === 'b') id = 'view.sidebar';
  else if (mod && !event.shiftKey && key === 'j') id = 'view.panel';
  else if (event.key === 'F5' && event.shiftKey) id = 'runs.cancel';
  else if (event.key === 'F5') id = 'experiment.run';
  if (id === null) return false;
  const command = commands.find((candidate) => candidate.id === id);
  if (!command || command.disabledReason() !== null) return false;
  void command.run();
  return true;
}
