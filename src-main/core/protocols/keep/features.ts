/**
 * Model inputs built outside the autodiff graph: embedding rows of several fields (and an item's
 * dense vector) laid side by side in one [rows, width] block, so a training step uploads one
 * tensor per block, takes one gradient for it, and hands each field's columns back to its
 * EmbeddingTable for the sparse Adagrad update (tf/embedding.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingTable } from '../../tf/embedding';
import type { Rng } from '../../random';
import type { Mlp } from '../../tf/dense';
import { denseLayer, glorotUniform } from '../../tf/dense';

/** One embedding field: a table and the row id of each input row. */
export interface EmbeddingField {
  table: EmbeddingTable;
  /** [rows] */
  ids: Int32Array;
}

/** Item dense vectors appended after the embedding fields (no gradient: they are raw features). */
export interface DenseField {
  dim: number;
  /** [numItems * dim] */
  values: Float32Array;
  /** [rows] item of each row */
  items: Int32Array;
}

/** Columns of a block: its embedding fields side by side, then the dense vector. */
export class InputBlock {
  readonly rows: number;
  readonly width: number;
  private gradBuffer = new Float32Array(0);

  constructor(
    readonly fields: readonly EmbeddingField[],
    readonly dense: DenseField | null = null,
  ) {
    const rows = fields.length > 0 ? fields[0].ids.length : (dense?.items.length ?? 0);
    for (const f of fields)
      if (f.ids.length !== rows) throw new Error(`InputBlock: fields have ${f.ids.length} and ${rows} rows`);
    if (dense && dense.items.length !== rows)
      throw new Error(`InputBlock: dense field has ${dense.items.length} rows, fields ${rows}`);
    this.rows = rows;
    this.width = fields.reduce((s, f) => s + f.table.dim, 0) + (dense && dense.dim > 0 ? dense.dim : 0);
  }

  /** The block's values, row-major [rows, width]. */
  values(): Float32Array {
    const out = new Float32Array(this.rows * this.width);
    let column = 0;
    for (const { table, ids } of this.fields) {
      const dim = table.dim;
      const w = table.weights;
      for (let r = 0; r < this.rows; r++) {
        const id = ids[r];
        if (!(id >= 0 && id < table.rows)) throw new Error(`InputBlock: id ${id} outside [0, ${table.rows})`);
        out.set(w.subarray(id * dim, id * dim + dim), r * this.width + column);
      }
      column += dim;
    }
    const dense = this.dense;
    if (dense && dense.dim > 0) {
      for (let r = 0; r < this.rows; r++) {
        const i = dense.items[r];
        out.set(dense.values.subarray(i * dense.dim, i * dense.dim + dense.dim), r * this.width + column);
      }
    }
    return out;
  }

  /** @returns [rows, width] */
  tensor(): tf.Tensor2D {
    return tf.tensor2d(this.values(), [this.rows, this.width]);
  }

  /**
   * Sparse Adagrad update of every field from the gradient of the block.
   * @param grad [rows * width] row-major, starting at `offset`
   */
  applyGradient(grad: Float32Array, offset: number): void {
    let column = 0;
    for (const { table, ids } of this.fields) {
      const dim = table.dim;
      if (this.gradBuffer.length < this.rows * dim) this.gradBuffer = new Float32Array(this.rows * dim);
      const buffer = this.gradBuffer;
      for (let r = 0; r < this.rows; r++) {
        const start = offset + r * this.width + column;
        buffer.set(grad.subarray(start, start + dim), r * dim);
      }
      table.applyGradient(ids, buffer);
      column += dim;
    }
  }
}

/** The category of each item. */
export function categoriesOf(items: Int32Array, itemCategory: Int32Array): Int32Array {
  return Int32Array.from(items, (i) => itemCategory[i]);
}

/**
 * Applies layers [from, to) of an Mlp (each one fused matmul + bias + activation).
 * @param x [rows, inputDim of layer `from`]
 * @returns [rows, units of layer to - 1]
 */
export function applyLayers(mlp: Mlp, x: tf.Tensor2D, from: number, to: number): tf.Tensor2D {
  let h = x;
  for (let k = from; k < to; k++) {
    const layer = mlp.layers[k];
    h = denseLayer(h, layer.kernel, layer.bias, layer.activation);
  }
  return h;
}

/** [0, 1, ..., n - 1] shifted by start. */
export function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: Math.max(0, end - start) }, (_, k) => start + k);
}

/**
 * Explicit user-item interaction feature p = u * (v W) (element-wise): the user-side embedding
 * times a learned projection of the item-side inputs. It stands in for the feature-interaction
 * module of the paper's models (DIN's target attention in the extractor, CAN's co-action unit in
 * the downstream model), which an MLP on concatenated embeddings learns only slowly.
 */
export class CoActionUnit {
  /** [itemWidth, userWidth] */
  readonly projection: tf.Variable<tf.Rank.R2>;

  constructor(itemWidth: number, userWidth: number, rng: Rng) {
    const values = glorotUniform(itemWidth, userWidth, rng);
    this.projection = tf.tidy(() => tf.variable(tf.tensor2d(values, [itemWidth, userWidth]), true));
  }

  /**
   * @param user [rows, userWidth]
   * @param item [rows, itemWidth]
   * @returns [rows, userWidth]
   */
  apply(user: tf.Tensor2D, item: tf.Tensor2D): tf.Tensor2D {
    return tf.mul(user, tf.matMul(item, this.projection));
  }

  dispose(): void {
    this.projection.dispose();
  }
}
