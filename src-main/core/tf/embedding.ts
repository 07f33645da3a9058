/**
 * Embedding table kept outside the autodiff graph.
 *
 * Rows live in a plain Float32Array. A training step gathers the batch's rows into a tensor,
 * takes the gradient with respect to that gathered tensor, and hands it back here for a sparse
 * Adagrad update of just those rows. This avoids tfjs' dense gather gradient (a scatter into a
 * zero tensor the size of the whole table) and keeps per-step cost independent of table size.
 *
 * Adagrad as in PyTorch's torch.optim.Adagrad (the DAMCAR authors' optimizer), sparse path:
 * gradients of repeated ids in one batch are summed first (coalesced), then per row
 *   G <- G + g^2,   w <- w - lr * g / (sqrt(G) + eps)
 * with PyTorch's defaults initial_accumulator_value = 0 and eps = 1e-10 (eps outside the root).
 * So the first update of an entry moves it by lr * sign(g).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';

export interface AdagradOptions {
  learningRate: number;
  /** Starting value of the squared-gradient accumulator (PyTorch default 0). */
  initialAccumulator?: number;
  /** Added to sqrt(G) (PyTorch default 1e-10). */
  epsilon?: number;
}

export const ADAGRAD_DEFAULTS = { initialAccumulator: 0, epsilon: 1e-10 } as const;

export interface EmbeddingOptions extends AdagradOptions {
  /**
   * Standard deviation of the normal initialisation. Default 1e-4, DeepCTR-Torch's `init_std`
   * for embeddings (the authors' code base).
   */
  initStd?: number;
}

export class EmbeddingTable {
  readonly rows: number;
  readonly dim: number;
  /** Row-major [rows, dim]. */
  readonly weights: Float32Array;
  /** Adagrad accumulators, row-major [rows, dim]. */
  readonly accumulators: Float32Array;
  learningRate: number;
  readonly epsilon: number;
  /** Row -> slot in the current update, -1 when unused; reset after each update. */
  private readonly slotOfRow: Int32Array;
  /**
   * Reused per update (grown on demand): distinct rows, where each one's first gradient starts,
   * the summed-gradient slot of repeated rows (-1 for rows seen once) and those sums.
   */
  private uniqueRows = new Int32Array(0);
  private firstSource = new Int32Array(0);
  private sumSlot = new Int32Array(0);
  private summed = new Float32Array(0);
  /** applyGradientWithL2's per-row sums of the batch's gradient, allocated on first use. */
  private fullGradient: Float32Array | null = null;

  constructor(rows: number, dim: number, rng: Rng, options: EmbeddingOptions) {
    if (!Number.isInteger(rows) || rows < 1)
      throw new Error(`EmbeddingTable: rows must be an integer >= 1, got ${rows}`);
    if (!Number.isInteger(dim) || dim < 1)
      throw new Error(`EmbeddingTable: dim must be an integer >= 1, got ${dim}`);
    this.rows = rows;
    this.dim = dim;
    const std = options.initStd ?? 1e-4;
    this.weights = new Float32Array(rows * dim);
    for (let k = 0; k < this.weights.length; k++) this.weights[k] = rng.normal(0, std);
    this.accumulators = new Float32Array(rows * dim).fill(
      options.initialAccumulator ?? ADAGRAD_DEFAULTS.initialAccumulator,
    );
    this.learningRate = options.learningRate;
    this.epsilon = options.epsilon ?? ADAGRAD_DEFAULTS.epsilon;
    this.slotOfRow = new Int32Array(rows).fill(-1);
  }

  /** Copies the rows of `ids` into `out` (row-major [ids.length, dim]). */
  gatherInto(ids: Int32Array, out: Float32Array, outOffset = 0): void {
    const dim = this.dim;
    for (let b = 0; b < ids.length; b++) {
      const id = ids[b];
      if (!(id >= 0 && id < this.rows)) throw new Error(`EmbeddingTable: id ${id} outside [0, ${this.rows})`);
      out.set(this.weights.subarray(id * dim, id * dim + dim), outOffset + b * dim);
    }
  }

  /**
   * The rows of `ids` as a new tensor.
   * @returns [ids.length, dim]
   */
  gather(ids: Int32Array): tf.Tensor2D {
    const out = new Float32Array(ids.length * this.dim);
    this.gatherInto(ids, out);
    return tf.tensor2d(out, [ids.length, this.dim]);
  }

  /**
   * Sparse Adagrad update of the rows of `ids`.
   * @param ids [batch] row ids, repeats allowed (their gradients are summed first)
   * @param grad [batch * dim] gradient of the loss w.r.t. the gathered rows, row-major
   * @param gradOffset where the [batch * dim] block starts in `grad`
   */
  applyGradient(ids: Int32Array, grad: Float32Array, gradOffset = 0): void {
    const dim = this.dim;
    if (grad.length - gradOffset < ids.length * dim) {
      throw new Error(
        `EmbeddingTable: gradient has ${grad.length - gradOffset} values, expected ${ids.length * dim}`,
      );
    }
    // Validate first so a bad id cannot leave slotOfRow half-filled.
    for (let b = 0; b < ids.length; b++) {
      if (!(ids[b] >= 0 && ids[b] < this.rows))
        throw new Error(`EmbeddingTable: id ${ids[b]} outside [0, ${this.rows})`);
    }
    const slotOfRow = this.slotOfRow;
    if (this.uniqueRows.length < ids.length) {
      this.uniqueRows = new Int32Array(ids.length);
      this.firstSource = new Int32Array(ids.length);
      this.sumSlot = new Int32Array(ids.length);
      this.summed = new Float32Array(ids.length * dim);
    }
    const unique = this.uniqueRows;
    const firstSource = this.firstSource;
    const sumSlot = this.sumSlot;
    const summed = this.summed;
    // Coalesce. A row seen once (most rows of a batch) is updated straight from `grad`; only
    // repeated rows get a summed copy, started at their second occurrence. Sums run in batch
    // order from the first occurrence, so they equal 0 + g1 + g2 + ... exactly.
    let distinct = 0;
    let repeated = 0;
    for (let b = 0; b < ids.length; b++) {
      const id = ids[b];
      const src = gradOffset + b * dim;
      const slot = slotOfRow[id];
      if (slot < 0) {
        slotOfRow[id] = distinct;
        unique[distinct] = id;
        firstSource[distinct] = src;
        sumSlot[distinct] = -1;
        distinct++;
        continue;
      }
      let dst = sumSlot[slot] * dim;
      if (dst < 0) {
        dst = repeated * dim;
        sumSlot[slot] = repeated++;
        summed.set(grad.subarray(firstSource[slot], firstSource[slot] + dim), dst);
      }
      for (let k = 0; k < dim; k++) summed[dst + k] += grad[src + k];
    }
    const lr = this.learningRate;
    const eps = this.epsilon;
    const w = this.weights;
    const acc = this.accumulators;
    for (let s = 0; s < distinct; s++) {
      const row = unique[s] * dim;
      const q = sumSlot[s];
      const g32 = q < 0 ? grad : summed;
      const src = q < 0 ? firstSource[s] : q * dim;
      for (let k = 0; k < dim; k++) {
        const g = g32[src + k];
        const G = acc[row + k] + g * g;
        acc[row + k] = G;
        w[row + k] -= (lr * g) / (Math.sqrt(G) + eps);
      }
      slotOfRow[unique[s]] = -1;
    }
  }

  /**
   * Adagrad step of the batch's loss plus l2 * sum(W^2) over the WHOLE table: every row gets the
   * gradient 2 * l2 * w, and the batch's rows their loss gradient on top. This is what PyTorch's
   * dense Adagrad does with the DAMCAR authors' embedding regulariser (DeepCTR-Torch
   * `get_regularization_loss`), so rows outside the batch move too: Adagrad's first step is
   * lr * sign(g) whatever the size of g. Costs O(rows * dim) per step.
   * @param ids [batch] row ids, repeats allowed
   * @param grad [batch * dim] gradient of the loss w.r.t. the gathered rows, from `gradOffset`
   */
  applyGradientWithL2(ids: Int32Array, grad: Float32Array, gradOffset: number, l2: number): void {
    const dim = this.dim;
    if (grad.length - gradOffset < ids.length * dim) {
      throw new Error(
        `EmbeddingTable: gradient has ${grad.length - gradOffset} values, expected ${ids.length * dim}`,
      );
    }
    const w = this.weights;
    // The batch's gradient summed per row, in a zeroed block per distinct row: one pass over the
    // table then adds it where a row has one (one branch per row, not per element).
    this.fullGradient ??= new Float32Array(ids.length * dim);
    if (this.fullGradient.length < ids.length * dim) this.fullGradient = new Float32Array(ids.length * dim);
    const batchGradient = this.fullGradient;
    const slotOfRow = this.slotOfRow;
    let distinct = 0;
    for (let b = 0; b < ids.length; b++) {
      const id = ids[b];
      if (!(id >= 0 && id < this.rows)) {
        for (let k = 0; k < b; k++) slotOfRow[ids[k]] = -1;
        throw new Error(`EmbeddingTable: id ${id} outside [0, ${this.rows})`);
      }
      let slot = slotOfRow[id];
      if (slot < 0) {
        slot = distinct++;
        slotOfRow[id] = slot;
        batchGradient.fill(0, slot * dim, slot * dim + dim);
      }
      const src = gradOffset + b * dim;
      const dst = slot * dim;
      for (let k = 0; k < dim; k++) batchGradient[dst + k] += grad[src + k];
    }
    const lr = this.learningRate;
    const eps = this.epsilon;
    const acc = this.accumulators;
    const decay = 2 * l2;
    for (let row = 0; row < this.rows; row++) {
      const start = row * dim;
      const slot = slotOfRow[row];
      if (slot < 0) {
        for (let k = start; k < start + dim; k++) {
          const g = decay * w[k];
          const G = acc[k] + g * g;
          acc[k] = G;
          w[k] -= (lr * g) / (Math.sqrt(G) + eps);
        }
        continue;
      }
      slotOfRow[row] = -1;
      const offset = slot * dim - start;
      for (let k = start; k < start + dim; k++) {
        const g = decay * w[k] + batchGradient[offset + k];
        const G = acc[k] + g * g;
        acc[k] = G;
        w[k] -= (lr * g) / (Math.sqrt(G) + eps);
      }
    }
  }
}
