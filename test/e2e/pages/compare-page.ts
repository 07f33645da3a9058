import { expect, type Locator, type Page } from '@playwright/test';

/** The comparison tab: runs of any experiments side by side, parameters, parallel coordinates. */
export class ComparePage {
  readonly root: Locator;
  readonly table: Locator;
  readonly rows: Locator;
  readonly caption: Locator;
  readonly baseline: Locator;
  readonly differencesOnly: Locator;
  readonly params: Locator;
  readonly parallelCoordinates: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('compare-view');
    this.table = page.getByTestId('compare-table');
    this.rows = page.getByTestId('compare-row');
    this.caption = page.getByTestId('compare-caption');
    this.baseline = page.getByTestId('compare-baseline');
    this.differencesOnly = page.getByTestId('compare-differences');
    this.params = page.getByTestId('compare-param');
    this.parallelCoordinates = page.getByTestId('parallel-coordinates');
  }

  /** The rows' keys (`<experimentId>:<methodIndex>`) in the order shown. */
  async rowKeys(): Promise<string[]> {
    return this.rows.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-key') ?? ''));
  }

  /** The p-value a row's cell carries against the baseline ('' when untested). */
  async pValue(rowKey: string, metric: string): Promise<string> {
    const cell = this.page.locator(
      `[data-testid="compare-row"][data-key="${rowKey}"] td[data-metric="${metric}"]`,
    );
    return (await cell.getAttribute('data-p')) ?? '';
  }

  async metricHeaders(): Promise<string[]> {
    const ids = await this.table
      .locator('[data-testid^="compare-sort-"]')
      .evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-testid') ?? ''));
    return ids.map((id) => id.replace('compare-sort-', ''));
  }

  async sortBy(metric: string): Promise<void> {
    await this.page.getByTestId(`compare-sort-${metric}`).click();
  }

  async paramKeys(): Promise<string[]> {
    return this.params.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-key') ?? ''));
  }

  async ready(rowCount: number): Promise<void> {
    await expect(this.root).toBeVisible();
    await expect(this.rows).toHaveCount(rowCount);
  }
}
