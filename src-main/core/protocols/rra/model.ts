/**
 * RRA's partially-shared architecture (KDD 2023, Sec. 4.2, Figure 2), scaled to CPU training.
 *
 * - Embedding layer (Sec. 4.2.2): show-ID and genre (category) embedding tables, outside the
 *   autodiff graph (tf/embedding.ts, Adagrad); v_i = e_id(i) + e_genre(c(i)). The paper uses the
 *   show ID only "for simplicity" and names genres as usable side information; with a few clicks
 *   per show, the genre is what lets this small testbed learn tastes within a few epochs.
 * - Shared bottom (Sec. 4.2.3): the user's watch history is mean-pooled (sum pooling divided by
 *   the history length; the paper runs a bidirectional Transformer over the history and sum-pools
 *   its outputs, too slow for this testbed) and passed through a dense ReLU layer: h_u.
 * - Top layers (Sec. 4.2.4), one per stage, two tasks (CTR, DWM) each:
 *   - 'prod' (ProdModel-like): an MMoE (Ma et al. 2018) with E experts and one softmax gate per
 *     task, then a tower per task. The ranking input adds PNN-style product features
 *     (W_p h_u) ⊙ v_i to [h_u, v_i, x_ui].
 *   - 'base' (BaseModel, YouTube-DNN-like): one shared ReLU layer instead of the MMoE, no product
 *     features.
 *   Retrieval: two-tower, the towers give u_ctr and u_dwm (linear, embedding size) and the show
 *   side is the show embedding itself, ŝ = <u, v_i>. Ranking (the more capable model, as the
 *   paper's production ranker): h_u, the target show v_i, the cross features x_ui (genre share of
 *   the whole watch history and the franchise watch count, model-trainer.ts crossFeatures, which
 *   the two-tower retrieval cannot compute) and the PNN product pass a 64-unit fusion layer, the
 *   MMoE and two-hidden-layer towers (32, 16) giving the logits s_ctr, s_dwm.
 * Whether ranking reuses the retrieval's embedding table and bottom (RRA, parameter sharing) or
 * has its own (DMTL, the production ranking model) is the caller's choice.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../random';
import { Mlp } from '../../tf/dense';
import { EmbeddingTable } from '../../tf/embedding';
import '../../tf/gradients';
import type { Architecture } from './settings';

export const BOTTOM_UNITS = 64;
export const EXPERT_UNITS = 32;
/** The ranking towers' hidden layers (deeper than the retrieval's linear towers). */
export const RANKING_TOWER_UNITS = [32, 16];
/** The ranking model's fusion layer over [h_u, v_i, x_ui, PNN product] before its MMoE. */
export const RANKING_FUSION_UNITS = 64;
/** Features per (request, show) pair that only the ranking model reads (x_ui, model-trainer.ts crossFeatures). */
export const CROSS_FEATURES = 2;
/** Std of the show-embedding initialisation (larger than DeepCTR's 1e-4 so softmax training starts). */
export const EMBEDDING_INIT_STD = 0.05;

export interface ArchitectureOptions {
  architecture: Architecture;
  experts: number;
  embeddingDim: number;
}

/**
 * Show embeddings and the shared bottom. A show's embedding is v_i = e_id(i) + e_genre(c(i)): the
 * show ID plus its category ("genre", side information the paper allows, Sec. 4.2.1), which lets
 * the few clicks per show generalise across a genre.
 */
export class Backbone {
  readonly items: EmbeddingTable;
  readonly genres: EmbeddingTable;
  readonly bottom: Mlp;
  /** The tables as variables, refreshed from `items` and `genres` before each step so their gradients can be taken. */
  readonly idTable: tf.Variable<tf.Rank.R2>;
  readonly genreTable: tf.Variable<tf.Rank.R2>;
  /** [numItems, numGenres] one-hot of each show's genre. */
  private readonly genreOneHot: tf.Tensor2D;
  readonly dim: number;

  constructor(
    numItems: number,
    private readonly itemGenre: Int32Array,
    numGenres: number,
    dim: number,
    learningRate: number,
    rng: Rng,
  ) {
    this.dim = dim;
    this.items = new EmbeddingTable(numItems, dim, rng.fork(1), {
      learningRate,
      initStd: EMBEDDING_INIT_STD,
    });
    this.genres = new EmbeddingTable(numGenres, dim, rng.fork(3), {
      learningRate,
      initStd: EMBEDDING_INIT_STD,
    });
    this.bottom = new Mlp(dim, [BOTTOM_UNITS], rng.fork(2), { outputActivation: 'relu' });
    this.idTable = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R2>([numItems, dim]), true));
    this.genreTable = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R2>([numGenres, dim]), true));
    this.genreOneHot = tf.tidy(
      () => tf.cast(tf.oneHot(tf.tensor1d(itemGenre, 'int32'), numGenres), 'float32') as tf.Tensor2D,
    );
  }

  /** Copies the embedding rows into the table variables. */
  refresh(): void {
    tf.tidy(() => {
      this.idTable.assign(tf.tensor2d(this.items.weights, [this.items.rows, this.dim]));
      this.genreTable.assign(tf.tensor2d(this.genres.weights, [this.genres.rows, this.dim]));
    });
  }

  /**
   * Every show's embedding v_i (differentiable in the table variables).
   * @returns [numItems, dim]
   */
  shows(): tf.Tensor2D {
    return tf.add(this.idTable, tf.matMul(this.genreOneHot, this.genreTable));
  }

  /** v_i of `items`, row-major [items.length, dim], computed outside the graph. */
  gatherShows(items: Int32Array): Float32Array {
    const d = this.dim;
    const out = new Float32Array(items.length * d);
    for (let s = 0; s < items.length; s++) {
      const id = items[s] * d;
      const genre = this.itemGenre[items[s]] * d;
      for (let k = 0; k < d; k++)
        out[s * d + k] = this.items.weights[id + k] + this.genres.weights[genre + k];
    }
    return out;
  }

  /** All shows' v_i, row-major [numItems, dim]. */
  showWeights(): Float32Array {
    return this.gatherShows(Int32Array.from({ length: this.items.rows }, (_, i) => i));
  }

  /**
   * Adds the gradient of gathered show rows (see gatherShows) to the tables' gradients.
   * @param items [n]
   * @param rowGrad [n * dim]
   * @param idGrad [numItems * dim], updated
   * @param genreGrad [numGenres * dim], updated
   */
  addRowGradient(
    items: Int32Array,
    rowGrad: Float32Array,
    idGrad: Float32Array,
    genreGrad: Float32Array,
  ): void {
    const d = this.dim;
    for (let s = 0; s < items.length; s++) {
      const id = items[s] * d;
      const genre = this.itemGenre[items[s]] * d;
      for (let k = 0; k < d; k++) {
        idGrad[id + k] += rowGrad[s * d + k];
        genreGrad[genre + k] += rowGrad[s * d + k];
      }
    }
  }

  /**
   * h_u from pooled histories.
   * @param pool [requests, shows] pooling weights (1 / history length on the history's shows)
   * @param shows [shows, dim] v_i
   * @returns [requests, BOTTOM_UNITS]
   */
  userState(pool: tf.Tensor2D, shows: tf.Tensor2D): tf.Tensor2D {
    return this.bottom.apply(tf.matMul(pool, shows));
  }

  denseVariables(): tf.Variable[] {
    return this.bottom.variables();
  }

  dispose(): void {
    this.bottom.dispose();
    this.idTable.dispose();
    this.genreTable.dispose();
    this.genreOneHot.dispose();
  }
}

/** Two task representations from one input: MMoE ('prod') or one shared layer ('base'). */
export class MultiTaskLayer {
  private readonly experts: Mlp;
  private readonly gates: Mlp | null;
  private readonly expertCount: number;

  constructor(inputDim: number, options: ArchitectureOptions, rng: Rng) {
    this.expertCount = options.architecture === 'prod' ? options.experts : 1;
    // All experts as one wide layer: one matmul instead of E.
    this.experts = new Mlp(inputDim, [this.expertCount * EXPERT_UNITS], rng.fork(1), {
      outputActivation: 'relu',
    });
    this.gates = this.expertCount > 1 ? new Mlp(inputDim, [2 * this.expertCount], rng.fork(2)) : null;
  }

  /**
   * @param x [n, inputDim]
   * @returns the CTR and DWM task inputs, each [n, EXPERT_UNITS]
   */
  apply(x: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    const expertOut = this.experts.apply(x);
    if (!this.gates) return [expertOut, expertOut];
    const n = x.shape[0];
    const e = this.expertCount;
    // Gate g_t = softmax(W_t x) per task; task input = sum_k g_t[k] * expert_k(x).
    const gates = tf.softmax(tf.reshape(this.gates.apply(x), [n, 2, e]));
    const mixed = tf.matMul(gates, tf.reshape(expertOut, [n, e, EXPERT_UNITS]));
    const [ctr, dwm] = tf.unstack(mixed, 1) as tf.Tensor2D[];
    return [ctr, dwm];
  }

  variables(): tf.Variable[] {
    return [...this.experts.variables(), ...(this.gates ? this.gates.variables() : [])];
  }

  dispose(): void {
    this.experts.dispose();
    this.gates?.dispose();
  }
}

/** Retrieval top layers: u_ctr and u_dwm from h_u. */
export class RetrievalHead {
  private readonly tasks: MultiTaskLayer;
  private readonly ctrTower: Mlp;
  private readonly dwmTower: Mlp;

  constructor(options: ArchitectureOptions, rng: Rng) {
    this.tasks = new MultiTaskLayer(BOTTOM_UNITS, options, rng.fork(1));
    this.ctrTower = new Mlp(EXPERT_UNITS, [options.embeddingDim], rng.fork(2));
    this.dwmTower = new Mlp(EXPERT_UNITS, [options.embeddingDim], rng.fork(3));
  }

  /**
   * @param state [requests, BOTTOM_UNITS] h_u
   * @returns u_ctr and u_dwm, each [requests, embeddingDim]
   */
  apply(state: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    const [ctr, dwm] = this.tasks.apply(state);
    return [this.ctrTower.apply(ctr), this.dwmTower.apply(dwm)];
  }

  variables(): tf.Variable[] {
    return [...this.tasks.variables(), ...this.ctrTower.variables(), ...this.dwmTower.variables()];
  }

  dispose(): void {
    this.tasks.dispose();
    this.ctrTower.dispose();
    this.dwmTower.dispose();
  }
}

/** Ranking top layers: s_ctr and s_dwm for (h_u, v_i, x_ui). */
export class RankingHead {
  private readonly product: Mlp | null;
  private readonly fusion: Mlp;
  private readonly tasks: MultiTaskLayer;
  private readonly ctrTower: Mlp;
  private readonly dwmTower: Mlp;

  constructor(options: ArchitectureOptions, rng: Rng) {
    const dim = options.embeddingDim;
    this.product = options.architecture === 'prod' ? new Mlp(BOTTOM_UNITS, [dim], rng.fork(1)) : null;
    const inputDim = BOTTOM_UNITS + dim + CROSS_FEATURES + (this.product ? dim : 0);
    this.fusion = new Mlp(inputDim, [RANKING_FUSION_UNITS], rng.fork(5), { outputActivation: 'relu' });
    this.tasks = new MultiTaskLayer(RANKING_FUSION_UNITS, options, rng.fork(2));
    this.ctrTower = new Mlp(EXPERT_UNITS, [...RANKING_TOWER_UNITS, 1], rng.fork(3));
    this.dwmTower = new Mlp(EXPERT_UNITS, [...RANKING_TOWER_UNITS, 1], rng.fork(4));
  }

  /**
   * @param state [n, BOTTOM_UNITS] h_u of each sample's request
   * @param shows [n, embeddingDim] v_i of each sample's target show
   * @param interactive [n, CROSS_FEATURES] x_ui
   * @returns s_ctr and s_dwm, each [n]
   */
  apply(state: tf.Tensor2D, shows: tf.Tensor2D, interactive: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D] {
    const parts = [state, shows, interactive];
    if (this.product) parts.push(tf.mul(this.product.apply(state), shows));
    const [ctr, dwm] = this.tasks.apply(this.fusion.apply(tf.concat(parts, 1)));
    const n = state.shape[0];
    return [
      tf.reshape(this.ctrTower.apply(ctr), [n]) as tf.Tensor1D,
      tf.reshape(this.dwmTower.apply(dwm), [n]) as tf.Tensor1D,
    ];
  }

  variables(): tf.Variable[] {
    return [
      ...(this.product ? this.product.variables() : []),
      ...this.fusion.variables(),
      ...this.tasks.variables(),
      ...this.ctrTower.variables(),
      ...this.dwmTower.variables(),
    ];
  }

  dispose(): void {
    this.product?.dispose();
    this.fusion.dispose();
    this.tasks.dispose();
    this.ctrTower.dispose();
    this.dwmTower.dispose();
  }
}
