import { expect, type Locator, type Page } from '@playwright/test';
import type { ExportFormat } from '../../../src-main/contract/api';

/** The results tab: the paper-style table and its exports. */
export class ResultsPage {
  readonly root: Locator;
  readonly table: Locator;
  readonly rows: Locator;
  readonly caption: Locator;
  /** Every warning the view shows: the table's and columns' above the table, rows' under their row. */
  readonly warnings: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('results-view');
    this.table = page.getByTestId('results-table');
    this.rows = page.getByTestId('results-row');
    this.caption = page.getByTestId('results-caption');
    this.warnings = page.getByTestId('results-warning');
  }

  /** The warnings' texts as shown (the column named first where one is concerned), in view order. */
  async warningTexts(): Promise<string[]> {
    const texts = await this.warnings.locator('.message').allTextContents();
    return texts.map((text) => text.replace(/\s+/g, ' ').trim());
  }

  row(method: string): Locator {
    return this.page.locator(`[data-testid="results-row"][data-method="${method}"]`);
  }

  /**
   * Scrolls the table all the way right and returns how far the row's Method cell then sits from
   * the table's left edge (0 while the column stays pinned), and whether the table overflowed.
   */
  async methodCellOffsetScrolledRight(method: string): Promise<{ overflow: boolean; offset: number }> {
    const wrap = this.table.locator('xpath=..');
    const overflow = await wrap.evaluate((el) => {
      const scrolls = el.scrollWidth > el.clientWidth;
      el.scrollLeft = el.scrollWidth;
      return scrolls;
    });
    const [wrapBox, cellBox] = await Promise.all([
      wrap.boundingBox(),
      this.row(method).locator('th.method-col').boundingBox(),
    ]);
    if (!wrapBox || !cellBox) throw new Error(`The ${method} row's Method cell is not shown.`);
    return { overflow, offset: cellBox.x - wrapBox.x };
  }

  /** Metric header names, in table order. */
  async metricHeaders(): Promise<string[]> {
    const texts = await this.table.locator('th.metric').allTextContents();
    // Strip the direction marks: ↑, ↓, or →target (e.g. →1 for calibration).
    return texts.map((text) => text.replace(/[↑↓]|→-?[\d.]+$/g, '').trim());
  }

  /** Waits until every cell of the method's row shows a number. */
  async waitForNumbers(method: string, timeout: number): Promise<string[]> {
    const cells = this.row(method).locator('td');
    await expect(cells.first()).toHaveText(/^-?\d+\.\d+/, { timeout });
    const texts = (await cells.allTextContents()).map((text) => text.trim());
    for (const text of texts) expect(text).toMatch(/^-?\d+\.\d+( ± \d+\.\d+)?$/);
    return texts;
  }

  /** The chart section under the table (bars, sensitivity lines, Figure 5 histogram). */
  charts(): Locator {
    return this.page.getByTestId('result-charts');
  }

  exportButton(format: ExportFormat): Locator {
    return this.page.getByTestId(`export-${format}`);
  }
}

/**
 * Waits until the canvas inside `container` has drawn something: enough opaque pixels that more
 * than an empty frame was painted (Chart.js draws axes, bars and lines onto it).
 */
export async function expectCanvasDrawn(container: Locator, minPixels = 500): Promise<void> {
  const canvas = container.locator('canvas');
  await expect(canvas).toBeVisible();
  await expect
    .poll(
      () =>
        canvas.evaluate((element: HTMLCanvasElement) => {
          const context = element.getContext('2d');
          if (!context || element.width === 0 || element.height === 0) return 0;
          const { data } = context.getImageData(0, 0, element.width, element.height);
          let painted = 0;
          for (let k = 3; k < data.length; k += 4) if (data[k] > 0) painted += 1;
          return painted;
        }),
      { timeout: 10_000 },
    )
    .toBeGreaterThan(minPixels);
}
