/**
 * The CTR model of the CP2Rec testbed and its variants (one class, switched by configuration).
 *
 * Inputs per (user, item, exposure): user-id, item-id and category embeddings (embeddingDim each,
 * kept outside autodiff, sparse Adagrad), the item's dense multimodal vector, and the proxy vector
 * p = (popularity, duration, position) (data.ts).
 *
 *   interest (feature) branch  z_f = MLP_f([e_u, e_i, e_c, e_u * e_i, e_u * e_c, m_i (, p when
 *                                    proxiesAsFeatures)])  [H]   (* element-wise)
 *                              s_f = w_f . z_f + c_f
 *   bias branch                z_b = MLP_b(p)              ('proxies': the confounding-proxy prior)
 *                                  = MLP_b([e_i, e_c])     ('features': no prior, the model must find
 *                                                           the bias in the item's own embeddings)
 *                              s_b = w_b . z_b + c_b
 *   full logit                 s = s_f + s_b (s_f without a bias branch)
 *
 * MLPs have one ReLU hidden layer (hiddenUnits) and a linear output (representationDim = H).
 * Serving score: s_f (bias part removed) or s_f + s_b (kept), with the serving proxies (position at
 * the top slot).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ItemCatalogue } from '../../data/dataset';
import type { Rng } from '../../random';
import { DenseAdagrad, Mlp } from '../../tf/dense';
import { EmbeddingTable } from '../../tf/embedding';
import '../../tf/gradients';
import { NUM_PROXIES } from './data';
import { type LossWeights, cp2recLoss } from './losses';

export type BiasBranch = 'none' | 'proxies' | 'features';

export interface DebiasModelOptions extends ItemCatalogue {
  embeddingDim: number;
  hiddenUnits: number;
  representationDim: number;
  learningRate: number;
  /** Seeds every initial weight. */
  rng: Rng;
  /** Proxy vector appended to the interest branch's input (proxy-as-feature baseline). */
  proxiesAsFeatures: boolean;
  biasBranch: BiasBranch;
}

export interface DebiasBatch {
  /** [batch] */
  users: Int32Array;
  /** [batch] */
  items: Int32Array;
  /** [batch * NUM_PROXIES] */
  proxies: Float32Array;
}

export interface DebiasTrainBatch extends DebiasBatch {
  /** [batch] 0/1 */
  labels: Float32Array;
  /** [batch] */
  biasedRowWeights: Float32Array;
  /** [batch] */
  auxiliaryRowWeights: Float32Array;
}

export interface StepResult {
  total: number;
  /** biased, auxiliary, orthogonality (unweighted). */
  terms: [number, number, number];
}

interface Forward {
  /** [batch, H] */
  zf: tf.Tensor2D;
  /** [batch] */
  sf: tf.Tensor1D;
  /** [batch, H] or null */
  zb: tf.Tensor2D | null;
  /** [batch] or null */
  sb: tf.Tensor1D | null;
}

const PREDICT_CHUNK = 4096;

export class DebiasCtrModel {
  readonly options: DebiasModelOptions;
  readonly users: EmbeddingTable;
  readonly items: EmbeddingTable;
  readonly categories: EmbeddingTable;
  readonly interestEncoder: Mlp;
  readonly interestHead: Mlp;
  readonly biasEncoder: Mlp | null;
  readonly biasHead: Mlp | null;
  private readonly optimizer: DenseAdagrad;

  constructor(options: DebiasModelOptions) {
    this.options = options;
    const dim = options.embeddingDim;
    const h = options.representationDim;
    const embedding = { learningRate: options.learningRate, initStd: 0.01 };
    this.users = new EmbeddingTable(options.numUsers, dim, options.rng.fork(1), embedding);
    this.items = new EmbeddingTable(options.numItems, dim, options.rng.fork(2), embedding);
    this.categories = new EmbeddingTable(options.numCategories, dim, options.rng.fork(3), embedding);
    const interestIn = 5 * dim + options.denseDim + (options.proxiesAsFeatures ? NUM_PROXIES : 0);
    this.interestEncoder = new Mlp(interestIn, [options.hiddenUnits, h], options.rng.fork(4));
    this.interestHead = new Mlp(h, [1], options.rng.fork(5));
    if (options.biasBranch === 'none') {
      this.biasEncoder = null;
      this.biasHead = null;
    } else {
      const biasIn = options.biasBranch === 'proxies' ? NUM_PROXIES : 2 * dim;
      this.biasEncoder = new Mlp(biasIn, [options.hiddenUnits, h], options.rng.fork(6));
      this.biasHead = new Mlp(h, [1], options.rng.fork(7));
    }
    this.optimizer = new DenseAdagrad(this.variables(), { learningRate: options.learningRate });
  }

  variables(): tf.Variable[] {
    return [
      ...this.interestEncoder.variables(),
      ...this.interestHead.variables(),
      ...(this.biasEncoder?.variables() ?? []),
      ...(this.biasHead?.variables() ?? []),
    ];
  }

  private categoriesOf(items: Int32Array): Int32Array {
    return Int32Array.from(items, (i) => this.options.itemCategory[i]);
  }

  /** @returns [batch, denseDim] or null */
  private denseOf(items: Int32Array): tf.Tensor2D | null {
    const d = this.options.denseDim;
    if (d === 0) return null;
    const out = new Float32Array(items.length * d);
    for (let b = 0; b < items.length; b++)
      out.set(this.options.itemDense.subarray(items[b] * d, items[b] * d + d), b * d);
    return tf.tensor2d(out, [items.length, d]);
  }

  /**
   * @param eu [batch, dim] user rows
   * @param ei [batch, dim] item rows
   * @param ec [batch, dim] category rows
   * @param dense [batch, denseDim] or null
   * @param proxies [batch, NUM_PROXIES]
   */
  private forward(
    eu: tf.Tensor2D,
    ei: tf.Tensor2D,
    ec: tf.Tensor2D,
    dense: tf.Tensor2D | null,
    proxies: tf.Tensor2D,
  ): Forward {
    // The element-wise products let the network express the user-item inner product (the PNN / GMF
    // interaction); on the default world they raise the Base model's unbiased AUC by about 0.015.
    const parts: tf.Tensor2D[] = [eu, ei, ec, tf.mul(eu, ei) as tf.Tensor2D, tf.mul(eu, ec) as tf.Tensor2D];
    if (dense) parts.push(dense);
    if (this.options.proxiesAsFeatures) parts.push(proxies);
    const zf = this.interestEncoder.apply(tf.concat(parts, 1));
    const sf = tf.reshape(this.interestHead.apply(zf), [-1]) as tf.Tensor1D;
    if (!this.biasEncoder || !this.biasHead) return { zf, sf, zb: null, sb: null };
    const biasInput = this.options.biasBranch === 'proxies' ? proxies : tf.concat([ei, ec], 1);
    const zb = this.biasEncoder.apply(biasInput);
    const sb = tf.reshape(this.biasHead.apply(zb), [-1]) as tf.Tensor1D;
    return { zf, sf, zb, sb };
  }

  /**
   * One Adagrad step of the loss (losses.ts cp2recLoss) on a batch.
   * @returns the total loss and its unweighted terms, before the update
   */
  async trainStep(batch: DebiasTrainBatch, weights: LossWeights): Promise<StepResult> {
    const size = batch.users.length;
    if (size === 0 || batch.items.length !== size || batch.labels.length !== size)
      throw new Error(`DebiasCtrModel: batch needs equal, non-zero users/items/labels (${size})`);
    const dim = this.options.embeddingDim;
    const categoryIds = this.categoriesOf(batch.items);
    const variables = this.variables();
    let termsKept: tf.Tensor1D | null = null;
    const flat = tf.tidy(() => {
      const eu = this.users.gather(batch.users);
      const ei = this.items.gather(batch.items);
      const ec = this.categories.gather(categoryIds);
      const dense = this.denseOf(batch.items);
      const proxies = tf.tensor2d(batch.proxies, [size, NUM_PROXIES]);
      const labels = tf.tensor1d(batch.labels);
      const lossOf = (...inputs: tf.Tensor[]): tf.Scalar => {
        const [u, i, c] = inputs as tf.Tensor2D[];
        const f = this.forward(u, i, c, dense, proxies);
        const { total, terms } = cp2recLoss(
          {
            fullLogit: f.sb ? tf.add(f.sf, f.sb) : f.sf,
            interestLogit: f.sf,
            interestRepresentation: f.zf,
            biasRepresentation: f.zb,
            labels,
            biasedRowWeights: batch.biasedRowWeights,
            auxiliaryRowWeights: batch.auxiliaryRowWeights,
          },
          weights,
        );
        // Kept past valueAndGrads' forward scope; disposed below after the one read.
        termsKept = tf.keep(terms);
        return total;
      };
      const { value, grads } = tf.valueAndGrads(lossOf)([eu, ei, ec, ...variables]);
      this.optimizer.apply(grads.slice(3));
      // The loss terms ride along with the rows' gradients: one read per step.
      const terms = (termsKept as tf.Tensor1D | null) ?? tf.zeros<tf.Rank.R1>([3]);
      return tf.concat([...grads.slice(0, 3).map((g) => tf.reshape(g, [-1])), tf.reshape(value, [1]), terms]);
    });
    (termsKept as tf.Tensor1D | null)?.dispose();
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    const terms = values.subarray(3 * size * dim + 1, 3 * size * dim + 4);
    this.users.applyGradient(batch.users, values, 0);
    this.items.applyGradient(batch.items, values, size * dim);
    this.categories.applyGradient(categoryIds, values, 2 * size * dim);
    return { total: values[3 * size * dim], terms: [terms[0], terms[1], terms[2]] };
  }

  /**
   * Serving scores (logits) of pairs: s_f, plus s_b when `withBias` (and there is a bias branch).
   * @returns [batch]
   */
  async score(batch: DebiasBatch, withBias: boolean): Promise<Float32Array> {
    const n = batch.users.length;
    const out = new Float32Array(n);
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const end = Math.min(n, start + PREDICT_CHUNK);
      const users = batch.users.subarray(start, end);
      const items = batch.items.subarray(start, end);
      const logits = tf.tidy(() => {
        const f = this.forward(
          this.users.gather(users),
          this.items.gather(items),
          this.categories.gather(this.categoriesOf(items)),
          this.denseOf(items),
          tf.tensor2d(batch.proxies.subarray(start * NUM_PROXIES, end * NUM_PROXIES), [
            end - start,
            NUM_PROXIES,
          ]),
        );
        return withBias && f.sb ? tf.add(f.sf, f.sb) : f.sf;
      });
      out.set(await logits.data(), start);
      logits.dispose();
    }
    return out;
  }

  dispose(): void {
    this.interestEncoder.dispose();
    this.interestHead.dispose();
    this.biasEncoder?.dispose();
    this.biasHead?.dispose();
    this.optimizer.dispose();
  }
}
