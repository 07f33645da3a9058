import { expect, type Locator, type Page } from '@playwright/test';
import { CommandPalettePage } from './command-palette-page';
import { DatasetViewPage } from './dataset-view-page';
import { ExperimentEditorPage } from './experiment-editor-page';
import { ImportWizardPage } from './import-wizard-page';
import { ResultsPage } from './results-page';

/** The workbench shell: activity bar, status bar, command palette, tabs and panel. */
export class WorkbenchPage {
  readonly statusBackend: Locator;
  readonly statusRuns: Locator;
  readonly log: Locator;
  /** The tab strip above the editor, its tabs, and the pane that shows the active one. */
  readonly tabStrip: Locator;
  readonly tabs: Locator;
  readonly editorContent: Locator;
  /** The bottom panel's slot and the sash above it. */
  readonly panel: Locator;
  readonly panelSash: Locator;

  constructor(readonly page: Page) {
    this.statusBackend = page.getByTestId('status-backend');
    this.statusRuns = page.getByTestId('status-runs');
    this.log = page.getByTestId('log');
    this.tabStrip = page.getByTestId('editor-tabs');
    this.tabs = this.tabStrip.getByRole('tab');
    this.editorContent = page.getByTestId('editor-content');
    this.panel = page.getByTestId('panel-slot');
    this.panelSash = page.getByTestId('panel-sash');
  }

  /** The theme the workbench shows now (<html data-theme>). */
  async shownTheme(): Promise<string | undefined> {
    return this.page.evaluate(() => document.documentElement.dataset.theme);
  }

  /** Chooses a colour theme in the settings view. */
  async chooseThemeInSettings(label: 'Follow the system' | 'Dark' | 'Light'): Promise<void> {
    await this.page.getByTestId('activity-settings').click();
    await this.page.getByTestId('settings-theme').selectOption({ label });
  }

  /** The tab whose title is `title`. */
  tab(title: string): Locator {
    return this.tabs.filter({ has: this.page.locator('.tab-title', { hasText: title }) });
  }

  async panelHeight(): Promise<number> {
    const box = await this.panel.boundingBox();
    if (!box) throw new Error('The panel is not shown.');
    return box.height;
  }

  /** Waits until the workbench has loaded what the main side reports (app:info). */
  async ready(): Promise<void> {
    await expect(this.page.getByTestId('workbench')).toBeVisible();
    await expect(this.statusBackend).toBeVisible();
  }

  async openPalette(): Promise<CommandPalettePage> {
    const palette = new CommandPalettePage(this.page);
    await palette.open();
    return palette;
  }

  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('Control+Shift+P');
    const palette = this.page.getByTestId('command-palette');
    await expect(palette).toBeVisible();
    await this.page.getByTestId('palette-input').fill(title);
    await expect(palette.getByRole('option').first()).toContainText(title);
    await this.page.keyboard.press('Enter');
    await expect(palette).toBeHidden();
  }

  async newExperiment(): Promise<ExperimentEditorPage> {
    await this.runCommand('New experiment');
    const editor = new ExperimentEditorPage(this.page);
    await expect(editor.root).toBeVisible();
    return editor;
  }

  /** Opens a spec shipped in experiments/ through its "Open spec: <name>" command. */
  async openBundledSpec(name: string): Promise<ExperimentEditorPage> {
    await this.runCommand(`Open spec: ${name}`);
    const editor = new ExperimentEditorPage(this.page);
    await expect(editor.root).toBeVisible();
    return editor;
  }

  results(): ResultsPage {
    return new ResultsPage(this.page);
  }

  async importWizard(): Promise<ImportWizardPage> {
    await this.runCommand('Import dataset');
    const wizard = new ImportWizardPage(this.page);
    await expect(wizard.root).toBeVisible();
    return wizard;
  }

  datasetView(): DatasetViewPage {
    return new DatasetViewPage(this.page);
  }

  /** The explorer row of a dataset (data-testid explorer-dataset-<id>). */
  explorerDataset(name: string): Locator {
    return this.page.locator('[data-testid^="explorer-dataset-"]').filter({ hasText: name });
  }
}
