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
import {
  BACKGROUND_L2_MIN_VALUES,
  type BackgroundL2Settler,
  type L2State,
  backgroundL2Settler,
  settleL2Row,
} from './embedding-l2';

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
  /**
   * Whether its owner trains it with applyGradientWithL2. Only such a table goes on
   * SharedArrayBuffers for a background settler: those arrays measured about 5% slower on the
   * DeepFM step without L2, where there is nothing to share.
   */
  trainsWithL2?: boolean;
}

/** Stops the background settler's sweeps of a table that was never disposed, once it is garbage. */
const undisposedTables = new FinalizationRegistry<() => void>((stop) => stop());

export class EmbeddingTable {
  readonly rows: number;
  readonly dim: number;
  /** Row-major [rows, dim]; read through `weights`, which brings every row up to date first. */
  private readonly rowWeights: Float32Array;
  /** Adagrad accumulators, row-major [rows, dim]; read through `accumulators`. */
  private readonly rowAccumulators: Float32Array;
  /** Whether the arrays are on SharedArrayBuffers, for a background settler (embedding-l2.ts). */
  private readonly shareable: boolean;
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
  /**
   * The L2-only steps owed to rows outside applyGradientWithL2's batches (see there): how many
   * such steps the table has taken, the count each row is up to date with, and the decay and
   * learning rate they were taken with; null until the first applyGradientWithL2.
   */
  private l2: L2State | null = null;
  /** The background settler sweeping this table, and how to stop it (null while none does). */
  private background: { settler: BackgroundL2Settler; stop: () => void } | null = null;

  constructor(rows: number, dim: number, rng: Rng, options: EmbeddingOptions) {
    if (!Number.isInteger(rows) || rows < 1)
      throw new Error(`EmbeddingTable: rows must be an integer >= 1, got ${rows}`);
    if (!Number.isInteger(dim) || dim < 1)
      throw new Error(`EmbeddingTable: dim must be an integer >= 1, got ${dim}`);
    this.rows = rows;
    this.dim = dim;
    const std = options.initStd ?? 1e-4;
    this.shareable =
      options.trainsWithL2 === true &&
      backgroundL2Settler() !== null &&
      rows * dim >= BACKGROUND_L2_MIN_VALUES;
    this.rowWeights = this.zeroed(Float32Array, rows * dim);
    for (let k = 0; k < this.rowWeights.length; k++) this.rowWeights[k] = rng.normal(0, std);
    this.rowAccumulators = this.zeroed(Float32Array, rows * dim).fill(
      options.initialAccumulator ?? ADAGRAD_DEFAULTS.initialAccumulator,
    );
    this.learningRate = options.learningRate;
    this.epsilon = options.epsilon ?? ADAGRAD_DEFAULTS.epsilon;
    this.slotOfRow = new Int32Array(rows).fill(-1);
  }

  /** A zeroed array of `length` elements, on a SharedArrayBuffer when the table is shareable. */
  private zeroed<T extends Float32Array | Float64Array | Int32Array>(
    make: { new (buffer: ArrayBufferLike): T; BYTES_PER_ELEMENT: number },
    length: number,
  ): T {
    const bytes = length * make.BYTES_PER_ELEMENT;
    return new make(this.shareable ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  }

  /**
   * Ends the background settler's sweeps of this table, if it has them. The table stays usable
   * (its owed steps are then taken on this thread); its owners call this when they are disposed.
   */
  dispose(): void {
    if (!this.background) return;
    undisposedTables.unregister(this);
    this.background.stop();
    this.background = null;
  }

  /** Every row's weights, row-major [rows, dim], up to date (a writable view of the table). */
  get weights(): Float32Array {
    this.settleAllRows();
    return this.rowWeights;
  }

  /** Every row's Adagrad accumulators, row-major [rows, dim], up to date (a writable view). */
  get accumulators(): Float32Array {
    this.settleAllRows();
    return this.rowAccumulators;
  }

  /** One row's weights, up to date: a view valid until the table's next update. @returns [dim] */
  row(id: number): Float32Array {
    if (!(id >= 0 && id < this.rows)) throw new Error(`EmbeddingTable: id ${id} outside [0, ${this.rows})`);
    const l2 = this.l2;
    if (l2) settleL2Row(l2, id, l2.steps[0]);
    return this.rowWeights.subarray(id * this.dim, id * this.dim + this.dim);
  }

  /** Copies the rows of `ids` into `out` (row-major [ids.length, dim]). */
  gatherInto(ids: Int32Array, out: Float32Array, outOffset = 0): void {
    const dim = this.dim;
    for (let b = 0; b < ids.length; b++) out.set(this.row(ids[b]), outOffset + b * dim);
  }

  /** Grows the per-update scratch arrays to hold a batch of `batch` ids. */
  private growScratch(batch: number): void {
    if (this.uniqueRows.length >= batch) return;
    this.uniqueRows = new Int32Array(batch);
    this.firstSource = new Int32Array(batch);
    this.sumSlot = new Int32Array(batch);
    this.summed = new Float32Array(batch * this.dim);
  }

  /** Settles every row; afterwards no row is owed anything. */
  private settleAllRows(): void {
    const l2 = this.l2;
    if (!l2) return;
    for (let id = 0; id < this.rows; id++) settleL2Row(l2, id, l2.steps[0]);
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
    this.growScratch(ids.length);
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
    const w = this.rowWeights;
    const acc = this.rowAccumulators;
    const l2 = this.l2;
    for (let s = 0; s < distinct; s++) {
      // Steps of applyGradientWithL2 that this row still owes come before this one.
      if (l2) settleL2Row(l2, unique[s], l2.steps[0]);
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
   * lr * sign(g) whatever the size of g.
   *
   * A row outside the batch takes its L2-only step when it is next read or updated (row, gather,
   * weights, accumulators, the next update of its row), owed steps one after another with the same
   * arithmetic and float32 rounding, so the table holds the same floats as after a pass over every
   * row at every step (tested). That pass was 4.6 ms a step on its own and 8.7 ms, a quarter of
   * the hybrid DSSM step, inside training, where 15 MB of weights and accumulators fall out of
   * cache; a row's owed steps run while the row is in cache (hybrid step 1.12x / 1.04x at batch
   * 512 / 4,096). The square roots and divisions are the same in number: a step costs
   * O(batch * dim) plus the owed steps that its reads settle. Where a background settler is
   * installed (embedding-l2.ts), a worker thread takes the owed steps meanwhile, with the same
   * function, so the training thread finds most rows already settled (hybrid step about 1.2x).
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
    // The batch's gradient summed per row, in a zeroed block per distinct row.
    this.fullGradient ??= new Float32Array(ids.length * dim);
    if (this.fullGradient.length < ids.length * dim) this.fullGradient = new Float32Array(ids.length * dim);
    const batchGradient = this.fullGradient;
    const slotOfRow = this.slotOfRow;
    this.growScratch(ids.length);
    const unique = this.uniqueRows;
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
        unique[slot] = id;
        batchGradient.fill(0, slot * dim, slot * dim + dim);
      }
      const src = gradOffset + b * dim;
      const dst = slot * dim;
      for (let k = 0; k < dim; k++) batchGradient[dst + k] += grad[src + k];
    }
    const lr = this.learningRate;
    const decay = 2 * l2;
    const state = this.l2 ?? this.startL2(decay, lr);
    const { params, rowStep } = state;
    const steps = state.steps[0];
    // Owed steps were taken with their own decay and learning rate: settle them before a change.
    if (decay !== params[0] || lr !== params[1]) {
      this.settleAllRows();
      params[0] = decay;
      params[1] = lr;
    }
    const eps = this.epsilon;
    const w = this.rowWeights;
    const acc = this.rowAccumulators;
    for (let s = 0; s < distinct; s++) {
      const id = unique[s];
      slotOfRow[id] = -1;
      settleL2Row(state, id, steps);
      // No lock from here: a settler takes only steps below state.steps, which this row has.
      Atomics.store(rowStep, id, steps + 1);
      const start = id * dim;
      const offset = s * dim - start;
      for (let k = start; k < start + dim; k++) {
        const g = decay * w[k] + batchGradient[offset + k];
        const G = acc[k] + g * g;
        acc[k] = G;
        w[k] -= (lr * g) / (Math.sqrt(G) + eps);
      }
    }
    Atomics.store(state.steps, 0, steps + 1);
    this.background?.settler.wake();
  }

  /** The L2 state of the first applyGradientWithL2, shared with the background settler if any. */
  private startL2(decay: number, learningRate: number): L2State {
    const params = this.zeroed(Float64Array, 3);
    params.set([decay, learningRate, this.epsilon]);
    const state: L2State = {
      rows: this.rows,
      dim: this.dim,
      weights: this.rowWeights,
      accumulators: this.rowAccumulators,
      rowStep: this.zeroed(Int32Array, this.rows),
      rowLock: this.zeroed(Int32Array, this.rows),
      steps: this.zeroed(Int32Array, 1),
      params,
    };
    this.l2 = state;
    const settler = this.shareable ? backgroundL2Settler() : null;
    if (settler) {
      const stop = settler.add(state);
      this.background = { settler, stop };
      undisposedTables.register(this, stop, this);
    }
    return state;
  }
}
