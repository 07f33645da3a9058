/**
 * DAMCAR's hybrid training step benchmark (Eq. 13-17): one step of the retrieval DSSM that the
 * DAMCAR testbed trains by default (the authors' DSSM, models/dssm.ts AUTHORS_DSSM) on
 * L_train = BCE(logit, y_mpl) + lambda3 * mean((y_rank - sigmoid(logit))^2), lambda3 = 0.3, on a
 * workload the PyTorch peer scripts/peers/hybrid_step_torch.py builds identically:
 *   user table 20,000 x 32; item table 40,000 x 32 and category table 50 x 32; a dense item
 *   vector of 64 (fixed, uniform in [0, 1));
 *   user tower input e_user (32), item tower input [e_item, e_category, x] (128); towers
 *   300-300-128, each layer Linear -> BatchNorm (batch statistics) -> ReLU;
 *   logit = clamp(cos(u, v), -1, 1) + b with a trained scalar b;
 *   L2 1e-5 * sum(W^2) over every embedding table, every row each step (the authors' dense
 *   Adagrad); Adagrad lr 0.01 on everything;
 *   y_mpl and y_rank uniform in [0, 1); fresh random ids and targets every step.
 */
import { hybridTrainingTerms } from '../protocols/damcar/losses';
import { AUTHORS_DSSM, DssmModel } from '../models/dssm';
import { createRng, type Rng } from '../random';
import * as tf from '@tensorflow/tfjs-core';
import { benchModelOptions } from './deepfm-step';
import { LossTally, type StepWorkload, checkedBatch } from './dssm-step';

export const PEER_HYBRID_STEP = {
  users: 20_000,
  items: 40_000,
  categories: 50,
  embeddingDim: 32,
  denseDim: 64,
  learningRate: 0.01,
  lambda3: 0.3,
} as const;

export class HybridStepWorkload implements StepWorkload {
  readonly batch: number;
  private readonly model: DssmModel;
  private readonly batchRng: Rng;
  private readonly users: Int32Array;
  private readonly items: Int32Array;
  private readonly mpl: Float32Array;
  private readonly rank: Float32Array;
  private readonly losses = new LossTally();

  constructor(batch: number, seed = 0) {
    this.batch = checkedBatch(batch, 'HybridStepWorkload');
    const config = PEER_HYBRID_STEP;
    const rng = createRng(seed);
    this.model = new DssmModel({
      ...benchModelOptions(config, rng),
      // No validation runs here, so batch norm keeps batch statistics as in the first epoch.
      architecture: { ...AUTHORS_DSSM, batchNormAfterValidation: 'batch' },
    });
    this.batchRng = rng.fork(3);
    this.users = new Int32Array(batch);
    this.items = new Int32Array(batch);
    this.mpl = new Float32Array(batch);
    this.rank = new Float32Array(batch);
  }

  async step(): Promise<void> {
    const rng = this.batchRng;
    for (let b = 0; b < this.batch; b++) {
      this.users[b] = rng.int(PEER_HYBRID_STEP.users);
      this.items[b] = rng.int(PEER_HYBRID_STEP.items);
      this.mpl[b] = rng.uniform();
      this.rank[b] = rng.uniform();
    }
    const loss = await this.model.trainStepWith(
      { users: this.users, items: this.items },
      (logits) =>
        hybridTrainingTerms(logits, tf.tensor1d(this.mpl), tf.tensor1d(this.rank), PEER_HYBRID_STEP.lambda3)
          .total,
    );
    this.losses.add(loss);
  }

  async takeLosses(): Promise<{ sum: number; steps: number }> {
    return this.losses.take();
  }

  dispose(): void {
    this.model.dispose();
  }
}
