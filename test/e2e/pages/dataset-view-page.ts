import { expect, type Locator, type Page } from '@playwright/test';

/** A dataset's tab: the Table 1 statistics, the histograms, coverage and the import report. */
export class DatasetViewPage {
  readonly root: Locator;
  readonly name: Locator;
  readonly users: Locator;
  readonly items: Locator;
  readonly interactions: Locator;
  readonly modalities: Locator;
  readonly labelRate: Locator;
  /** What y = 1 means for this dataset, and its time range, in the source's own terms. */
  readonly labelMeaning: Locator;
  readonly timeRange: Locator;
  readonly perUserChart: Locator;
  readonly perItemChart: Locator;
  readonly coverage: Locator;
  readonly report: Locator;
  readonly dropped: Locator;
  readonly missing: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('dataset-view');
    this.name = page.getByTestId('dataset-name');
    this.users = page.getByTestId('dataset-users');
    this.items = page.getByTestId('dataset-items');
    this.interactions = page.getByTestId('dataset-interactions');
    this.modalities = page.getByTestId('dataset-modalities');
    this.labelRate = page.getByTestId('dataset-label-rate');
    this.labelMeaning = page.getByTestId('dataset-label-meaning');
    this.timeRange = page.getByTestId('dataset-time-range');
    this.perUserChart = page.getByTestId('chart-per-user');
    this.perItemChart = page.getByTestId('chart-per-item');
    this.coverage = page.getByTestId('dataset-coverage');
    this.report = page.getByTestId('dataset-report');
    this.dropped = page.getByTestId('dataset-dropped');
    this.missing = page.getByTestId('dataset-missing');
  }

  /** Waits until the profile has loaded (the Table 1 row shows numbers). */
  async loaded(): Promise<void> {
    await expect(this.root).toBeVisible();
    await expect(this.interactions).toHaveText(/^\d[\d,]*$/);
  }

  /** Whether a chart has drawn into its canvas (a blank canvas has no non-transparent pixel). */
  async chartHasPixels(chart: Locator): Promise<boolean> {
    return chart.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
      const context = canvas.getContext('2d');
      if (!context || canvas.width === 0 || canvas.height === 0) return false;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
      return false;
    });
  }
}
