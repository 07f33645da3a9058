import { expect, type Locator, type Page } from '@playwright/test';

/** The command palette (Ctrl+Shift+P): its query input and its ranked rows. */
export class CommandPalettePage {
  readonly root: Locator;
  readonly input: Locator;
  readonly options: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('command-palette');
    this.input = page.getByTestId('palette-input');
    this.options = this.root.getByRole('option');
  }

  async open(): Promise<void> {
    await this.page.keyboard.press('Control+Shift+P');
    await expect(this.root).toBeVisible();
  }

  async search(query: string): Promise<void> {
    await this.input.fill(query);
  }

  /** The title of the row at `index` (without its category and detail). */
  title(index: number): Locator {
    return this.options.nth(index).getByTestId('palette-item-title');
  }

  /** Every row's box, top to bottom, for checking that wrapped rows do not overlap. */
  async rowBoxes(): Promise<{ y: number; height: number }[]> {
    return this.options.evaluateAll((rows) =>
      rows.map((row) => {
        const box = row.getBoundingClientRect();
        return { y: box.top, height: box.height };
      }),
    );
  }
}
