import { expect, test } from './fixtures';
import { WorkbenchPage } from './pages/workbench-page';

test('a bundled paper spec (Figure 3 ablation) opens from the palette and runs in the workbench', async ({
  workbench,
}) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();

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

  // Figure 3's bars, Figure 5's histogram of target-domain predictions, and each loss term's curve.
  const charts = page.getByTestId('result-charts');
  await expect(charts.getByTestId('comparison-chart').locator('canvas')).toBeVisible();
  await expect(charts.getByTestId('prediction-histogram').locator('canvas')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('ablation-charts.png'), fullPage: true });
  await page.getByTestId('results-runs').locator('tbody tr').first().click();
  await expect(page.getByTestId('curve-damcar').locator('canvas')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('run-curves.png') });
  expect(workbench.consoleErrors).toEqual([]);
});

test('the grid-search editor turns value lists into one results row per combination', async ({
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
  await page.getByTestId('grid-damcar-lambda3').fill('0.1, 0.3');
  await page.getByTestId('grid-damcar-lambda3').blur();
  await expect(grid.locator('summary')).toContainText('2 rows');
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
});
