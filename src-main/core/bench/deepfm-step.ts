/**
 * The DeepFM ranking step benchmark: one training step of the real ranking model (CtrModel with
 * the DAMCAR authors' DeepFM reading, models/ranking-model.ts), on a workload the PyTorch peer
 * scripts/peers/deepfm_step_torch.py builds identically:
 *   sparse fields user (20,000 rows), item (40,000), category (50), embedding dim 32, plus a
 *   1-wide first-order table per field; a dense item vector of 64 (fixed random, min-max in
 *   [0, 1]) with first-order weights [64, 1];
 *   logit = sum of first-order weights + <w_x, x> + FM second order over the three fields
 *           + DNN([e_user, e_item, e_category, x]) with units 256-128 (ReLU) and a linear unit;
 *   binary cross-entropy on random labels (30% positive); Adagrad lr 0.01 on everything
 *   (embeddings sparse), no L2; fresh random ids and labels every step.
 */
import type { ItemCatalogue } from '../data/dataset';
import { CtrModel, type RankingBatch } from '../models/ranking-model';
import { createRng, type Rng } from '../random';
import { LossTally, type StepWorkload, checkedBatch } from './dssm-step';

export interface DeepFmStepConfig {
  users: number;
  items: number;
  categories: number;
  embeddingDim: number;
  denseDim: number;
  hiddenUnits: readonly number[];
  learningRate: number;
  positiveRate: number;
}

export const PEER_DEEPFM_STEP: DeepFmStepConfig = {
  users: 20_000,
  items: 40_000,
  categories: 50,
  embeddingDim: 32,
  denseDim: 64,
  hiddenUnits: [256, 128],
  learningRate: 0.01,
  positiveRate: 0.3,
};

/** The benchmarks' item catalogue: a category per item and a dense vector in [0, 1), both fixed. */
export function syntheticCatalogue(
  sizes: Pick<DeepFmStepConfig, 'users' | 'items' | 'categories' | 'denseDim'>,
  rng: Rng,
): ItemCatalogue {
  return {
    numUsers: sizes.users,
    numItems: sizes.items,
    numCategories: sizes.categories,
    itemCategory: Int32Array.from({ length: sizes.items }, () => rng.int(sizes.categories)),
    denseDim: sizes.denseDim,
    itemDense: Float32Array.from({ length: sizes.items * sizes.denseDim }, () => rng.uniform()),
  };
}

/**
 * What every benchmark's model is built from, the same way for each: the synthetic catalogue
 * (seed stream 1), the embedding size and learning rate, and the model's own seed stream (2).
 */
export function benchModelOptions(
  config: Pick<
    DeepFmStepConfig,
    'users' | 'items' | 'categories' | 'denseDim' | 'embeddingDim' | 'learningRate'
  >,
  rng: Rng,
): ItemCatalogue & { embeddingDim: number; learningRate: number; rng: Rng } {
  return {
    ...syntheticCatalogue(config, rng.fork(1)),
    embeddingDim: config.embeddingDim,
    learningRate: config.learningRate,
    rng: rng.fork(2),
  };
}

export class DeepFmStepWorkload implements StepWorkload {
  readonly batch: number;
  private readonly model: CtrModel;
  private readonly batchRng: Rng;
  private readonly config: DeepFmStepConfig;
  private readonly current: RankingBatch;
  private readonly losses = new LossTally();

  constructor(batch: number, seed = 0, config: DeepFmStepConfig = PEER_DEEPFM_STEP) {
    this.batch = checkedBatch(batch, 'DeepFmStepWorkload');
    this.config = config;
    const rng = createRng(seed);
    this.model = new CtrModel('deepfm', {
      ...benchModelOptions(config, rng),
      deepfm: { hiddenUnits: config.hiddenUnits, init: 'normal' },
      denseScaling: 'minmax',
    });
    this.batchRng = rng.fork(3);
    this.current = {
      users: new Int32Array(batch),
      items: new Int32Array(batch),
      targets: new Float32Array(batch),
    };
  }

  async step(): Promise<void> {
    const { users, items, targets } = this.current;
    const rng = this.batchRng;
    for (let b = 0; b < this.batch; b++) {
      users[b] = rng.int(this.config.users);
      items[b] = rng.int(this.config.items);
      targets[b] = rng.uniform() < this.config.positiveRate ? 1 : 0;
    }
    this.losses.add(await this.model.trainStep(this.current));
  }

  async takeLosses(): Promise<{ sum: number; steps: number }> {
    return this.losses.take();
  }

  dispose(): void {
    this.model.dispose();
  }
}
