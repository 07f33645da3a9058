/**
 * Finding and curating runs and experiments: tags and a note on a run, searching by words and
 * key:value terms, archiving (hidden, kept) and deleting with confirmation, for runs and experiments.
 */
import { expect, test } from './fixtures';
import { RunsViewPage } from './pages/runs-view-page';
import { WorkbenchPage } from './pages/workbench-page';

test('tag, note, search, archive and delete runs and experiments', async ({ workbench }) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });

  const editor = await shell.newExperiment();
  await editor.setSimulator('users', 300);
  await editor.setSimulator('items', 600);
  await editor.setEpochs(1);
  await editor.setEmbeddingDim(16);
  await editor.setRankingModel('none');
  await editor.setSeeds([1, 2]);
  await editor.name.fill('E2E find');
  await editor.run();
  await expect(shell.statusRuns).toHaveAttribute('title', /2 finished/, { timeout: 240_000 });

  const runs = new RunsViewPage(page);
  await runs.open();
  const [newer, older] = await runs.ids();

  // Tags and a note on the older run, from its details tab.
  await page.getByTestId(`runs-item-${older}`).locator('button.main').click();
  await page.getByTestId('run-notes-tags').fill('baseline, lr sweep, Baseline');
  await page.getByTestId('run-notes-note').fill('loss flat after epoch 1');
  await page.getByTestId('run-notes-save').click();
  await expect(page.getByTestId('run-notes-tags')).toHaveValue('baseline, lr sweep');
  await expect(page.getByTestId('run-notes-save')).toBeDisabled();
  await expect(runs.root.getByTestId('run-tag')).toHaveText(['baseline', 'lr sweep']);

  // Search: a tag, a word of the note, a testbed and status; a bad key says why.
  await runs.search.fill('tag:baseline');
  await expect.poll(() => runs.ids()).toEqual([older]);
  await runs.search.fill('flat testbed:damcar status:finished');
  await expect.poll(() => runs.ids()).toEqual([older]);
  await runs.search.fill('colour:red');
  await expect(runs.root.getByRole('alert')).toContainText('"colour:" is not a search key');
  await runs.search.fill('method:bc after:2020-01-01');
  await expect.poll(() => runs.ids()).toEqual([newer, older]);
  await runs.search.fill('');

  // Archive the newer run: hidden by default, listed with "Show archived" or is:archived.
  await runs.tick(newer);
  await runs.archive.click();
  await expect.poll(() => runs.ids()).toEqual([older]);
  await runs.showArchived.check();
  await expect.poll(() => runs.ids()).toEqual([newer, older]);
  await runs.showArchived.uncheck();
  await runs.search.fill('is:archived');
  await expect.poll(() => runs.ids()).toEqual([newer]);
  await runs.search.fill('');

  // Delete the older run after confirming: gone with its tab.
  // Archiving unticked the run it hid, so only the run ticked now is deleted.
  await expect(page.getByTestId('runs-selection')).toHaveCount(0);
  await runs.tick(older);
  await expect(page.getByTestId('runs-selection')).toContainText('1 run ticked');
  await runs.delete.click();
  await expect.poll(() => dialogs.at(-1)).toMatch(/^Delete 1 run with their metrics and curves\?/);
  await runs.showArchived.check();
  await expect.poll(() => runs.ids()).toEqual([newer]);
  await expect(page.getByTestId(`tab-run-${older}`)).toHaveCount(0);

  // The experiment's own tags and note, from its results tab; then searchable by tag.
  await page.getByTestId('activity-experiments').click();
  await page.locator('[data-testid^="experiment-card-"]').first().hover();
  await page.locator('[data-testid^="experiment-card-"] [aria-label="Results"]').first().click();
  await page.getByTestId('experiment-notes-tags').fill('paper table');
  await page.getByTestId('experiment-notes-note').fill('first pass');
  await page.getByTestId('experiment-notes-save').click();
  await expect(page.getByTestId('experiment-notes-save')).toBeDisabled();
  await page.getByTestId('experiments-search').fill('tag:paper');
  await expect(page.locator('[data-testid^="experiment-card-"]')).toHaveCount(1);

  // Experiments (the view is still open): search, archive, then delete with its remaining run.
  const search = page.getByTestId('experiments-search');
  await search.fill('find');
  const card = page.locator('[data-testid^="experiment-card-"]');
  await expect(card).toHaveCount(1);
  const experimentId = Number((await card.getAttribute('data-testid'))?.replace('experiment-card-', ''));
  await search.fill('tag:nothing');
  await expect(card).toHaveCount(0);
  await search.fill('');
  await card.hover();
  await page.getByTestId(`experiment-archive-${experimentId}`).click();
  await expect(card).toHaveCount(0);
  await page.getByTestId('experiments-show-archived').check();
  await expect(card).toHaveCount(1);
  await card.hover();
  await page.getByTestId(`experiment-delete-${experimentId}`).click();
  await expect.poll(() => dialogs.at(-1)).toMatch(/^Delete "E2E find" and its 1 run\?/);
  await expect(card).toHaveCount(0);
  await runs.open();
  await expect(runs.items).toHaveCount(0);
  expect(workbench.consoleErrors).toEqual([]);
});
