/**
 * The workbench's layout as a user drives it: colour themes (chosen or following the system, the
 * charts' colours included via the same choice), tabs that keep their own scroll position and
 * bring the active one into view, and a bottom panel that resizes and hides from mouse and keyboard.
 */
import { expect, test } from './fixtures';
import { WorkbenchPage } from './pages/workbench-page';

const SPECS = [
  'DAMCAR Figure 5: retrieval predictions on target-domain samples',
  'DAMCAR Figure 3: ablation',
];

test('themes: follow the system by default, a chosen theme sticks across reloads', async ({ workbench }) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);

  await page.emulateMedia({ colorScheme: 'dark' });
  await shell.ready();
  expect(await shell.shownTheme()).toBe('dark');
  // Following the system: its change shows at once, without a reload.
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(() => shell.shownTheme()).toBe('light');
  const background = (): Promise<string> =>
    page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(await background()).toBe('rgb(255, 255, 255)');
  await page.screenshot({ path: test.info().outputPath('workbench-light.png') });

  // A chosen theme wins over the system's and survives a reload.
  await shell.chooseThemeInSettings('Dark');
  await expect.poll(() => shell.shownTheme()).toBe('dark');
  expect(await background()).toBe('rgb(31, 31, 31)');
  await page.reload();
  await shell.ready();
  expect(await shell.shownTheme()).toBe('dark');

  // The palette offers the same choice.
  await shell.runCommand('Color theme: Follow the system');
  await expect.poll(() => shell.shownTheme()).toBe('light');
  expect(workbench.consoleErrors).toEqual([]);
});

test('tabs keep their own scroll position and the active tab is always in view', async ({ workbench }) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await page.setViewportSize({ width: 1024, height: 640 });
  await shell.ready();

  // Scroll the first spec's editor down, then open a second one: it opens at its top.
  await shell.openBundledSpec(SPECS[0]);
  await shell.editorContent.evaluate((pane) => (pane.scrollTop = 400));
  await expect.poll(() => shell.editorContent.evaluate((pane) => pane.scrollTop)).toBe(400);
  await shell.openBundledSpec(SPECS[1]);
  await expect.poll(() => shell.editorContent.evaluate((pane) => pane.scrollTop)).toBe(0);
  await shell.editorContent.evaluate((pane) => (pane.scrollTop = 120));

  // Back to the first: where it was left; and to the second again: where that one was left.
  await shell.tab(SPECS[0]).click();
  await expect.poll(() => shell.editorContent.evaluate((pane) => pane.scrollTop)).toBe(400);
  await shell.tab(SPECS[1]).click();
  await expect.poll(() => shell.editorContent.evaluate((pane) => pane.scrollTop)).toBe(120);

  // Enough tabs to overflow the strip: the one just opened is scrolled into view.
  for (let k = 0; k < 6; k++) await shell.newExperiment();
  await shell.openBundledSpec('DAMCAR Table 2: DSSM retrieval + DeepFM ranking');
  const strip = await shell.tabStrip.boundingBox();
  const active = await shell.tabs.and(page.locator('[aria-selected="true"]')).boundingBox();
  expect(strip && active).toBeTruthy();
  if (strip && active) {
    expect(await shell.tabStrip.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    expect(active.x).toBeGreaterThanOrEqual(strip.x - 1);
    expect(active.x + active.width).toBeLessThanOrEqual(strip.x + strip.width + 1);
  }

  // Keyboard: Home moves to the first tab (the welcome page), End back to the last.
  await shell.tabs.and(page.locator('[aria-selected="true"]')).focus();
  await page.keyboard.press('Home');
  await expect(shell.tabs.first()).toHaveAttribute('aria-selected', 'true');
  await expect(shell.tabs.first()).toBeFocused();
  await page.keyboard.press('End');
  await expect(shell.tabs.last()).toHaveAttribute('aria-selected', 'true');
  expect(workbench.consoleErrors).toEqual([]);
});

test('the bottom panel resizes by drag and keys, hides and comes back, within bounds', async ({
  workbench,
}) => {
  const { page } = workbench;
  const shell = new WorkbenchPage(page);
  await page.setViewportSize({ width: 1024, height: 640 });
  await shell.ready();
  const start = await shell.panelHeight();

  // Drag the sash down as far as it goes: the panel shrinks to its minimum, not to nothing.
  const sash = await shell.panelSash.boundingBox();
  if (!sash) throw new Error('no panel sash');
  await page.mouse.move(sash.x + 200, sash.y + sash.height / 2);
  await page.mouse.down();
  await page.mouse.move(sash.x + 200, 630, { steps: 5 });
  await page.mouse.up();
  const smallest = await shell.panelHeight();
  expect(smallest).toBeLessThan(start);
  expect(smallest).toBe(90);
  await expect(shell.panelSash).toHaveAttribute('aria-valuenow', '90');

  // Keys on the focused sash: ArrowUp grows by 20 px, Shift+ArrowUp by 100.
  await shell.panelSash.focus();
  await page.keyboard.press('ArrowUp');
  expect(await shell.panelHeight()).toBe(110);
  await page.keyboard.press('Shift+ArrowUp');
  expect(await shell.panelHeight()).toBe(210);
  // However far it grows, the editor keeps room above it.
  for (let k = 0; k < 10; k++) await page.keyboard.press('Shift+ArrowUp');
  const tallest = await shell.panelHeight();
  const editor = await shell.editorContent.boundingBox();
  expect(tallest).toBeLessThan(640 - 150);
  expect(editor?.height ?? 0).toBeGreaterThanOrEqual(120);

  // Enter on the sash hides the panel; Ctrl+J brings it back at the size it had.
  await page.keyboard.press('Enter');
  await expect(shell.panel).toBeHidden();
  await page.keyboard.press('Control+j');
  await expect(shell.panel).toBeVisible();
  expect(await shell.panelHeight()).toBe(tallest);
  // Double-clicking the sash hides it too; the size is remembered across reloads.
  await shell.panelSash.dblclick();
  await expect(shell.panel).toBeHidden();
  await page.reload();
  await shell.ready();
  expect(await shell.panelHeight()).toBe(tallest);
  expect(workbench.consoleErrors).toEqual([]);
});
