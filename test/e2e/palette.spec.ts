import { expect, test } from './fixtures';
import { WorkbenchPage } from './pages/workbench-page';

const FIGURE_5 = 'DAMCAR Figure 5: retrieval predictions on target-domain samples';

test('the palette ranks the spec named by the query first, and Enter opens it in an editor', async ({
  workbench,
}) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();
  const palette = await shell.openPalette();

  // The three Figure 4 specs have 15 runs each; their counts must not outrank the exact name.
  await palette.search('DAMCAR Figure 5');
  await expect(palette.title(0)).toHaveText(`Open spec: ${FIGURE_5}`);
  await expect(palette.options.first()).toHaveAttribute('aria-selected', 'true');
  await expect(palette.options.first().getByTestId('palette-item-detail')).toHaveText(/^\d+ runs?$/);

  // Long spec names wrap inside their row instead of spilling over the next one.
  await palette.search('CP2Rec');
  await expect(palette.options).toHaveCount(6);
  const boxes = await palette.rowBoxes();
  expect(boxes.some((box) => box.height > 30)).toBe(true);
  for (let row = 1; row < boxes.length; row++) {
    expect(boxes[row].y).toBeGreaterThanOrEqual(boxes[row - 1].y + boxes[row - 1].height - 0.5);
  }

  // "Open spec" opens the editor and runs nothing.
  await palette.search('DAMCAR Figure 5');
  await expect(palette.title(0)).toHaveText(`Open spec: ${FIGURE_5}`);
  await page.keyboard.press('Enter');
  await expect(palette.root).toBeHidden();
  await expect(page.getByTestId('experiment-editor')).toBeVisible();
  await expect(page.getByTestId('experiment-name')).toHaveValue(FIGURE_5);
  await expect(shell.statusRuns).toHaveAttribute('title', /^Runs: 0 running, 0 queued,/);
  expect(workbench.consoleErrors).toEqual([]);
});
