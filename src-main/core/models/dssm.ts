/**
 * DSSM two-tower retrieval model (Huang et al. 2013), the retrieval backbone of DAMCAR's testbed
 * (DAMCAR, ACM MM 2024, section 5.1.2), in two readings declared by `DssmArchitecture`:
 *
 * - `PAPER_DSSM`, the paper's text as this project first read it (ours where the text is silent):
 *   embeddings of `embeddingDim` (paper: 128), towers 300-200-100 with ReLU and a linear last
 *   layer, Glorot kernels, no batch norm, score = inner product of the tower outputs; item tower
 *   input = item id + category + dense multimodal vector (standardised).
 * - `AUTHORS_DSSM`, the authors' code (ljy2222/DAMCAR `model/dssm.py` on DeepCTR-Torch):
 *   towers 300-300-128, each layer Linear -> BatchNorm1d -> ReLU (the last one too; batch norm in
 *   evaluation mode after the first validation, as their fit loop leaves it), kernels
 *   N(0, 1e-4) and PyTorch's bias init; training score = sigmoid(gamma * clamp(cos(u, v), -1, 1) + b)
 *   with gamma = 1 and a trained bias b; L2 1e-5 * sum(W^2) on every embedding table, applied to
 *   every row each step as their dense-gradient Adagrad does; item tower input = item id + the
 *   dataset's categorical item fields (WeChat: author, song, singer) + dense features min-max
 *   scaled to [0, 1] (their MinMaxScaler; min-max of a standardised column equals min-max of the raw
 *   one). The authors use 32-d embeddings (the paper says 128): `embeddingDim` comes from the
 *   experiment's training settings.
 *
 * Either way retrieval searches by the inner product of the tower outputs (the authors' faiss
 * IndexFlatIP), computed with batch norm in evaluation mode (running statistics).
 *
 * Training. Embedding tables are updated by sparse Adagrad outside the graph (tf/embedding.ts),
 * tower weights by Adagrad inside it (tf/dense.ts); one tf.tidy and one asynchronous read per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ItemCatalogue } from '../data/dataset';
import type { Rng } from '../random';
import { type Activation, DenseAdagrad, Mlp, type MlpInit } from '../tf/dense';
import { EmbeddingTable } from '../tf/embedding';
import { sigmoidBce } from '../tf/losses';
import '../tf/gradients';

export interface DssmArchitecture {
  /** Units of each tower's layers; both towers alike. */
  towerUnits: readonly number[];
  /** Batch normalisation after every layer's affine map (PyTorch BatchNorm1d). */
  batchNorm: boolean;
  /**
   * Batch norm in the training steps that follow an evaluation (the per-epoch validation):
   * 'batch' = batch statistics as always; 'running' = evaluation mode from then on (running
   * statistics, frozen), as the authors' code trains: DeepCTR-Torch's fit loop switches the model
   * to eval() for the first epoch's validation and never back to train(), so their epochs 2-3
   * run with the running statistics of epoch 1 (their saved BatchNorm layers count one epoch of
   * batches). The normalisation then no longer bounds the towers' output scale, and the
   * inner-product retrieval reads the grown norms.
   */
  batchNormAfterValidation: 'batch' | 'running';
  /** Activation of each tower's last layer (hidden layers use ReLU). */
  outputActivation: Activation;
  /** Training score: inner product, or gamma * clamped cosine. */
  score: 'dot' | 'cosine';
  /** Scale of the cosine score (authors: 1). */
  gamma: number;
  /** A trained scalar added to the score before the sigmoid (the authors' PredictionLayer bias). */
  scoreBias: boolean;
  /** Coefficient of l2 * sum(W^2) over every embedding table (0 = none). */
  embeddingL2: number;
  init: MlpInit;
  /** Item tower's categorical inputs: the category, or the dataset's item fields (category if none). */
  itemFeatures: 'category' | 'dataset';
  /** Dense item features as stored (standardised) or min-max scaled to [0, 1] per column. */
  denseScaling: 'standard' | 'minmax';
}

/** The paper's reading (and this project's earlier default); see the file comment. */
export const PAPER_DSSM: DssmArchitecture = {
  towerUnits: [300, 200, 100],
  batchNorm: false,
  batchNormAfterValidation: 'batch',
  outputActivation: 'linear',
  score: 'dot',
  gamma: 1,
  scoreBias: false,
  embeddingL2: 0,
  init: 'glorot',
  itemFeatures: 'category',
  denseScaling: 'standard',
};

/** The authors' code's DSSM; see the file comment. */
export const AUTHORS_DSSM: DssmArchitecture = {
  towerUnits: [300, 300, 128],
  batchNorm: true,
  batchNormAfterValidation: 'running',
  outputActivation: 'relu',
  score: 'cosine',
  gamma: 1,
  scoreBias: true,
  embeddingL2: 1e-5,
  init: 'normal',
  itemFeatures: 'dataset',
  denseScaling: 'minmax',
};

export interface DssmOptions extends ItemCatalogue {
  embeddingDim: number;
  learningRate: number;
  /** Seeds all initial weights. */
  rng: Rng;
  /** Default PAPER_DSSM; fields given here replace its fields. */
  architecture?: Partial<DssmArchitecture>;
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

/** Loss from the batch's logits (the model's training score); `logits` is [batch]. Must return a scalar. */
export type LogitLoss = (logits: tf.Tensor1D) => tf.Scalar;

/**
 * Loss from the batch's tower outputs (the model's intermediate output, before the score);
 * `userVectors` and `itemVectors` are [batch, outputDim], `logits` [batch] is the model's score of
 * the pairs. Must return a scalar.
 */
export type TowerLoss = (
  userVectors: tf.Tensor2D,
  itemVectors: tf.Tensor2D,
  logits: tf.Tensor1D,
) => tf.Scalar;

export interface TowerStepOptions {
  /**
   * Keep the user-id embeddings and the user tower fixed (its batch norm in evaluation mode): only
   * the item side (item embeddings, item tower, score bias) is updated. DAMCAR's TL baseline
   * fine-tunes this way.
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

/** Cosine's denominator guard, as the authors' Cosine_Similarity. */
const COSINE_EPSILON = 1e-8;

export class DssmModel {
  readonly numUsers: number;
  readonly numItems: number;
  readonly embeddingDim: number;
  readonly outputDim: number;
  readonly architecture: DssmArchitecture;
  readonly userIds: EmbeddingTable;
  readonly itemIds: EmbeddingTable;
  /** One table per categorical item input (the category, or the dataset's item fields). */
  readonly itemFieldTables: readonly EmbeddingTable[];
  readonly userTower: Mlp;
  readonly itemTower: Mlp;
  /** [1] trained score bias, or null. */
  readonly scoreBias: tf.Variable<tf.Rank.R1> | null;
  /** Per categorical item input, [numItems] codes. */
  private readonly itemFieldCodes: readonly Int32Array[];
  private readonly denseDim: number;
  /** [numItems * denseDim], scaled as the architecture says. */
  private readonly itemDense: Float32Array;
  /** One Adagrad per tower (elementwise, so splitting it changes nothing) to let a tower be frozen. */
  private readonly userOptimizer: DenseAdagrad;
  private readonly itemOptimizer: DenseAdagrad;
  private readonly biasOptimizer: DenseAdagrad | null;
  /** Whether an evaluation-mode call happened (see DssmArchitecture.batchNormAfterValidation). */
  private evaluated = false;

  constructor(options: DssmOptions) {
    const arch: DssmArchitecture = { ...PAPER_DSSM, ...options.architecture };
    checkArchitecture(arch);
    this.architecture = arch;
    const units = [...arch.towerUnits];
    const dim = options.embeddingDim;
    const embedding = {
      learningRate: options.learningRate,
      initStd: options.embeddingInitStd,
      trainsWithL2: arch.embeddingL2 > 0,
    };
    this.numUsers = options.numUsers;
    this.numItems = options.numItems;
    this.embeddingDim = dim;
    const fields =
      arch.itemFeatures === 'dataset' && (options.itemFields?.length ?? 0) > 0
        ? (options.itemFields ?? [])
        : [{ name: 'category', cardinality: options.numCategories, codes: options.itemCategory }];
    this.itemFieldCodes = fields.map((f) => f.codes);
    this.denseDim = options.denseDim;
    this.itemDense =
      arch.denseScaling === 'minmax'
        ? minMaxColumns(options.itemDense, options.numItems, options.denseDim)
        : options.itemDense;
    // Fixed creation order keeps initial weights a function of the seed alone (the first field
    // keeps the category table's stream, so the paper reading starts as before).
    this.userIds = new EmbeddingTable(options.numUsers, dim, options.rng.fork(1), embedding);
    this.itemIds = new EmbeddingTable(options.numItems, dim, options.rng.fork(2), embedding);
    this.itemFieldTables = fields.map(
      (f, k) => new EmbeddingTable(f.cardinality, dim, options.rng.fork(k === 0 ? 3 : 100 + k), embedding),
    );
    const towerOptions = {
      outputActivation: arch.outputActivation,
      batchNorm: arch.batchNorm,
      init: arch.init,
    };
    this.userTower = new Mlp(dim, units, options.rng.fork(4), towerOptions);
    this.itemTower = new Mlp(
      (1 + fields.length) * dim + options.denseDim,
      units,
      options.rng.fork(5),
      towerOptions,
    );
    this.outputDim = this.userTower.outputDim;
    this.userOptimizer = new DenseAdagrad(this.userTower.variables(), { learningRate: options.learningRate });
    this.itemOptimizer = new DenseAdagrad(this.itemTower.variables(), { learningRate: options.learningRate });
    this.scoreBias = arch.scoreBias ? tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R1>([1]), true)) : null;
    this.biasOptimizer = this.scoreBias
      ? new DenseAdagrad([this.scoreBias], { learningRate: options.learningRate })
      : null;
  }

  private codesOf(items: Int32Array): Int32Array[] {
    return this.itemFieldCodes.map((codes) => {
      const out = new Int32Array(items.length);
      for (let b = 0; b < items.length; b++) out[b] = codes[items[b]];
      return out;
    });
  }

  /** @returns [items.length, denseDim] or null when there are no dense features */
  private denseOf(items: Int32Array): tf.Tensor2D | null {
    const d = this.denseDim;
    if (d === 0) return null;
    const out = new Float32Array(items.length * d);
    for (let b = 0; b < items.length; b++)
      out.set(this.itemDense.subarray(items[b] * d, items[b] * d + d), b * d);
    return tf.tensor2d(out, [items.length, d]);
  }

  /**
   * Item tower on gathered inputs.
   * @param rows [batch, embeddingDim] each: item id, then each categorical item input
   * @param dense [batch, denseDim] or null
   * @returns [batch, outputDim]
   */
  private itemTowerOn(rows: tf.Tensor2D[], dense: tf.Tensor2D | null, training: boolean): tf.Tensor2D {
    return this.itemTower.apply(tf.concat(dense ? [...rows, dense] : rows, 1), training);
  }

  /**
   * The training score of each pair (the logit of the predicted probability).
   * @param userVec [batch, outputDim]
   * @param itemVec [batch, outputDim]
   * @returns [batch]: <u, v>, or gamma * clamp(cos(u, v), -1, 1); plus the score bias when there is one
   */
  score(userVec: tf.Tensor2D, itemVec: tf.Tensor2D): tf.Tensor1D {
    const dot = tf.sum<tf.Tensor1D>(tf.mul(userVec, itemVec), 1);
    let logits = dot;
    if (this.architecture.score === 'cosine') {
      const norms = tf.mul(rowNorms(userVec), rowNorms(itemVec));
      const cosine = tf.clipByValue(tf.div(dot, tf.add(norms, COSINE_EPSILON)), -1, 1);
      logits = tf.mul(cosine, this.architecture.gamma);
    }
    return this.scoreBias ? tf.add(logits, this.scoreBias) : logits;
  }

  /**
   * One optimisation step of `loss` on the batch's logits (the model's score).
   * @returns the loss before the update
   */
  trainStepWith(batch: PairBatch, loss: LogitLoss): Promise<number> {
    return this.trainStepOnTowers(batch, (_user, _item, logits) => loss(logits));
  }

  /**
   * One optimisation step of a loss of the two towers' outputs (see TowerStepOptions for freezing
   * the user side and for training extra variables, such as a classifier on the towers' output,
   * in the same pass). Batch norm runs in training mode (a frozen user tower in evaluation mode;
   * after an evaluation, in evaluation mode when batchNormAfterValidation is 'running').
   * @returns the loss before the update
   */
  async trainStepOnTowers(
    batch: PairBatch,
    loss: TowerLoss,
    options: TowerStepOptions = {},
  ): Promise<number> {
    const { users, items } = batch;
    if (users.length !== items.length || users.length === 0) {
      throw new Error(
        `DssmModel: batch needs equal, non-zero numbers of users and items (${users.length}, ${items.length})`,
      );
    }
    const frozen = options.freezeUserTower === true;
    const batchStatistics = !(this.evaluated && this.architecture.batchNormAfterValidation === 'running');
    const extra = options.extraVariables ?? [];
    if (extra.length > 0 && !options.applyExtraGradients)
      throw new Error('DssmModel: extraVariables given without applyExtraGradients');
    const size = users.length;
    const dim = this.embeddingDim;
    const fieldCodes = this.codesOf(items);
    const userVars = frozen ? [] : this.userTower.variables();
    const itemVars = this.itemTower.variables();
    const biasVars = this.scoreBias ? [this.scoreBias] : [];
    const flat = tf.tidy(() => {
      const userRows = this.userIds.gather(users);
      const itemRows = [
        this.itemIds.gather(items),
        ...this.itemFieldTables.map((t, k) => t.gather(fieldCodes[k])),
      ];
      const dense = this.denseOf(items);
      // The tower (and extra) variables are passed as inputs too, so one call returns every
      // gradient; the towers read them through their own references (the same tensors). A frozen
      // user side is a constant: its rows and variables are not inputs, so get no gradient.
      const rowInputs = frozen ? itemRows : [userRows, ...itemRows];
      const lossOf = (...inputs: tf.Tensor[]): tf.Scalar => {
        const rows = inputs.slice(0, rowInputs.length) as tf.Tensor2D[];
        const [u, itemSide] = frozen ? [userRows, rows] : [rows[0], rows.slice(1)];
        const userVec = this.userTower.apply(u, batchStatistics && !frozen);
        const itemVec = this.itemTowerOn(itemSide, dense, batchStatistics);
        return loss(userVec, itemVec, this.score(userVec, itemVec));
      };
      const { value, grads } = tf.valueAndGrads(lossOf)([
        ...rowInputs,
        ...userVars,
        ...itemVars,
        ...biasVars,
        ...extra,
      ]);
      let k = rowInputs.length;
      if (!frozen) this.userOptimizer.apply(grads.slice(k, (k += userVars.length)));
      this.itemOptimizer.apply(grads.slice(k, (k += itemVars.length)));
      if (this.biasOptimizer) this.biasOptimizer.apply(grads.slice(k, (k += 1)));
      if (extra.length > 0) {
        options.applyExtraGradients?.(grads.slice(k, k + extra.length));
      }
      return tf.concat([
        ...grads.slice(0, rowInputs.length).map((g) => tf.reshape(g, [-1])),
        tf.reshape(value, [1]),
      ]);
    });
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    const l2 = this.architecture.embeddingL2;
    const updates: [EmbeddingTable, Int32Array][] = [
      ...(frozen ? [] : ([[this.userIds, users]] as [EmbeddingTable, Int32Array][])),
      [this.itemIds, items],
      ...this.itemFieldTables.map((t, k): [EmbeddingTable, Int32Array] => [t, fieldCodes[k]]),
    ];
    let offset = 0;
    for (const [table, ids] of updates) {
      if (l2 > 0) table.applyGradientWithL2(ids, values, offset, l2);
      else table.applyGradient(ids, values, offset);
      offset += size * dim;
    }
    return values[offset];
  }

  /** Binary cross-entropy step on sigmoid(score) against `targets` (BC's loss). */
  trainStep(batch: LabeledBatch): Promise<number> {
    const targets = batch.targets;
    return this.trainStepWith(batch, (logits) => sigmoidBce(logits, tf.tensor1d(targets)));
  }

  /** Mean BCE of the batch without updating anything (validation loss; batch norm in evaluation mode). */
  async evaluateBce(batch: LabeledBatch): Promise<number> {
    const loss = tf.tidy(() => sigmoidBce(this.logitsTensor(batch), tf.tensor1d(batch.targets)));
    const value = (await loss.data())[0];
    loss.dispose();
    return value;
  }

  /** User tower outputs in evaluation mode. @returns [users.length, outputDim] */
  private userVectorsOf(users: Int32Array): tf.Tensor2D {
    this.evaluated = true;
    return this.userTower.apply(this.userIds.gather(users), false);
  }

  /** Item tower outputs in evaluation mode. @returns [items.length, outputDim] */
  private itemVectorsOf(items: Int32Array): tf.Tensor2D {
    this.evaluated = true;
    const codes = this.codesOf(items);
    const rows = [this.itemIds.gather(items), ...this.itemFieldTables.map((t, k) => t.gather(codes[k]))];
    return this.itemTowerOn(rows, this.denseOf(items), false);
  }

  /** @returns [batch] training scores in evaluation mode */
  private logitsTensor(batch: PairBatch): tf.Tensor1D {
    return tf.tidy(() => this.score(this.userVectorsOf(batch.users), this.itemVectorsOf(batch.items)));
  }

  /** Training scores (logits) of arbitrary pairs in evaluation mode, [batch]. */
  async scorePairs(batch: PairBatch): Promise<Float32Array> {
    const logits = this.logitsTensor(batch);
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    return values;
  }

  /** User tower outputs, row-major [numUsers, outputDim], computed in chunks. */
  userVectors(chunkSize = 4096): Promise<Float32Array> {
    return this.vectorsInChunks(this.numUsers, chunkSize, (ids) => this.userVectorsOf(ids));
  }

  /** Item tower outputs, row-major [numItems, outputDim], computed in chunks. */
  itemVectors(chunkSize = 4096): Promise<Float32Array> {
    return this.vectorsInChunks(this.numItems, chunkSize, (ids) => this.itemVectorsOf(ids));
  }

  private async vectorsInChunks(
    count: number,
    chunkSize: number,
    apply: (ids: Int32Array) => tf.Tensor2D,
  ): Promise<Float32Array> {
    const out = new Float32Array(count * this.outputDim);
    for (let start = 0; start < count; start += chunkSize) {
      const ids = range(start, Math.min(count, start + chunkSize));
      const vectors = tf.tidy(() => apply(ids));
      out.set(await vectors.data(), start * this.outputDim);
      vectors.dispose();
    }
    return out;
  }

  dispose(): void {
    this.userTower.dispose();
    this.itemTower.dispose();
    this.userOptimizer.dispose();
    this.itemOptimizer.dispose();
    this.scoreBias?.dispose();
    this.biasOptimizer?.dispose();
    for (const table of [this.userIds, this.itemIds, ...this.itemFieldTables]) table.dispose();
  }
}

/**
 * Euclidean norm of each row with PyTorch's gradient at 0: x / ||x||, and 0 for a zero row (the
 * chain rule through sqrt would give 0 * inf = NaN there; a ReLU output row is often all zero).
 * @param x [batch, dim]
 * @returns [batch]
 */
export function rowNorms(x: tf.Tensor2D): tf.Tensor1D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const norms = tf.sqrt(tf.sum<tf.Tensor1D>(tf.square(input), 1));
    save([input, norms]);
    return {
      value: norms,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xSaved, normSaved] = saved;
        const safe = tf.where(tf.greater(normSaved, 0), normSaved, tf.onesLike(normSaved));
        return [tf.mul(xSaved, tf.expandDims(tf.div(dy, safe), 1))];
      },
    };
  });
  return op(x) as tf.Tensor1D;
}

function checkArchitecture(arch: DssmArchitecture): void {
  if (arch.towerUnits.length === 0 || arch.towerUnits.some((u) => !Number.isInteger(u) || u < 1))
    throw new Error(`DssmModel: towerUnits must be positive integers, got ${arch.towerUnits.join('-')}`);
  if (!(arch.gamma > 0) || !Number.isFinite(arch.gamma))
    throw new Error(`DssmModel: gamma must be a positive number, got ${arch.gamma}`);
  if (!(arch.embeddingL2 >= 0) || !Number.isFinite(arch.embeddingL2))
    throw new Error(`DssmModel: embeddingL2 must be >= 0, got ${arch.embeddingL2}`);
}

/**
 * Each column scaled to [0, 1] by its minimum and maximum over the items (constant columns become
 * 0), as scikit-learn's MinMaxScaler.
 * @param values [rows * dim] row-major
 * @returns a new [rows * dim] array
 */
export function minMaxColumns(values: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let d = 0; d < dim; d++) {
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < rows; r++) {
      const v = values[r * dim + d];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const span = max - min;
    for (let r = 0; r < rows; r++) out[r * dim + d] = span > 0 ? (values[r * dim + d] - min) / span : 0;
  }
  return out;
}

function range(start: number, end: number): Int32Array {
  const out = new Int32Array(end - start);
  for (let k = 0; k < out.length; k++) out[k] = start + k;
  return out;
}
