import { expect, test } from './fixtures';
import { WorkbenchPage } from './pages/workbench-page';

test('quickstart: create, run, read the results table and export it as Markdown', async ({ workbench }) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();

  // The status bar names the backend the engine picked, as app:info reports it.
  await expect(shell.statusBackend).toContainText(/tensorflow|webgpu|wasm|cpu/);
  await expect(page.getByTestId('status-transport')).toContainText(
    workbench.mode === 'electron' ? 'Electron' : 'Browser host',
  );

  // New experiment from the command palette: the quickstart template fills the editor.
  const editor = await shell.newExperiment();
  await expect(editor.name).not.toHaveValue('');
  await expect(editor.methodToggle('bc')).toBeChecked();

  // Shrink the simulated dataset through the form so the run takes seconds.
  await editor.setSimulator('users', 300);
  await editor.setSimulator('items', 600);
  await editor.setEpochs(1);
  await editor.setEmbeddingDim(32);
  await editor.name.fill('E2E quickstart');

  await editor.run();
  await expect(editor.error).toBeHidden();

  // Run opens the results tab; the BC row fills in with numbers once the run ends.
  const results = shell.results();
  await expect(results.root).toBeVisible();
  const cells = await results.waitForNumbers('bc', 180_000);
  expect(cells.length).toBeGreaterThan(0);
  const headers = await results.metricHeaders();
  expect(headers.length).toBe(cells.length);
  await expect(results.caption).not.toBeEmpty();
  // One seed: the view says beside the table that its cells have no spread (the ranking model of
  // a one-epoch run may add its own warning, so only this one is asserted).
  await expect(results.warnings.first()).toBeVisible();
  expect(await results.warningTexts()).toContain(
    'One seed (1): each cell is a single run with no standard deviation, so differences between rows ' +
      'may be seed noise; run 2 or more seeds.',
  );

  // In a narrow window the wide table scrolls sideways under a Method column that stays put.
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 1024, height: 640 });
  const pinned = await results.methodCellOffsetScrolledRight('bc');
  expect(pinned.overflow).toBe(true);
  expect(Math.abs(pinned.offset)).toBeLessThanOrEqual(1.5);
  if (viewport) await page.setViewportSize(viewport);

  // The live log and the status bar saw the run.
  await expect(shell.log.locator('.line').first()).toBeVisible();
  await expect(shell.statusRuns).toHaveAttribute('title', /1 finished/);

  await page.screenshot({ path: test.info().outputPath('workbench-results.png') });

  // Export Markdown and read the saved file back.
  const saved = await workbench.captureSave(() => results.exportButton('markdown').click());
  expect(saved.filename).toMatch(/\.md$/);
  const rowLine = saved.content.split('\n').find((line) => /^\|\s*BC\b/.test(line));
  expect(rowLine, `no BC row in:\n${saved.content}`).toBeDefined();
  expect(saved.content).toContain(headers[0]);
  // The one-seed warning travels with the exported table.
  expect(saved.content).toMatch(/\n> Warning: One seed \(1\)/);

  // Strict CSP, no console errors.
  expect(workbench.consoleErrors).toEqual([]);
});

test('a spec the main side rejects shows the error and marks the offending field', async ({ workbench }) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();
  const editor = await shell.newExperiment();

  // A value the form itself rejects blocks Create and Run until it is fixed.
  await editor.setEpochs(0);
  await expect(page.getByTestId('editor-field-errors')).toContainText('Epochs: At least 1.');
  await expect(editor.createButton).toBeDisabled();
  await expect(editor.runButton).toBeDisabled();
  await editor.setEpochs(1);
  await expect(page.getByTestId('editor-field-errors')).toBeHidden();

  // Each value is within its own range; together they break the simulator's cross-field limit.
  await editor.setSimulator('items', 600);
  await editor.setSimulator('categories', 5000);
  await editor.createButton.click();

  await expect(editor.error).toContainText('spec.dataset.params.categories');
  await expect(editor.error).toContainText('must not exceed items');
  await expect(page.getByTestId('sim-categories')).toHaveClass(/invalid/);
  await expect(page.getByTestId('editor-experiment-id')).toHaveCount(0);

  // Fixing the field and creating again succeeds.
  await editor.setSimulator('categories', 20);
  await editor.createButton.click();
  await expect(page.getByTestId('editor-experiment-id')).toHaveText(/#\d+/);
  await expect(editor.error).toBeHidden();
  // Chromium logs the refused request itself; anything else would be a bug.
  const unexpected = workbench.consoleErrors.filter((text) => !/status of 400 \(Bad Request\)/.test(text));
  expect(unexpected).toEqual([]);
});
