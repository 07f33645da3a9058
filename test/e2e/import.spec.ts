import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { ExperimentEditorPage } from './pages/experiment-editor-page';
import { WorkbenchPage } from './pages/workbench-page';

const FIXTURES = join(import.meta.dirname, '..', '..', 'src-main', 'core', 'node', 'importers', 'fixtures');
const TRAIN = join(FIXTURES, 'tiktok', 'final_track2_train.txt');

/** What the fixture holds, counted independently of the importer (finish = -1 rows have no label). */
function fixtureCounts(): { users: number; items: number; interactions: number } {
  const rows = readFileSync(TRAIN, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'))
    .filter((fields) => fields[6] !== '-1');
  return {
    users: new Set(rows.map((fields) => fields[0])).size,
    items: new Set(rows.map((fields) => fields[2])).size,
    interactions: rows.length,
  };
}

test('import the TikTok fixture through the wizard and open its dataset view', async ({ workbench }) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();

  // A bad file first: the error names the file, line and column, and nothing is stored.
  const wizard = await shell.importWizard();
  await wizard.chooseFormat('tiktok');
  const bad = join(FIXTURES, 'tiktok', 'non_numeric_id.txt');
  await wizard.setFile('train', bad);
  await wizard.start();
  await expect(wizard.errorWhere).toHaveText(`${bad}, line 4, column "item_id"`);
  await expect(wizard.error).toContainText('Nothing was stored');
  await expect(page.locator('[data-testid^="explorer-dataset-"]')).toHaveCount(0);

  // The real fixture: preview it (12 well-known columns), name it, import it.
  await wizard.setFile('train', TRAIN);
  const preview = await wizard.preview('train');
  await expect(preview.locator('th').first()).toHaveText('uid');
  await expect(preview.locator('th')).toHaveCount(12);
  await page.screenshot({ path: test.info().outputPath('import-wizard.png') });
  await wizard.name.fill('E2E TikTok');
  await wizard.start();

  // The dataset view opens by itself once the import is stored.
  const view = shell.datasetView();
  await view.loaded();
  await expect(view.name).toHaveText('E2E TikTok');
  const expected = fixtureCounts();
  await expect(view.users).toHaveText(String(expected.users));
  await expect(view.items).toHaveText(String(expected.items));
  await expect(view.interactions).toHaveText(String(expected.interactions));
  // No feature files: no modality column, rather than a TikTok-shaped "V, A, T" or a dash.
  await expect(view.modalities).toHaveCount(0);
  await expect(view.labelRate).toContainText('%');
  await expect(view.labelRate).toContainText('finished');
  await expect(view.labelMeaning).toHaveText(/^finish = 1: the user watched the video to its end/);
  await expect(view.timeRange).not.toBeEmpty();
  await expect(view.dropped).toContainText('label missing (finish = -1)');
  await expect(view.missing).toContainText('user_city');
  await expect(view.coverage).toContainText('author_id');
  await expect(view.perUserChart).toBeVisible();
  await expect(view.perItemChart).toBeVisible();
  await expect.poll(() => view.chartHasPixels(view.perUserChart)).toBe(true);
  await expect.poll(() => view.chartHasPixels(view.perItemChart)).toBe(true);
  await expect(shell.explorerDataset('E2E TikTok')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('dataset-view.png') });
  await view.report.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('dataset-report.png') });

  // The same file again is a no-op: the stored dataset opens, the wizard says it was already
  // stored, and there is still one dataset.
  await page.getByTestId('tab-import').click();
  await expect(wizard.result).toContainText('Imported E2E TikTok');
  await wizard.start();
  await view.loaded();
  await page.getByTestId('tab-import').click();
  await expect(wizard.result).toContainText('Already stored');
  await expect(page.locator('[data-testid^="explorer-dataset-"]')).toHaveCount(1);

  // Opening the dataset from the explorer shows the same view.
  await page.getByTestId('tab-import').click();
  await shell.explorerDataset('E2E TikTok').locator('button.main').click();
  await view.loaded();

  // An experiment on the imported dataset runs from the workbench: the dataset view starts the
  // editor on it, the results table fills in.
  await page.getByTestId('dataset-new-experiment').click();
  const editor = new ExperimentEditorPage(page);
  await expect(editor.root).toBeVisible();
  await expect(page.getByTestId('dataset-kind-stored')).toHaveAttribute('aria-checked', 'true');
  await editor.setEpochs(1);
  await editor.setEmbeddingDim(8);
  await editor.name.fill('E2E on imported TikTok');
  await editor.run();
  await expect(editor.error).toBeHidden();
  const results = shell.results();
  await expect(results.root).toBeVisible();
  await results.waitForNumbers('bc', 120_000);
  await expect(results.caption).toContainText('E2E TikTok');

  expect(workbench.consoleErrors).toEqual([]);
});
