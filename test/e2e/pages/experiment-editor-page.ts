import { expect, type Locator, type Page } from '@playwright/test';

/** The experiment editor tab: generated forms, Create / Run / Cancel. */
export class ExperimentEditorPage {
  readonly root: Locator;
  readonly name: Locator;
  readonly createButton: Locator;
  readonly runButton: Locator;
  readonly cancelButton: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('experiment-editor');
    this.name = page.getByTestId('experiment-name');
    this.createButton = page.getByTestId('experiment-create');
    this.runButton = page.getByTestId('experiment-run');
    this.cancelButton = page.getByTestId('experiment-cancel');
    this.error = page.getByTestId('editor-error');
  }

  /** Sets one simulator parameter, e.g. `users`. */
  async setSimulator(key: string, value: number): Promise<void> {
    const input = this.page.getByTestId(`sim-${key}`);
    await input.fill(String(value));
    await expect(input).toHaveValue(String(value));
  }

  async setEpochs(epochs: number): Promise<void> {
    await this.page.getByTestId('training-epochs').fill(String(epochs));
  }

  async setEmbeddingDim(dim: number): Promise<void> {
    await this.page.getByTestId('training-dim').fill(String(dim));
  }

  async setLearningRate(rate: number): Promise<void> {
    await this.page.getByTestId('training-lr').fill(String(rate));
  }

  /** The seeds list, e.g. [1, 2, 3]. */
  async setSeeds(seeds: number[]): Promise<void> {
    const input = this.page.getByTestId('seeds');
    await input.fill(seeds.join(', '));
    await expect(input).toHaveValue(seeds.join(', '));
  }

  /** DAMCAR's ranking stage: `deepfm`, `dcn` or `none` (retrieval metrics only). */
  async setRankingModel(model: 'deepfm' | 'dcn' | 'none'): Promise<void> {
    await this.page.getByTestId('ranking-model').selectOption(model);
  }

  /** Switches the paper testbed (protocol), e.g. `ukdsl`. */
  async setProtocol(protocol: string): Promise<void> {
    await this.page.getByTestId('experiment-protocol').selectOption(protocol);
    await expect(this.page.getByTestId('experiment-protocol')).toHaveValue(protocol);
  }

  /** The method cards the editor offers (one per method of the current protocol). */
  methodCards(): Locator {
    return this.root.locator('[data-testid^="method-toggle-"]');
  }

  methodToggle(methodId: string): Locator {
    return this.page.getByTestId(`method-toggle-${methodId}`);
  }

  async run(): Promise<void> {
    await this.runButton.click();
  }
}
