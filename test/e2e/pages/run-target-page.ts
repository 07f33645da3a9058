import { expect, type Locator, type Page } from '@playwright/test';

/** Settings' "Run on": this machine, or a queue of workers on Redis. */
export class RunTargetSettingsPage {
  readonly root: Locator;
  readonly thisMachine: Locator;
  readonly queueChoice: Locator;
  readonly url: Locator;
  readonly connectButton: Locator;
  /** The queue's URL as the main side names it, password redacted. */
  readonly connected: Locator;
  readonly error: Locator;
  readonly localState: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('settings-run-on');
    this.thisMachine = page.getByTestId('settings-run-on-local');
    this.queueChoice = page.getByTestId('settings-run-on-queue');
    this.url = page.getByTestId('settings-queue-url');
    this.connectButton = page.getByTestId('settings-queue-connect');
    this.connected = page.getByTestId('settings-queue-connected');
    this.error = page.getByTestId('settings-queue-error');
    this.localState = page.getByTestId('settings-run-on-state');
  }

  async open(): Promise<void> {
    const activity = this.page.getByTestId('activity-settings');
    if (!(await this.root.isVisible())) await activity.click();
    await expect(this.root).toBeVisible();
  }

  /** Picks "queue", types the URL and connects; waits until the attempt has ended either way. */
  async connect(url: string): Promise<void> {
    await this.queueChoice.check();
    await this.url.fill(url);
    await this.connectButton.click();
    await expect(this.connectButton).not.toHaveText('Connecting…', { timeout: 60_000 });
  }

  async useThisMachine(): Promise<void> {
    await this.thisMachine.check();
    await expect(this.localState).toBeVisible();
  }
}
