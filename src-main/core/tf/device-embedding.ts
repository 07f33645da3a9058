/**
 * Embedding table resident on the tfjs backend's device: the GPU counterpart of EmbeddingTable
 * (tf/embedding.ts), for steps that must not read anything back but the loss.
 *
 * The host table keeps rows in a Float32Array and needs the gathered rows' gradient read back
 * every step; on WebGPU that readback (and the upload of the gathered rows) is a host round trip
 * per step, the cost that bounds small batches. Here the rows and the Adagrad accumulators are
 * tf.Variables: rows are gathered with tf.gather and the update is
 *
 *   g = scatterND(ids, rowGrads, [rows, dim])    (repeated ids' gradients summed: coalescing)
 *   G <- G + g^2,   w <- w - lr * g / (sqrt(G) + eps)
 *
 * on the whole table, all inside one tf.tidy with no host read. Rows absent from the batch get
 * g = 0, so G and w keep their values (w - lr * 0 / (sqrt(G) + eps) = w, also for G = 0 since
 * eps > 0): the same update as the host table's sparse Adagrad (PyTorch's form), at the cost of
 * touching every entry, which a GPU does in microseconds and a CPU does not (use the host table
 * there). Arithmetic is float32 throughout, where the host table keeps G + g^2 in double before
 * the square root, and summing repeated ids may run in another order: results agree within
 * float32 rounding, not bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';
import { ADAGRAD_DEFAULTS, type EmbeddingOptions, type EmbeddingTable } from './embedding';

export class DeviceEmbeddingTable {
  readonly rows: number;
  readonly dim: number;
  /** [rows, dim] */
  readonly weights: tf.Variable<tf.Rank.R2>;
  /** Adagrad accumulators, [rows, dim]. */
  readonly accumulators: tf.Variable<tf.Rank.R2>;
  learningRate: number;
  readonly epsilon: number;

  /**
   * Initialised as EmbeddingTable is (N(0, initStd) row-major from `rng`), so the same rng state
   * gives the same starting rows on both.
   */
  constructor(rows: number, dim: number, rng: Rng, options: EmbeddingOptions);
  /** Uploads `initial` ([rows * dim], row-major) and the given accumulators. */
  constructor(
    rows: number,
    dim: number,
    initial: Float32Array,
    options: EmbeddingOptions,
    accumulators?: Float32Array,
  );
  constructor(
    rows: number,
    dim: number,
    source: Rng | Float32Array,
    options: EmbeddingOptions,
    accumulators?: Float32Array,
  ) {
    if (!Number.isInteger(rows) || rows < 1)
      throw new Error(`DeviceEmbeddingTable: rows must be an integer >= 1, got ${rows}`);
    if (!Number.isInteger(dim) || dim < 1)
      throw new Error(`DeviceEmbeddingTable: dim must be an integer >= 1, got ${dim}`);
    this.rows = rows;
    this.dim = dim;
    let initial: Float32Array;
    if (source instanceof Float32Array) {
      if (source.length !== rows * dim)
        throw new Error(
          `DeviceEmbeddingTable: initial rows hold ${source.length} values, expected ${rows * dim}`,
        );
      initial = source;
    } else {
      const std = options.initStd ?? 1e-4;
      initial = new Float32Array(rows * dim);
      for (let k = 0; k < initial.length; k++) initial[k] = source.normal(0, std);
    }
    if (accumulators && accumulators.length !== rows * dim)
      throw new Error(
        `DeviceEmbeddingTable: accumulators hold ${accumulators.length} values, expected ${rows * dim}`,
      );
    const start = options.initialAccumulator ?? ADAGRAD_DEFAULTS.initialAccumulator;
    // Copies: the cpu backend would otherwise keep the caller's arrays as its storage.
    this.weights = tf.tidy(() => tf.variable(tf.tensor2d(initial.slice(), [rows, dim]), false));
    this.accumulators = tf.tidy(() =>
      tf.variable(
        accumulators ? tf.tensor2d(accumulators.slice(), [rows, dim]) : tf.fill([rows, dim], start),
        false,
      ),
    );
    this.learningRate = options.learningRate;
    this.epsilon = options.epsilon ?? ADAGRAD_DEFAULTS.epsilon;
  }

  /** A device copy of a host table: its rows, accumulators, learning rate and epsilon. */
  static fromHost(table: EmbeddingTable): DeviceEmbeddingTable {
    return new DeviceEmbeddingTable(
      table.rows,
      table.dim,
      table.weights,
      { learningRate: table.learningRate, epsilon: table.epsilon },
      table.accumulators,
    );
  }

  /**
   * The rows of `ids`, gathered on the device (a tensor of the caller's scope, like every op result).
   * @param ids [batch] int32 row ids in [0, rows)
   * @returns [batch, dim]
   */
  gather(ids: tf.Tensor1D): tf.Tensor2D {
    return tf.gather(this.weights, ids);
  }

  /**
   * Sparse Adagrad of the rows of `ids`, on the device, without reading anything back.
   * @param ids [batch] int32 row ids, repeats allowed (their gradients are summed first)
   * @param grad [batch, dim] gradient of the loss w.r.t. the gathered rows
   */
  applyGradient(ids: tf.Tensor1D, grad: tf.Tensor2D): void {
    if (grad.shape[0] !== ids.shape[0] || grad.shape[1] !== this.dim)
      throw new Error(
        `DeviceEmbeddingTable: gradient shape [${grad.shape.join(', ')}] does not match ids [${ids.shape[0]}] x dim ${this.dim}`,
      );
    tf.tidy(() => {
      const g = tf.scatterND(tf.expandDims(ids, 1), grad, [this.rows, this.dim]);
      const G = tf.add<tf.Tensor2D>(this.accumulators, tf.square(g));
      const step = tf.div(
        tf.mul(g, tf.scalar(this.learningRate)),
        tf.add(tf.sqrt(G), tf.scalar(this.epsilon)),
      );
      this.accumulators.assign(G);
      this.weights.assign(tf.sub<tf.Tensor2D>(this.weights, step));
    });
  }

  /** Reads the table back (for tests and checkpoints): rows and accumulators, row-major. */
  async read(): Promise<{ weights: Float32Array; accumulators: Float32Array }> {
    const [weights, accumulators] = await Promise.all([this.weights.data(), this.accumulators.data()]);
    return { weights: weights as Float32Array, accumulators: accumulators as Float32Array };
  }

  dispose(): void {
    this.weights.dispose();
    this.accumulators.dispose();
  }
}
