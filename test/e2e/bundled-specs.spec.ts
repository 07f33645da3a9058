import { expect, test } from './fixtures';
import { expectCanvasDrawn } from './pages/results-page';
import { WorkbenchPage } from './pages/workbench-page';

test('a bundled paper spec (Figure 3 ablation) opens from the palette and runs in the workbench', async ({
  workbench,
}) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();

  // The explorer lists the shipped specs with their size (Table 4's grid: 125 DAMCAR rows, one seed).
  await expect(page.getByTestId('explorer-spec-table4-grid.json')).toContainText('125 runs');
  await expect(page.getByTestId('explorer-spec-figure3-ablation.json')).toContainText('12 runs');

  const editor = await shell.openBundledSpec('DAMCAR Figure 3: ablation');
  await expect(editor.name).toHaveValue('DAMCAR Figure 3: ablation');
  // Four DAMCAR rows: the full method and its three ablations, labelled as in the paper.
  const labels = page.locator('[data-testid^="method-label-damcar-"]');
  await expect(labels).toHaveCount(4);
  await expect(labels.nth(1)).toHaveValue('w/o TDG');

  // Small data, one seed, one epoch: the point is that the paper's spec runs here as from the CLI.
  await editor.setSimulator('users', 200);
  await editor.setSimulator('items', 400);
  await editor.setEpochs(1);
  await editor.setEmbeddingDim(16);
  await page.getByTestId('seeds').fill('1');
  await expect(page.getByTestId('editor-run-count')).toContainText('4 runs');
  await editor.run();
  await expect(editor.error).toBeHidden();

  const results = shell.results();
  await expect(results.root).toBeVisible();
  await expect(results.rows).toHaveCount(4);
  // Every row fills in with numbers once its run ends.
  for (let row = 0; row < 4; row++) {
    await expect(results.rows.nth(row).locator('td').first()).toHaveText(/^-?\d+\.\d+/, { timeout: 200_000 });
  }
  await expect(results.table).toContainText('w/o MPL');
  // Tables 2-3's shape: both stages, both cut-offs.
  expect(await results.metricHeaders()).toEqual(
    expect.arrayContaining(['R@100', 'F@200', 'N@10', 'M@10', 'H@10', 'N@20', 'H@20']),
  );

  // Figure 3's bars (N/M/H@10 by default, one bar per row), Figure 5's target-domain histogram.
  const charts = results.charts();
  await expect(charts.getByTestId('chart-metric-N@10')).toHaveAttribute('aria-pressed', 'true');
  await expect(charts.getByTestId('comparison-chart')).toHaveAttribute('data-series', '4');
  await expectCanvasDrawn(charts.getByTestId('comparison-chart'));
  // The ablation rows differ in switches, not in one number: no sensitivity line.
  await expect(charts.getByTestId('sensitivity-chart')).toHaveCount(0);
  await charts.getByTestId('chart-metric-R@100').click();
  await expect(charts.getByTestId('chart-metric-R@100')).toHaveAttribute('aria-pressed', 'true');
  await expectCanvasDrawn(charts.getByTestId('comparison-chart'));
  await expect(charts.getByTestId('histogram-row')).toHaveCount(4);
  await expectCanvasDrawn(charts.getByTestId('prediction-histogram'));
  await charts.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('ablation-charts.png'), fullPage: true });

  // The run's stored loss terms: DAMCAR's L_ce, L_sup, L_dom, L_mpl, L_con and the ranking model's.
  await page.getByTestId('results-runs').locator('tbody tr').first().click();
  await expect(page.getByTestId('run-details')).toBeVisible();
  await expectCanvasDrawn(page.getByTestId('curve-damcar'));
  await expectCanvasDrawn(page.getByTestId('curve-ranking'));
  await page.getByTestId('run-curves').scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('run-curves.png') });
  expect(workbench.consoleErrors).toEqual([]);
});

test('the grid-search editor turns value lists into rows, and a one-parameter sweep draws a line', async ({
  workbench,
}) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();
  const editor = await shell.newExperiment();
  await editor.methodToggle('damcar').check();
  await editor.methodToggle('bc').uncheck();
  const grid = page.getByTestId('grid-damcar-0');
  await grid.locator('summary').click();
  // Adding lambda3 starts from Table 4's values; the list is then narrowed to two.
  await page.getByTestId('grid-add-damcar').selectOption('lambda3');
  await expect(page.getByTestId('grid-damcar-lambda3')).toHaveValue('0.1, 0.2, 0.3, 0.4, 0.5');
  await expect(page.getByTestId('grid-count-damcar')).toContainText('5 rows × 1 seed = 5 runs');
  await page.getByTestId('grid-damcar-lambda3').fill('0.1, 0.3');
  await page.getByTestId('grid-damcar-lambda3').blur();
  await expect(page.getByTestId('grid-count-damcar')).toContainText('2 rows × 1 seed = 2 runs');
  await expect(page.getByTestId('editor-run-count')).toContainText('2 runs');
  await editor.setSimulator('users', 200);
  await editor.setSimulator('items', 400);
  await editor.setEpochs(1);
  await editor.setEmbeddingDim(16);
  await editor.run();
  await expect(editor.error).toBeHidden();

  const results = shell.results();
  await expect(results.rows).toHaveCount(2);
  await expect(results.table).toContainText('DAMCAR (λ3=0.1)');
  await expect(results.table).toContainText('DAMCAR (λ3=0.3)');
  for (let row = 0; row < 2; row++) {
    await expect(results.rows.nth(row).locator('td').first()).toHaveText(/^-?\d+\.\d+/, { timeout: 200_000 });
  }
  // The rows differ only in lambda3: Figure 4's sensitivity line over its values.
  const sweep = results.charts().getByTestId('sensitivity-chart');
  await expect(sweep).toHaveAttribute('data-param', 'lambda3');
  await expectCanvasDrawn(sweep);
  await sweep.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('sensitivity-chart.png'), fullPage: true });
  expect(workbench.consoleErrors).toEqual([]);
});
