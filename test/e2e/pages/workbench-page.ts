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

  constructor(readonly page: Page) {
    this.statusBackend = page.getByTestId('status-backend');
    this.statusRuns = page.getByTestId('status-runs');
    this.log = page.getByTestId('log');
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
