import { expect, type Locator, type Page } from '@playwright/test';

/** The Workers view in the side bar: where runs execute and the queue's workers. */
export class WorkersViewPage {
  readonly root: Locator;
  readonly local: Locator;
  readonly queue: Locator;
  readonly queued: Locator;
  readonly items: Locator;
  readonly none: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('workers-view');
    this.local = page.getByTestId('workers-local');
    this.queue = page.getByTestId('workers-queue');
    this.queued = page.getByTestId('workers-queued');
    this.items = page.getByTestId('workers-item');
    this.none = page.getByTestId('workers-none');
  }

  async open(): Promise<void> {
    if (!(await this.root.isVisible())) await this.page.getByTestId('activity-workers').click();
    await expect(this.root).toBeVisible();
  }

  /** The card of the worker named `name`. */
  worker(name: string): Locator {
    return this.page.locator(`[data-testid="workers-item"][data-name="${name}"]`);
  }
}
