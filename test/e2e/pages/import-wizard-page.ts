import { expect, type Locator, type Page } from '@playwright/test';
import type { ImportFormat } from '../../../src-main/contract/api';

/** The import wizard tab: format, file paths with previews, options, Import / Cancel. */
export class ImportWizardPage {
  readonly root: Locator;
  readonly name: Locator;
  readonly startButton: Locator;
  readonly cancelButton: Locator;
  readonly progress: Locator;
  readonly result: Locator;
  readonly error: Locator;
  readonly errorWhere: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('import-wizard');
    this.name = page.getByTestId('import-name');
    this.startButton = page.getByTestId('import-start');
    this.cancelButton = page.getByTestId('import-cancel');
    this.progress = page.getByTestId('import-progress');
    this.result = page.getByTestId('import-result');
    this.error = page.getByTestId('import-error');
    this.errorWhere = page.getByTestId('import-error-where');
  }

  async chooseFormat(format: ImportFormat): Promise<void> {
    const option = this.page.getByTestId(`import-format-${format}`);
    await option.click();
    await expect(option).toHaveAttribute('aria-checked', 'true');
  }

  /** Types a path on the host's machine into the input of a file role, e.g. `train`. */
  async setFile(role: string, path: string): Promise<void> {
    const input = this.page.getByTestId(`import-file-${role}`);
    await input.fill(path);
    await expect(input).toHaveValue(path);
  }

  /** Previews the file of a role and returns the preview table. */
  async preview(role: string): Promise<Locator> {
    await this.page.getByTestId(`import-preview-${role}`).click();
    const table = this.page.getByTestId(`import-preview-table-${role}`);
    await expect(table).toBeVisible();
    return table;
  }

  async setOption(
    key: 'minUser' | 'minItem' | 'timeFrom' | 'timeTo' | 'sample' | 'seed',
    value: string,
  ): Promise<void> {
    await this.page.getByTestId(`import-${key}`).fill(value);
  }

  async start(): Promise<void> {
    await this.startButton.click();
  }
}
