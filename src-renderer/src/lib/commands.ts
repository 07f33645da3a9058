/** The command palette's commands (Ctrl/Cmd+Shift+P) and their keyboard shortcuts. */
import type { ExportFormat } from '../../../src-main/contract/api';
import { pluralize } from './format';
import { matchesKeybinding, type Keybinding } from './keybindings';
import { rankByMatch } from './palette-ranking';
import { THEME_LABELS, THEME_PREFERENCES, theme } from './theme.svelte';
import { isActive, workbench } from './workbench.svelte';

export interface Command {
  id: string;
  title: string;
  category: string;
  /** Key presses that run it; the first is the one shown. */
  keybindings?: readonly Keybinding[];
  /** Shown after the title but not matched, e.g. a spec's `15 runs`. */
  detail?: string;
  /** Why the command cannot run now, or null when it can. */
  disabledReason: () => string | null;
  run: () => void | Promise<void>;
}

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

/** Opens the command palette; the welcome page names it. */
export const PALETTE_KEYBINDING: Keybinding = { key: 'p', mod: true, shift: true };

function themeCommand(preference: (typeof THEME_PREFERENCES)[number]): Command {
  return {
    id: `theme.${preference}`,
    title: `Color theme: ${THEME_LABELS[preference]}`,
    category: 'Preferences',
    disabledReason: () => (theme.preference === preference ? 'This is the theme now.' : null),
    run: () => theme.set(preference),
  };
}

export const commands: readonly Command[] = [
  {
    id: 'view.palette',
    title: 'Show all commands',
    category: 'View',
    keybindings: [PALETTE_KEYBINDING, { key: 'F1' }],
    disabledReason: () => null,
    run: () => {
      workbench.paletteOpen = !workbench.paletteOpen;
    },
  },
  {
    id: 'experiment.new',
    title: 'New experiment',
    category: 'Experiment',
    keybindings: [{ key: 'n', mod: true, alt: true }],
    disabledReason: () => null,
    run: () => workbench.newExperiment(),
  },
  {
    id: 'experiment.run',
    title: 'Run experiment',
    category: 'Experiment',
    keybindings: [{ key: 'F5' }],
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
    keybindings: [{ key: 'F5', shift: true }],
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
    keybindings: [{ key: 'e', mod: true, shift: true }],
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
    id: 'view.workers',
    title: 'Show Workers',
    category: 'View',
    disabledReason: () => null,
    run: () => {
      workbench.view = 'workers';
      workbench.sidebarOpen = true;
    },
  },
  {
    id: 'view.sidebar',
    title: 'Toggle side bar',
    category: 'View',
    keybindings: [{ key: 'b', mod: true }],
    disabledReason: () => null,
    run: () => {
      workbench.sidebarOpen = !workbench.sidebarOpen;
    },
  },
  {
    id: 'view.panel',
    title: 'Toggle panel (log and progress)',
    category: 'View',
    keybindings: [{ key: 'j', mod: true }],
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
  ...THEME_PREFERENCES.map(themeCommand),
  {
    id: 'runs.compare',
    title: 'Compare selected runs',
    category: 'Runs',
    disabledReason: () => (workbench.selectedRunIds.length > 0 ? null : 'Tick runs in the Runs view first.'),
    run: () => workbench.openComparison(workbench.selectedRunIds),
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

/** Runs the command bound to a key press, if any and enabled; returns whether one ran. */
export function runKeybinding(event: KeyboardEvent): boolean {
  const command = commands.find((candidate) =>
    (candidate.keybindings ?? []).some((binding) => matchesKeybinding(binding, event)),
  );
  if (!command || command.disabledReason() !== null) return false;
  void command.run();
  return true;
}
