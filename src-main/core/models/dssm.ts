/**
 * DSSM two-tower retrieval model (Huang et al. 2013), the retrieval backbone of DAMCAR's testbed
 * (DAMCAR, ACM MM 2024, section 5.1.2): user and item feature embeddings of dimension
 * `embeddingDim` (paper: 128), each tower an MLP with hidden units 300-200-100 and ReLU, score =
 * inner product of the two tower outputs (retrieval then searches by exact inner product).
 *
 * Inputs. User tower: the user-id embedding. Item tower: the item-id embedding, the category
 * embedding and the item's dense multimodal vector, concatenated (DeepCTR-Torch, on which the
 * authors' code is built, feeds dense features into the DNN by concatenation), so its input has
 * 2 * embeddingDim + denseDim columns.
 *
 * Layers. ReLU on the hidden layers; the last layer (100) is linear, so tower outputs and hence
 * scores can take either sign and sigmoid(score) can fit a finish rate below one half.
 *
 * Training. Embedding tables are updated by sparse Adagrad outside the graph (tf/embedding.ts),
 * tower weights by Adagrad inside it (tf/dense.ts); one tf.tidy and one dataSync per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';
import { DenseAdagrad, Mlp } from '../tf/dense';
import { EmbeddingTable } from '../tf/embedding';
import { sigmoidBce } from '../tf/losses';
import '../tf/gradients';

export const DSSM_TOWER_UNITS: readonly number[] = [300, 200, 100];

export interface DssmItemFeatures {
  numItems: number;
  numCategories: number;
  /** [numItems] */
  itemCategory: Int32Array;
  denseDim: number;
  /** [numItems * denseDim] */
  itemDense: Float32Array;
}

export interface DssmOptions extends DssmItemFeatures {
  numUsers: number;
  embeddingDim: number;
  learningRate: number;
  /** Seeds all initial weights. */
  rng: Rng;
  towerUnits?: readonly number[];
  /** Std of the embedding initialisation (default 1e-4, see tf/embedding.ts). */
  embeddingInitStd?: number;
}

export interface PairBatch {
  /** [batch] user ids */
  users: Int32Array;
  /** [batch] item ids */
  items: Int32Array;
}

export interface LabeledBatch extends PairBatch {
  /** [batch] targets in [0, 1] (finish labels or soft pseudo-labels) */
  targets: Float32Array;
}

/** Loss from the batch's logits; `logits` is [batch]. Must return a scalar. */
export type LogitLoss = (logits: tf.Tensor1D) => tf.Scalar;

/**
 * Loss from the batch's tower outputs (the model's intermediate output, before the inner
 * product); `userVectors` and `itemVectors` are [batch, outputDim]. Must return a scalar.
 */
export type TowerLoss = (userVectors: tf.Tensor2D, itemVectors: tf.Tensor2D) => tf.Scalar;

export interface TowerStepOptions {
  /**
   * Keep the user-id embeddings and the user tower fixed: only the item side (item-id and
   * category embeddings, item tower) is updated. DAMCAR's TL baseline fine-tunes this way.
   */
  freezeUserTower?: boolean;
  /**
   * Variables outside the model that the loss reads (e.g. AR's domain classifier); they are
   * differentiated in the same pass as the towers.
   */
  extraVariables?: readonly tf.Variable[];
  /** Receives the gradients of `extraVariables`, in order, inside the step's tidy (e.g. to apply them). */
  applyExtraGradients?(grads: tf.Tensor[]): void;
}

export class DssmModel {
  readonly numUsers: number;
  readonly numItems: number;
  readonly embeddingDim: number;
  readonly outputDim: number;
  readonly userIds: EmbeddingTable;
  readonly itemIds: EmbeddingTable;
  readonly categories: EmbeddingTable;
  readonly userTower: Mlp;
  readonly itemTower: Mlp;
  private readonly features: DssmItemFeatures;
  /** One Adagrad per tower (elementwise, so splitting it changes nothing) to let a tower be frozen. */
  private readonly userOptimizer: DenseAdagrad;
  private readonly itemOptimizer: DenseAdagrad;

  constructor(options: DssmOptions) {
    const units = [...(options.towerUnits ?? DSSM_TOWER_UNITS)];
    const dim = options.embeddingDim;
    const embedding = { learningRate: options.learningRate, initStd: options.embeddingInitStd };
    this.numUsers = options.numUsers;
    this.numItems = options.numItems;
    this.embeddingDim = dim;
    this.features = {
      numItems: options.numItems,
      numCategories: options.numCategories,
      itemCategory: options.itemCategory,
      denseDim: options.denseDim,
      itemDense: options.itemDense,
    };
    // Fixed creation order keeps initial weights a function of the seed alone.
    this.userIds = new EmbeddingTable(options.numUsers, dim, options.rng.fork(1), embedding);
    this.itemIds = new EmbeddingTable(options.numItems, dim, options.rng.fork(2), embedding);
    this.categories = new EmbeddingTable(options.numCategories, dim, options.rng.fork(3), embedding);
    this.userTower = new Mlp(dim, units, options.rng.fork(4));
    this.itemTower = new Mlp(2 * dim + options.denseDim, units, options.rng.fork(5));
    this.outputDim = this.userTower.outputDim;
    this.userOptimizer = new DenseAdagrad(this.userTower.variables(), { learningRate: options.learningRate });
    this.itemOptimizer = new DenseAdagrad(this.itemTower.variables(), { learningRate: options.learningRate });
  }

  private categoriesOf(items: Int32Array): Int32Array {
    const out = new Int32Array(items.length);
    for (let b = 0; b < items.length; b++) out[b] = this.features.itemCategory[items[b]];
    return out;
  }

  /** @returns [items.length, denseDim] or null when there are no dense features */
  private denseOf(items: Int32Array): tf.Tensor2D | null {
    const d = this.features.denseDim;
    if (d === 0) return null;
    const out = new Float32Array(items.length * d);
    for (let b = 0; b < items.length; b++)
      out.set(this.features.itemDense.subarray(items[b] * d, items[b] * d + d), b * d);
    return tf.tensor2d(out, [items.length, d]);
  }

  /**
   * Item tower on gathered inputs.
   * @param idRows [batch, embeddingDim]
   * @param categoryRows [batch, embeddingDim]
   * @param dense [batch, denseDim] or null
   * @returns [batch, outputDim]
   */
  private itemTowerOn(
    idRows: tf.Tensor2D,
    categoryRows: tf.Tensor2D,
    dense: tf.Tensor2D | null,
  ): tf.Tensor2D {
    const input = dense ? tf.concat([idRows, categoryRows, dense], 1) : tf.concat([idRows, categoryRows], 1);
    return this.itemTower.apply(input);
  }

  /**
   * One optimisation step of `loss` on the batch's logits (score = <user tower, item tower>).
   * @returns the loss before the update
   */
  trainStepWith(batch: PairBatch, loss: LogitLoss): number {
    return this.trainStepOnTowers(batch, (userVec, itemVec) => loss(tf.sum(tf.mul(userVec, itemVec), 1)));
  }

  /**
   * One optimisation step of a loss of the two towers' outputs (see TowerStepOptions for freezing
   * the user side and for training extra variables, such as a classifier on the towers' output,
   * in the same pass).
   * @returns the loss before the update
   */
  trainStepOnTowers(batch: PairBatch, loss: TowerLoss, options: TowerStepOptions = {}): number {
    const { users, items } = batch;
    if (users.length !== items.length || users.length === 0) {
      throw new Error(
        `DssmModel: batch needs equal, non-zero numbers of users and items (${users.length}, ${items.length})`,
      );
    }
    const frozen = options.freezeUserTower === true;
    const extra = options.extraVariables ?? [];
    if (extra.length > 0 && !options.applyExtraGradients)
      throw new Error('DssmModel: extraVariables given without applyExtraGradients');
    const size = users.length;
    const dim = this.embeddingDim;
    const categoryIds = this.categoriesOf(items);
    const userVars = frozen ? [] : this.userTower.variables();
    const itemVars = this.itemTower.variables();
    const flat = tf.tidy(() => {
      const userRows = this.userIds.gather(users);
      const itemRows = this.itemIds.gather(items);
      const categoryRows = this.categories.gather(categoryIds);
      const dense = this.denseOf(items);
      // The tower (and extra) variables are passed as inputs too, so one call returns every
      // gradient; the towers read them through their own references (the same tensors). A frozen
      // user side is a constant: its rows and variables are not inputs, so get no gradient.
      const lossOf = (...inputs: tf.Tensor[]): tf.Scalar => {
        const [u, i, c] = frozen ? [userRows, inputs[0], inputs[1]] : inputs;
        const userVec = this.userTower.apply(u as tf.Tensor2D);
        const itemVec = this.itemTowerOn(i as tf.Tensor2D, c as tf.Tensor2D, dense);
        return loss(userVec, itemVec);
      };
      const rowInputs = frozen ? [itemRows, categoryRows] : [userRows, itemRows, categoryRows];
      const { value, grads } = tf.valueAndGrads(lossOf)([...rowInputs, ...userVars, ...itemVars, ...extra]);
      let k = rowInputs.length;
      if (!frozen) this.userOptimizer.apply(grads.slice(k, (k += userVars.length)));
      this.itemOptimizer.apply(grads.slice(k, (k += itemVars.length)));
      if (extra.length > 0) {
        options.applyExtraGradients?.(grads.slice(k, k + extra.length));
      }
      return tf.concat([
        ...grads.slice(0, rowInputs.length).map((g) => tf.reshape(g, [-1])),
        tf.reshape(value, [1]),
      ]);
    });
    const values = flat.dataSync() as Float32Array;
    flat.dispose();
    let offset = 0;
    if (!frozen) {
      this.userIds.applyGradient(users, values, offset);
      offset += size * dim;
    }
    this.itemIds.applyGradient(items, values, offset);
    this.categories.applyGradient(categoryIds, values, offset + size * dim);
    return values[offset + 2 * size * dim];
  }

  /** Binary cross-entropy step on sigmoid(score) against `targets` (BC's loss). */
  trainStep(batch: LabeledBatch): number {
    const targets = batch.targets;
    return this.trainStepWith(batch, (logits) => sigmoidBce(logits, tf.tensor1d(targets)));
  }

  /** Mean BCE of the batch without updating anything (validation loss). */
  evaluateBce(batch: LabeledBatch): number {
    const loss = tf.tidy(() => sigmoidBce(this.logitsTensor(batch), tf.tensor1d(batch.targets)));
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  }

  /** @returns [batch] scores */
  private logitsTensor(batch: PairBatch): tf.Tensor1D {
    return tf.tidy(() => {
      const userVec = this.userTower.apply(this.userIds.gather(batch.users));
      const itemVec = this.itemTowerOn(
        this.itemIds.gather(batch.items),
        this.categories.gather(this.categoriesOf(batch.items)),
        this.denseOf(batch.items),
      );
      return tf.sum(tf.mul(userVec, itemVec), 1);
    });
  }

  /** Scores (logits) of arbitrary pairs, [batch]. */
  scorePairs(batch: PairBatch): Float32Array {
    const logits = this.logitsTensor(batch);
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    return values;
  }

  /** User tower outputs, row-major [numUsers, outputDim], computed in chunks. */
  userVectors(chunkSize = 4096): Float32Array {
    const out = new Float32Array(this.numUsers * this.outputDim);
    for (let start = 0; start < this.numUsers; start += chunkSize) {
      const ids = range(start, Math.min(this.numUsers, start + chunkSize));
      const vectors = tf.tidy(() => this.userTower.apply(this.userIds.gather(ids)));
      out.set(vectors.dataSync(), start * this.outputDim);
      vectors.dispose();
    }
    return out;
  }

  /** Item tower outputs, row-major [numItems, outputDim], computed in chunks. */
  itemVectors(chunkSize = 4096): Float32Array {
    const out = new Float32Array(this.numItems * this.outputDim);
    for (let start = 0; start < this.numItems; start += chunkSize) {
      const ids = range(start, Math.min(this.numItems, start + chunkSize));
      const vectors = tf.tidy(() =>
        this.itemTowerOn(
          this.itemIds.gather(ids),
          this.categories.gather(this.categoriesOf(ids)),
          this.denseOf(ids),
        ),
      );
      out.set(vectors.dataSync(), start * this.outputDim);
      vectors.dispose();
    }
    return out;
  }

  dispose(): void {
    this.userTower.dispose();
    this.itemTower.dispose();
    this.userOptimizer.dispose();
    this.itemOptimizer.dispose();
  }
}

function range(start: number, end: number): Int32Array {
  const out = new Int32Array(end - start);
  for (let k = 0; k < out.length; k++) out[k] = start + k;
  return out;
}
