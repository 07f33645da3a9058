/**
 * Comparing runs of two experiments: ticked in the Runs view, side by side with a paired t-test
 * against a chosen baseline, the parameters that differ, parallel coordinates, chart exports, and
 * screenshots of the view and the chart in both themes for review.
 */
import { expect, test } from './fixtures';
import { ComparePage } from './pages/compare-page';
import { WorkbenchPage } from './pages/workbench-page';

const SEEDS = [1, 2, 3];

test('runs of two experiments compare side by side with paired significance', async ({ workbench }) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();

  // Two small experiments that differ only in their learning rate, three seeds each.
  for (const rate of [0.01, 0.05]) {
    const editor = await shell.newExperiment();
    await editor.setSimulator('users', 300);
    await editor.setSimulator('items', 600);
    await editor.setEpochs(1);
    await editor.setEmbeddingDim(16);
    await editor.setLearningRate(rate);
    await editor.setRankingModel('none');
    await editor.setSeeds(SEEDS);
    await editor.name.fill(`E2E compare lr ${rate}`);
    await editor.run();
    await expect(editor.error).toBeHidden();
    await shell.results().waitForNumbers('bc', 240_000);
  }
  await expect(shell.statusRuns).toHaveAttribute('title', /6 finished/, { timeout: 240_000 });

  // Tick the six runs in the Runs view and compare them.
  await page.getByTestId('activity-runs').click();
  const picks = page.locator('[data-testid^="runs-pick-"]');
  await expect(picks).toHaveCount(6);
  for (const pick of await picks.all()) await pick.check();
  await page.getByTestId('runs-compare').click();
  const compare = new ComparePage(page);
  await compare.ready(2);

  // The first experiment's row is the baseline; the other is tested over the three shared seeds.
  const [first, second] = await compare.rowKeys();
  const metric = (await compare.metricHeaders())[0];
  expect(await compare.pValue(first, metric)).toBe('');
  const p = Number(await compare.pValue(second, metric));
  expect(p).toBeGreaterThanOrEqual(0);
  expect(p).toBeLessThanOrEqual(1);
  await expect(compare.caption).toContainText('two-sided paired t-test against "BC" (E2E compare lr 0.01)');
  await expect(compare.caption).toContainText('* marks p < 0.05');
  // Significance marks appear exactly on the cells below the level.
  const marked = await page
    .locator(`[data-testid="compare-row"][data-key="${second}"] [data-testid="compare-significant"]`)
    .count();
  const below = (
    await Promise.all((await compare.metricHeaders()).map((key) => compare.pValue(second, key)))
  ).filter((value) => value !== '' && Number(value) < 0.05).length;
  expect(marked).toBe(below);

  // Another baseline: the test runs the other way round.
  await compare.baseline.selectOption(second);
  await expect.poll(() => compare.pValue(second, metric)).toBe('');
  expect(Number(await compare.pValue(first, metric))).toBeCloseTo(p, 6);

  // Differences only: the learning rate, not the shared settings; all of them when unticked.
  await expect(compare.differencesOnly).toBeChecked();
  expect(await compare.paramKeys()).toEqual(['training.learningRate']);
  await compare.differencesOnly.uncheck();
  expect((await compare.paramKeys()).length).toBeGreaterThan(10);
  expect(await compare.paramKeys()).toContain('training.epochs');
  await compare.differencesOnly.check();

  // Sorting by a metric column orders the rows by their means (higher first, then lower first).
  await compare.sortBy(metric);
  const means = async (): Promise<number[]> =>
    (await page.locator(`[data-testid="compare-row"] td[data-metric="${metric}"]`).allTextContents()).map(
      (text) => Number.parseFloat(text),
    );
  const descending = await means();
  expect(descending).toEqual([...descending].sort((a, b) => b - a));
  await compare.sortBy(metric);
  const ascending = await means();
  expect(ascending).toEqual([...ascending].sort((a, b) => a - b));

  // Parallel coordinates over the learning rate and the metric, one line per row.
  await expect(compare.parallelCoordinates).toBeVisible();
  await expect(compare.parallelCoordinates).toHaveAttribute('data-lines', '2');
  await expect(compare.parallelCoordinates).toHaveAttribute('data-axes', '2');

  // Chart exports: a PNG and a standalone SVG.
  const exportButtons = page.getByTestId('parallel-coordinates-export');
  const png = await workbench.captureSave(() => exportButtons.getByRole('button', { name: 'PNG' }).click());
  expect(png.filename).toMatch(/\.png$/);
  expect(png.content.slice(1, 4)).toBe('PNG');
  const svg = await workbench.captureSave(() => exportButtons.getByRole('button', { name: 'SVG' }).click());
  expect(svg.filename).toMatch(/\.svg$/);
  expect(svg.content).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  expect(svg.content).toContain('<path');
  // Axis labels keep their font (svgcanvas reads it through a style the page's CSP must allow).
  expect(svg.content).toMatch(/<text [^>]*font-size="\d+px"/);

  // Screenshots of the comparison and the chart in both themes, for review.
  for (const themeLabel of ['Dark', 'Light'] as const) {
    await shell.runCommand(`Color theme: ${themeLabel}`);
    await expect.poll(() => shell.shownTheme()).toBe(themeLabel.toLowerCase());
    await shell.editorContent.evaluate((pane) => (pane.scrollTop = 0));
    await page.screenshot({ path: test.info().outputPath(`compare-view-${themeLabel.toLowerCase()}.png`) });
    await compare.parallelCoordinates.screenshot({
      path: test.info().outputPath(`parallel-coordinates-${themeLabel.toLowerCase()}.png`),
    });
  }
  expect(workbench.consoleErrors).toEqual([]);
});
