import { expect, type Locator, type Page } from '@playwright/test';

/** The Runs view in the side bar: search, status chips, ticks and what to do with ticked runs. */
export class RunsViewPage {
  readonly root: Locator;
  readonly search: Locator;
  readonly items: Locator;
  readonly showArchived: Locator;
  readonly compare: Locator;
  readonly archive: Locator;
  readonly delete: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('runs-view');
    this.search = page.getByTestId('runs-search');
    this.items = this.root.locator('[data-testid^="runs-item-"]');
    this.showArchived = page.getByTestId('runs-show-archived');
    this.compare = page.getByTestId('runs-compare');
    this.archive = page.getByTestId('runs-archive');
    this.delete = page.getByTestId('runs-delete');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('activity-runs').click();
    await expect(this.root).toBeVisible();
  }

  /** The run ids listed, newest first. */
  async ids(): Promise<number[]> {
    const testIds = await this.items.evaluateAll((items) =>
      items.map((item) => item.getAttribute('data-testid') ?? ''),
    );
    return testIds.map((id) => Number(id.replace('runs-item-', '')));
  }

  async tick(runId: number): Promise<void> {
    await this.page.getByTestId(`runs-pick-${runId}`).check();
  }
}
