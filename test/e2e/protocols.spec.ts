import { expect, test } from './fixtures';
import { WorkbenchPage } from './pages/workbench-page';

test("another paper's testbed: the editor offers its methods and settings, and a run fills its table", async ({
  workbench,
}) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await shell.ready();
  const editor = await shell.newExperiment();
  await expect(editor.methodToggle('bc')).toBeChecked();

  // UKDSL: only its methods remain, its own method is picked, and its settings get a form.
  await editor.setProtocol('ukdsl');
  await expect(page.getByTestId('protocol-summary')).not.toBeEmpty();
  await expect(editor.methodToggle('bc')).toHaveCount(0);
  await expect(editor.methodToggle('ukdsl')).toBeChecked();
  const toggles = await editor
    .methodCards()
    .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-testid')));
  expect(toggles.length).toBeGreaterThan(1);
  expect(toggles.every((id) => id?.startsWith('method-toggle-ukdsl'))).toBe(true);
  await expect(page.getByTestId('protocol-param-poolSize')).toBeVisible();
  await expect(page.getByTestId('ranking-model')).toHaveCount(0);
  // UKDSL reads no evaluation settings: the card is gone with the cascade's K, corpus and split.
  await expect(page.getByTestId('eval-split')).toHaveCount(0);
  await expect(page.getByTestId('eval-k')).toHaveCount(0);

  // A row's grid may sweep the testbed's settings as well as the method's parameters.
  const testbedOptions = page.getByTestId('grid-add-ukdsl').locator('option', { hasText: 'Testbed:' });
  expect(await testbedOptions.count()).toBeGreaterThan(0);

  // The section 3.2 simulation needs no training: a quick run with the paper's table columns.
  await editor.methodToggle('ukdsl').uncheck();
  await editor.methodToggle('ukdsl-sim').check();
  await editor.name.fill('E2E UKDSL simulation');
  await editor.run();
  await expect(editor.error).toBeHidden();
  const results = shell.results();
  const cells = await results.waitForNumbers('ukdsl-sim', 120_000);
  expect(cells.length).toBeGreaterThan(0);
  const headers = await results.metricHeaders();
  expect(headers.some((h) => h.includes('M1 on S1'))).toBe(true);
  expect(headers.some((h) => h.startsWith('R@'))).toBe(false);

  expect(workbench.consoleErrors).toEqual([]);
});
