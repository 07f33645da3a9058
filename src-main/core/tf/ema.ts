/**
 * Exponential-moving-average teacher of DAMCAR (Chen et al., ACM MM 2024, Section 4.2, Eq. 9), whose
 * outputs supervise the student's target-domain pseudo-labels (Eq. 10):
 *   Eq. 9   Theta_tea(t) = alpha * Theta_tea(t - 1) + (1 - alpha) * Theta_stu(t)
 * applied after every student update (Algorithm 1, line 6). The paper uses alpha = 0.99 and states
 * alpha in (0, 1); the endpoints are accepted here as degenerate cases (0: teacher = student,
 * 1: frozen teacher). The teacher is usually initialised as a copy of the student.
 *
 * Three forms: tf.Variable lists (dense layers), plain Float32Array stores (dense update of all
 * entries), and `LazyRowEma` for embedding tables updated sparsely outside autodiff, which gives the
 * same result as the dense update at every step while touching only the rows that changed.
 */
import * as tf from '@tensorflow/tfjs-core';

const FILE = 'src-main/core/tf/ema.ts';

function checkAlpha(alpha: number): void {
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`${FILE}: alpha must be in [0, 1], got ${alpha}`);
}

/**
 * Eq. 9 for each pair of tensors: teacher[k] <- alpha * teacher[k] + (1 - alpha) * student[k].
 * @param teacher [...] variables, updated in place.
 * @param student [...] tensors of the same shapes, in the same order.
 */
export function emaUpdateVariables(
  teacher: readonly tf.Variable[],
  student: readonly tf.Tensor[],
  alpha: number,
): void {
  checkAlpha(alpha);
  if (teacher.length !== student.length) {
    throw new Error(`${FILE}: teacher has ${teacher.length} variables but student has ${student.length}`);
  }
  for (let k = 0; k < teacher.length; k++) {
    const t = teacher[k];
    const s = student[k];
    if (t.shape.length !== s.shape.length || t.shape.some((d, axis) => d !== s.shape[axis])) {
      throw new Error(`${FILE}: teacher[${k}] has shape [${t.shape}] but student[${k}] has [${s.shape}]`);
    }
  }
  tf.tidy(() => {
    for (let k = 0; k < teacher.length; k++) {
      teacher[k].assign(tf.add(tf.mul(teacher[k], alpha), tf.mul(student[k], 1 - alpha)));
    }
  });
}

/**
 * Eq. 9 for a row-major [rows, dim] table whose student rows change only when the optimiser touches
 * them (sparse Adagrad on gathered rows). A row the student leaves unchanged for n steps moves as
 * teacher <- student + alpha^n * (teacher - student), which is the dense update applied n times with
 * a constant student; so each row catches up only when it is touched or read. After `syncAll()` (or
 * `syncRows`) the teacher equals the dense EMA up to float rounding.
 *
 * Protocol per training step: `ema.step(rows, () => applyStudentUpdate())`, passing every row the
 * update may change (and an empty array in a step that changes none). Before reading teacher rows,
 * call `syncRows(rows)` or `syncAll()`.
 */
export class LazyRowEma {
  readonly dim: number;
  readonly alpha: number;
  /** Steps taken (t of Eq. 9). */
  private t = 0;
  /** [rows] the step through which each teacher row is up to date. */
  private readonly syncedAt: Int32Array;

  /**
   * @param teacher [rows * dim] updated in place.
   * @param student [rows * dim] changed only through `step`'s callback.
   */
  constructor(
    readonly teacher: Float32Array,
    readonly student: Float32Array,
    dim: number,
    alpha: number,
  ) {
    checkAlpha(alpha);
    if (!Number.isInteger(dim) || dim < 1)
      throw new Error(`${FILE}: dim must be a positive integer, got ${dim}`);
    if (teacher.length !== student.length || teacher.length % dim !== 0) {
      throw new Error(
        `${FILE}: teacher (${teacher.length}) and student (${student.length}) must have the same length, a multiple of dim=${dim}`,
      );
    }
    this.dim = dim;
    this.alpha = alpha;
    this.syncedAt = new Int32Array(teacher.length / dim);
  }

  /** Number of EMA steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /**
   * One Eq. 9 step: brings `rows` up to date with the current student, lets `updateStudent` change
   * them, then applies the new step to them. Other rows catch up later. Repeated rows are fine.
   * @param rows [n] row indices that `updateStudent` may change.
   */
  step(rows: Int32Array, updateStudent: () => void): void {
    this.syncRows(rows);
    updateStudent();
    this.t++;
    const { teacher, student, dim, alpha, syncedAt, t } = this;
    const beta = 1 - alpha;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k];
      if (syncedAt[row] === t) continue; // repeated row: already stepped
      const base = row * dim;
      for (let d = base; d < base + dim; d++) teacher[d] = alpha * teacher[d] + beta * student[d];
      syncedAt[row] = t;
    }
  }

  /**
   * Brings the teacher rows up to step t: teacher <- student + alpha^n (teacher - student).
   * @param rows [n] row indices.
   */
  syncRows(rows: Int32Array): void {
    const { teacher, student, dim, alpha, syncedAt, t } = this;
    const count = syncedAt.length;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k];
      if (!(row >= 0 && row < count))
        throw new Error(`${FILE}: rows[${k}] = ${row} is outside [0, ${count})`);
      const lag = t - syncedAt[row];
      if (lag === 0) continue;
      const decay = Math.pow(alpha, lag);
      const base = row * dim;
      for (let d = base; d < base + dim; d++) teacher[d] = student[d] + decay * (teacher[d] - student[d]);
      syncedAt[row] = t;
    }
  }

  /** Brings every teacher row up to step t. */
  syncAll(): void {
    const all = new Int32Array(this.syncedAt.length);
    for (let r = 0; r < all.length; r++) all[r] = r;
    this.syncRows(all);
  }
}
