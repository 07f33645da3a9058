/**
 * The ranking stage of DAMCAR's two-stage cascade testbed (DAMCAR, ACM MM 2024, section 5.1.2):
 * a CTR model, DeepFM (deepfm.ts) or DCN (dcn.ts), trained with binary cross-entropy on the
 * exposed training interactions (label = finish). It serves two purposes: KD, TL, MUDA and
 * DAMCAR read its predictions as soft labels for the retrieval model, and the cascade evaluation
 * lets it re-rank each user's top-K1 retrieved items for N/M/H@K2 (Tables 2-3).
 *
 * Features: sparse fields user id, item id and the item's categorical features, each an
 * `embeddingDim`-wide embedding, plus the item's dense multimodal vector. The categorical features
 * are the dataset's item fields where it has them (WeChat: author, song, singer; TikTok: author,
 * music, city), as the authors' DeepFM reads them (their config.py sparse_features), and the item
 * category otherwise (simulated data).
 *
 * This module holds what both networks share: the embedding tables, kept outside the autodiff
 * graph and updated by sparse Adagrad (tf/embedding.ts), the training step (one tf.tidy, one
 * valueAndGrads, one asynchronous read), batched prediction, and `trainRankingModel`, which runs the
 * epochs with progress, curves and cancellation. A network (`CtrNetwork`) only maps the gathered
 * inputs to logits; its dense variables are trained by one Adagrad (tf/dense.ts), PyTorch's form
 * as in the authors' code (Adagrad, lr 0.01, batch 512).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RankingModelName, TrainingSpec } from '../../contract/api';
import type { TrainingData } from '../data/dataset';
import { type ItemCatalogue, catalogueOf } from '../data/dataset';
import type { DataSplit } from '../data/split';
import type { JobEvent } from '../experiments/job';
import { runEpochs } from '../methods/loop';
import { rocAuc } from '../metrics/auc';
import type { Rng } from '../random';
import { DenseAdagrad } from '../tf/dense';
import { EmbeddingTable } from '../tf/embedding';
import { sigmoidBce } from '../tf/losses';
import '../tf/gradients';
import { DcnNetwork, type DcnOptions } from './dcn';
import { minMaxColumns } from './dssm';
import { DeepFmNetwork, type DeepFmOptions } from './deepfm';

/**
 * The categorical item inputs of a ranking model: the dataset's item fields, else the category.
 * The sparse fields are then user, item and these, in that order, side by side in `CtrInputs.fields`.
 */
export function rankingItemFields(
  data: ItemCatalogue,
): { name: string; cardinality: number; codes: Int32Array }[] {
  return data.itemFields && data.itemFields.length > 0
    ? [...data.itemFields]
    : [{ name: 'category', cardinality: data.numCategories, codes: data.itemCategory }];
}

/** What a network sees of one batch (all gathered outside the graph). */
export interface CtrInputs {
  /**
   * [batch, numFields * embeddingDim]: the user, item and item-field embeddings of each row side
   * by side (field f in columns f * embeddingDim .. (f + 1) * embeddingDim - 1).
   */
  fields: tf.Tensor2D;
  /** [batch, numFields] per-field first-order weights, or null for networks without them. */
  firstOrder: tf.Tensor2D | null;
  /** [batch, denseDim] dense item vectors, or null when the data has none (denseDim = 0). */
  dense: tf.Tensor2D | null;
}

/** Sizes a network is built for. */
export interface CtrShape {
  numFields: number;
  embeddingDim: number;
  denseDim: number;
}

/** A CTR network: dense variables and the map from gathered inputs to logits. */
export interface CtrNetwork {
  /** 'DeepFM' or 'DCN'. */
  readonly name: string;
  /** Whether `logits` reads per-field first-order weights (1-wide embedding tables). */
  readonly usesFirstOrder: boolean;
  /** Trainable dense variables; the order is fixed. */
  variables(): tf.Variable[];
  /**
   * @param inputs see CtrInputs; `firstOrder` is non-null exactly when `usesFirstOrder`
   * @returns [batch] logits
   */
  logits(inputs: CtrInputs): tf.Tensor1D;
  dispose(): void;
}

export type RankingKind = Exclude<RankingModelName, 'none'>;

/** The name a ranking model of the kind reports ('DeepFM', 'DCN'), before one is trained. */
export function rankingModelName(kind: RankingKind): string {
  return kind === 'deepfm' ? DeepFmNetwork.modelName : DcnNetwork.modelName;
}

/** The users, items and item features a CTR model is sized from. */
export type CtrFeatures = ItemCatalogue;

export interface CtrModelOptions extends CtrFeatures {
  embeddingDim: number;
  learningRate: number;
  /** Seeds every initial weight. */
  rng: Rng;
  /** Std of the embedding initialisation (default 1e-4, DeepCTR-Torch's init_std). */
  embeddingInitStd?: number;
  /** Network sizes (defaults: the constants of deepfm.ts / dcn.ts). */
  deepfm?: DeepFmOptions;
  dcn?: DcnOptions;
  /** Coefficient of l2 * sum(W^2) over every embedding and first-order table, every step (0 = none). */
  embeddingL2?: number;
  /** Dense item features as stored (standardised, default) or min-max scaled to [0, 1] per column. */
  denseScaling?: 'standard' | 'minmax';
}

/**
 * Which ranking network a testbed trains ('authors' is the DAMCAR testbed's default,
 * protocols/damcar/settings.ts): 'ours' (the constants of deepfm.ts / dcn.ts, Glorot
 * kernels, no L2, standardised dense features) or 'authors', the DAMCAR authors' DeepFM
 * (DeepCTR-Torch as their train_ranking_model.py builds it): DNN 256-128, N(0, 1e-4) kernels,
 * L2 1e-5 on the embedding and first-order tables (every row, every step, as their dense
 * Adagrad does), dense features min-max scaled. Two details of theirs are not copied: their DNN's
 * output layer has no bias and PyTorch's default init (ours: N(0, 1e-4) and a bias, which then
 * plays their PredictionLayer's global bias), and their L2 on the 65 dense first-order weights
 * (its gradient is ~1e-7 against the loss's ~1e-2). DCN keeps its sizes under either reading.
 */
export type RankingNetworkReading = 'ours' | 'authors';

/** The model options of a reading (spread into CtrModelOptions / RankingTrainingOptions.model). */
export function rankingNetworkOptions(
  reading: RankingNetworkReading,
): Pick<CtrModelOptions, 'deepfm' | 'dcn' | 'embeddingL2' | 'denseScaling'> {
  return reading === 'ours'
    ? {}
    : { deepfm: { hiddenUnits: [256, 128], init: 'normal' }, embeddingL2: 1e-5, denseScaling: 'minmax' };
}

export interface RankingBatch {
  /** [batch] user ids */
  users: Int32Array;
  /** [batch] item ids */
  items: Int32Array;
  /** [batch] finish labels in [0, 1] */
  targets: Float32Array;
}

/** Pairs scored per tensor call in prediction. */
const PREDICT_CHUNK = 4096;

/** A CTR model: embedding tables (outside the graph) around a DeepFM or DCN network. */
export class CtrModel {
  readonly kind: RankingKind;
  readonly name: string;
  readonly embeddingDim: number;
  readonly network: CtrNetwork;
  /** user, item and item-field embeddings, in that order. */
  readonly fieldTables: readonly EmbeddingTable[];
  /** 1-wide first-order weight tables in the same order, or null (DCN). */
  readonly firstOrderTables: readonly EmbeddingTable[] | null;
  readonly numFields: number;
  private readonly embeddingL2: number;
  private readonly features: CtrFeatures;
  /** Per categorical item input, [numItems] codes (rankingItemFields). */
  private readonly itemFieldCodes: readonly Int32Array[];
  private readonly optimizer: DenseAdagrad;
  /** Reused per step: one field's gradient rows, contiguous for EmbeddingTable.applyGradient. */
  private fieldGradient = new Float32Array(0);

  constructor(kind: RankingKind, options: CtrModelOptions) {
    const dim = options.embeddingDim;
    if (!Number.isInteger(dim) || dim < 1)
      throw new Error(`CtrModel: embeddingDim must be an integer >= 1, got ${dim}`);
    this.kind = kind;
    this.embeddingDim = dim;
    this.embeddingL2 = options.embeddingL2 ?? 0;
    const catalogue = catalogueOf(options);
    this.features =
      options.denseScaling === 'minmax'
        ? {
            ...catalogue,
            itemDense: minMaxColumns(catalogue.itemDense, catalogue.numItems, catalogue.denseDim),
          }
        : catalogue;
    const embedding = {
      learningRate: options.learningRate,
      initStd: options.embeddingInitStd,
      trainsWithL2: this.embeddingL2 > 0,
    };
    const itemFields = rankingItemFields(options);
    this.itemFieldCodes = itemFields.map((f) => f.codes);
    const sizes = [options.numUsers, options.numItems, ...itemFields.map((f) => f.cardinality)];
    this.numFields = sizes.length;
    // Fixed creation order keeps every initial weight a function of the seed alone.
    this.fieldTables = sizes.map(
      (rows, f) => new EmbeddingTable(rows, dim, options.rng.fork(1 + f), embedding),
    );
    const shape: CtrShape = { numFields: this.numFields, embeddingDim: dim, denseDim: options.denseDim };
    this.network =
      kind === 'deepfm'
        ? new DeepFmNetwork(shape, options.rng.fork(10), options.deepfm)
        : new DcnNetwork(shape, options.rng.fork(10), options.dcn);
    this.name = this.network.name;
    this.firstOrderTables = this.network.usesFirstOrder
      ? sizes.map((rows, f) => new EmbeddingTable(rows, 1, options.rng.fork(20 + f), embedding))
      : null;
    this.optimizer = new DenseAdagrad(this.network.variables(), { learningRate: options.learningRate });
  }

  /** Checks ids (a bad id would otherwise read past a table silently). */
  private checkPairs(users: Int32Array, items: Int32Array): void {
    if (users.length !== items.length)
      throw new Error(`${this.name}: ${users.length} users but ${items.length} items`);
    const { numUsers, numItems } = this.features;
    for (let b = 0; b < users.length; b++) {
      if (!(users[b] >= 0 && users[b] < numUsers))
        throw new Error(`${this.name}: user id ${users[b]} (pair ${b}) outside [0, ${numUsers})`);
      if (!(items[b] >= 0 && items[b] < numItems))
        throw new Error(`${this.name}: item id ${items[b]} (pair ${b}) outside [0, ${numItems})`);
    }
  }

  /** [batch] field ids per field: user, item, then each item field. */
  private fieldIds(users: Int32Array, items: Int32Array): Int32Array[] {
    const fields = this.itemFieldCodes.map((codes) => {
      const out = new Int32Array(items.length);
      for (let b = 0; b < items.length; b++) out[b] = codes[items[b]];
      return out;
    });
    return [users, items, ...fields];
  }

  /**
   * Gathers rows of `tables` side by side.
   * @returns [batch * tables.length * width], row-major [batch, tables.length * width]
   */
  private static gatherSideBySide(tables: readonly EmbeddingTable[], ids: Int32Array[]): Float32Array {
    const width = tables[0].dim;
    const batch = ids[0].length;
    const stride = tables.length * width;
    const out = new Float32Array(batch * stride);
    tables.forEach((table, f) => {
      const fieldIds = ids[f];
      // row(): a table with the embedding L2 settles just the rows it hands out (embedding.ts).
      for (let b = 0; b < batch; b++) out.set(table.row(fieldIds[b]), b * stride + f * width);
    });
    return out;
  }

  /** @returns [batch, denseDim] or null when there is no dense vector */
  private denseOf(items: Int32Array): tf.Tensor2D | null {
    const d = this.features.denseDim;
    if (d === 0) return null;
    const out = new Float32Array(items.length * d);
    for (let b = 0; b < items.length; b++)
      out.set(this.features.itemDense.subarray(items[b] * d, items[b] * d + d), b * d);
    return tf.tensor2d(out, [items.length, d]);
  }

  /** The gathered inputs of the pairs as host arrays (fields, first order). */
  private gather(ids: Int32Array[]): { fields: Float32Array; firstOrder: Float32Array | null } {
    return {
      fields: CtrModel.gatherSideBySide(this.fieldTables, ids),
      firstOrder: this.firstOrderTables ? CtrModel.gatherSideBySide(this.firstOrderTables, ids) : null,
    };
  }

  /**
   * Sparse Adagrad on each field's rows from a side-by-side gradient.
   * @param grad row-major [batch, tables.length * width] starting at `offset`
   */
  private applySideBySide(
    tables: readonly EmbeddingTable[],
    ids: Int32Array[],
    grad: Float32Array,
    offset: number,
  ): void {
    const width = tables[0].dim;
    const batch = ids[0].length;
    const stride = tables.length * width;
    if (this.fieldGradient.length < batch * width) this.fieldGradient = new Float32Array(batch * width);
    const rows = this.fieldGradient;
    tables.forEach((table, f) => {
      for (let b = 0; b < batch; b++) {
        const src = offset + b * stride + f * width;
        rows.set(grad.subarray(src, src + width), b * width);
      }
      if (this.embeddingL2 > 0) table.applyGradientWithL2(ids[f], rows, 0, this.embeddingL2);
      else table.applyGradient(ids[f], rows);
    });
  }

  /**
   * One BCE step on the batch: dense Adagrad on the network's variables inside the graph, sparse
   * Adagrad on the gathered embedding rows outside it.
   * @returns the batch's mean BCE before the update
   */
  async trainStep(batch: RankingBatch): Promise<number> {
    const { users, items, targets } = batch;
    if (users.length === 0 || targets.length !== users.length)
      throw new Error(`${this.name}: a batch needs equal, non-zero numbers of pairs and targets`);
    this.checkPairs(users, items);
    const size = users.length;
    const ids = this.fieldIds(users, items);
    const gathered = this.gather(ids);
    const stride = this.numFields * this.embeddingDim;
    const variables = this.network.variables();
    const flat = tf.tidy(() => {
      const fields = tf.tensor2d(gathered.fields, [size, stride]);
      const firstOrder = gathered.firstOrder
        ? tf.tensor2d(gathered.firstOrder, [size, this.numFields])
        : null;
      const dense = this.denseOf(items);
      const labels = tf.tensor1d(targets);
      const rowInputs = firstOrder ? [fields, firstOrder] : [fields];
      // The variables are inputs too, so one call returns every gradient; the network reads them
      // through its own references (the same tensors).
      const lossOf = (...inputs: tf.Tensor[]): tf.Scalar =>
        sigmoidBce(
          this.network.logits({
            fields: inputs[0] as tf.Tensor2D,
            firstOrder: firstOrder ? (inputs[1] as tf.Tensor2D) : null,
            dense,
          }),
          labels,
        );
      const { value, grads } = tf.valueAndGrads(lossOf)([...rowInputs, ...variables]);
      this.optimizer.apply(grads.slice(rowInputs.length));
      return tf.concat([
        ...grads.slice(0, rowInputs.length).map((g) => tf.reshape(g, [-1])),
        tf.reshape(value, [1]),
      ]);
    });
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    this.applySideBySide(this.fieldTables, ids, values, 0);
    let offset = size * stride;
    if (this.firstOrderTables) {
      this.applySideBySide(this.firstOrderTables, ids, values, offset);
      offset += size * this.numFields;
    }
    return values[offset];
  }

  /**
   * Logits of arbitrary pairs, PREDICT_CHUNK pairs per tensor call.
   * @param users [n]
   * @param items [n]
   * @returns [n] logits
   */
  async predictLogits(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    this.checkPairs(users, items);
    const out = new Float32Array(users.length);
    const stride = this.numFields * this.embeddingDim;
    for (let start = 0; start < users.length; start += PREDICT_CHUNK) {
      const chunkUsers = users.subarray(start, start + PREDICT_CHUNK);
      const chunkItems = items.subarray(start, start + PREDICT_CHUNK);
      const size = chunkUsers.length;
      const gathered = this.gather(this.fieldIds(chunkUsers, chunkItems));
      const logits = tf.tidy(() =>
        this.network.logits({
          fields: tf.tensor2d(gathered.fields, [size, stride]),
          firstOrder: gathered.firstOrder ? tf.tensor2d(gathered.firstOrder, [size, this.numFields]) : null,
          dense: this.denseOf(chunkItems),
        }),
      );
      out.set(await logits.data(), start);
      logits.dispose();
    }
    return out;
  }

  /**
   * Predicted finish probabilities sigmoid(logit).
   * @param users [n]
   * @param items [n]
   * @returns [n] probabilities in (0, 1)
   */
  async predict(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    const logits = await this.predictLogits(users, items);
    for (let k = 0; k < logits.length; k++) logits[k] = 1 / (1 + Math.exp(-logits[k]));
    return logits;
  }

  /**
   * Every trained weight as host arrays, in a fixed order: field tables, first-order tables (if
   * any), then the network's variables. Optimiser state is left out: it only matters for more
   * training, and a loaded model only scores.
   */
  async exportWeights(): Promise<Float32Array[]> {
    return [
      ...this.fieldTables.map((table) => Float32Array.from(table.weights)),
      ...(this.firstOrderTables ?? []).map((table) => Float32Array.from(table.weights)),
      ...(await Promise.all(
        this.network.variables().map((variable) => variable.data() as Promise<Float32Array>),
      )),
    ];
  }

  /** Overwrites every weight with `exportWeights()` output of a model of the same shape. */
  importWeights(weights: readonly Float32Array[]): void {
    const tables = [...this.fieldTables, ...(this.firstOrderTables ?? [])];
    const variables = this.network.variables();
    if (weights.length !== tables.length + variables.length)
      throw new Error(
        `${this.name}: expected ${tables.length + variables.length} weight arrays, got ${weights.length}`,
      );
    tables.forEach((table, k) => {
      if (weights[k].length !== table.weights.length)
        throw new Error(
          `${this.name}: embedding table ${k} has ${table.weights.length} weights, got ${weights[k].length}`,
        );
    });
    variables.forEach((variable, k) => {
      if (weights[tables.length + k].length !== variable.size)
        throw new Error(
          `${this.name}: variable ${variable.name} has ${variable.size} weights, got ${weights[tables.length + k].length}`,
        );
    });
    tables.forEach((table, k) => table.weights.set(weights[k]));
    tf.tidy(() =>
      variables.forEach((variable, k) =>
        variable.assign(tf.tensor(weights[tables.length + k], variable.shape, 'float32')),
      ),
    );
  }

  dispose(): void {
    this.network.dispose();
    this.optimizer.dispose();
    for (const table of [...this.fieldTables, ...(this.firstOrderTables ?? [])]) table.dispose();
  }
}

/** Mean BCE of logits against 0/1 labels, softplus(x) - x y evaluated stably. */
function meanBceOfLogits(logits: Float32Array, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < logits.length; k++) {
    const x = logits[k];
    sum += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) - x * labels[k];
  }
  return logits.length > 0 ? sum / logits.length : NaN;
}

/** A trained ranking model as the testbed's methods and its cascade evaluation see it. */
export interface RankingScorer {
  /** 'DeepFM' or 'DCN'. */
  name: string;
  /**
   * Predicted probability that each (user, item) pair is finished.
   * @param users [n] user indices
   * @param items [n] item indices
   * @returns [n] probabilities in (0, 1)
   */
  score(users: Int32Array, items: Int32Array): Promise<Float32Array>;
}

export interface TrainedRankingModel extends RankingScorer {
  kind: RankingKind;
  /** Validation AUC after the last epoch (NaN without validation rows of both labels). */
  validAuc: number;
  /** Its weights (CtrModel.exportWeights), e.g. to cache them on disk. */
  exportWeights(): Promise<Float32Array[]>;
  dispose(): void;
}

function ctrModelFor(
  kind: RankingKind,
  data: TrainingData,
  training: TrainingSpec,
  rng: Rng,
  options: RankingTrainingOptions,
): CtrModel {
  return new CtrModel(kind, {
    ...catalogueOf(data),
    embeddingDim: training.embeddingDim,
    learningRate: training.learningRate,
    rng: rng.fork(1),
    ...options.model,
  });
}

function asTrained(kind: RankingKind, model: CtrModel, validAuc: number): TrainedRankingModel {
  return {
    kind,
    name: model.name,
    validAuc,
    score: (users, items) => model.predict(users, items),
    exportWeights: () => model.exportWeights(),
    dispose: () => model.dispose(),
  };
}

/**
 * A ranking model rebuilt from saved weights (see exportWeights): the same architecture as
 * trainRankingModel builds for these arguments, so it scores exactly as the trained one did.
 */
export function restoreRankingModel(
  kind: RankingKind,
  data: TrainingData,
  training: TrainingSpec,
  rng: Rng,
  weights: readonly Float32Array[],
  validAuc: number,
  options: RankingTrainingOptions = {},
): TrainedRankingModel {
  const model = ctrModelFor(kind, data, training, rng, options);
  try {
    model.importWeights(weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return asTrained(kind, model, validAuc);
}

/** Validation metrics are computed on at most this many validation rows per epoch. */
const VALIDATION_ROWS = 20_000;

export interface RankingTrainingOptions {
  /** Network sizes (e.g. smaller ones in tests) and a reading's settings (rankingNetworkOptions). */
  model?: Pick<CtrModelOptions, 'deepfm' | 'dcn' | 'embeddingInitStd' | 'embeddingL2' | 'denseScaling'>;
}

/**
 * Trains the cascade's ranking model on the exposed training interactions (`split.train`, label =
 * finish) for `training.epochs` epochs of `training.batchSize`, Adagrad with
 * `training.learningRate`, embeddings of `training.embeddingDim`.
 *
 * Events: 'progress' with phase 'train' and `fraction` of this training (the caller maps it onto
 * its run), curves `ranking/train/bce`, `ranking/valid/bce` and `ranking/valid/auc` per epoch, and
 * log lines. Throws JobCancelledError when `signal` aborts; the model is then disposed.
 */
export async function trainRankingModel(
  kind: RankingKind,
  data: TrainingData,
  split: DataSplit,
  training: TrainingSpec,
  rng: Rng,
  emit: (event: JobEvent) => void,
  signal: AbortSignal,
  options: RankingTrainingOptions = {},
): Promise<TrainedRankingModel> {
  const model = ctrModelFor(kind, data, training, rng, options);
  const cols = data.interactions;
  const batchOf = (rows: Int32Array): RankingBatch => ({
    users: Int32Array.from(rows, (r) => cols.user[r]),
    items: Int32Array.from(rows, (r) => cols.item[r]),
    targets: Float32Array.from(rows, (r) => cols.label[r]),
  });
  const validRows = split.valid.subarray(0, VALIDATION_ROWS);
  const valid = batchOf(validRows);
  let validAuc = NaN;
  try {
    await runEpochs({
      ctx: { emit, signal },
      label: `${model.name} ranking model`,
      examples: split.train,
      epochs: training.epochs,
      batchSize: training.batchSize,
      shuffle: rng.fork(2),
      lossCurve: 'ranking/train/bce',
      step: (rows) => model.trainStep(batchOf(rows)),
      afterEpoch: async (): Promise<Record<string, number>> => {
        if (validRows.length === 0) return {};
        const logits = await model.predictLogits(valid.users, valid.items);
        validAuc = rocAuc(logits, valid.targets);
        const out: Record<string, number> = { 'ranking/valid/bce': meanBceOfLogits(logits, valid.targets) };
        if (Number.isFinite(validAuc)) out['ranking/valid/auc'] = validAuc;
        return out;
      },
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return asTrained(kind, model, validAuc);
}
