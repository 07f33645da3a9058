/**
 * The embedding L2's owed steps (embedding.ts applyGradientWithL2), and the one place where a
 * second thread may take them while training runs.
 *
 * The authors' DSSM and DeepFM apply l2 * sum(W^2) over every row of every embedding table at
 * every step. A row outside a step's batch owes an L2-only step; EmbeddingTable takes a row's owed
 * steps when the row is next read or updated. Those steps are the same in number whoever takes
 * them (about 2.4 ns an element on one core: 4.6 ms a step for the hybrid DSSM's 1.9 million
 * values, a fifth of its step in a CPU profile). So where a core is free, a background settler
 * (core/node/l2-settler.ts: a worker thread) sweeps the tables and takes them there, over the
 * same SharedArrayBuffer, while the training thread runs its kernels; what the sweep has not
 * reached when the training thread needs a row, the training thread takes itself.
 *
 * Correctness rests on three rules (each is what makes the floats the same as one thread's):
 *  - A row's owed steps are taken by whoever holds its lock (`rowLock`), with `settleL2Row` only:
 *    the same arithmetic in the same order on either thread (JavaScript's float64 operations,
 *    float32 storage after each step), so every row holds the same floats as after a pass over
 *    every row at every step.
 *  - Only the training thread advances `steps` (after its batch rows are updated), and a row owes
 *    only the steps below `steps` that it has not taken, so the other thread never takes a step
 *    that a batch row takes with its loss gradient.
 *  - `params` (decay, learning rate, epsilon) change only after every row has taken its owed
 *    steps with the old ones, and a settler reads them after it reads `steps`.
 */

/** One table's state of the embedding L2 (on SharedArrayBuffers when a settler shares it). */
export interface L2State {
  readonly rows: number;
  readonly dim: number;
  /** [rows * dim] row-major weights */
  readonly weights: Float32Array;
  /** [rows * dim] Adagrad accumulators */
  readonly accumulators: Float32Array;
  /** [rows] how many of the table's L2 steps each row has taken (read and written atomically) */
  readonly rowStep: Int32Array;
  /** [rows] 0 while no thread settles the row, 1 while one does */
  readonly rowLock: Int32Array;
  /** [1] the L2 steps the table has taken; only the training thread writes it */
  readonly steps: Int32Array;
  /** [decay (2 * l2), learning rate, epsilon] of the owed steps */
  readonly params: Float64Array;
}

/**
 * Brings row `id` up to `target` L2 steps under its lock: for each owed step, per element,
 * g = decay * w, G = acc + g^2, w -= lr * g / (sqrt(G) + eps). Self-contained (no reference to
 * anything outside it) because the background settler runs its source text in a worker thread.
 */
export function settleL2Row(state: L2State, id: number, target: number): void {
  const { rowStep, rowLock } = state;
  if (Atomics.load(rowStep, id) >= target) return;
  let spins = 0;
  while (Atomics.compareExchange(rowLock, id, 0, 1) !== 0) {
    // Held by the other thread for the few hundred nanoseconds of one row; past a thousand tries
    // it was descheduled, so sleep briefly rather than burn the core it needs.
    spins++;
    if (spins > 1000) Atomics.wait(rowLock, id, 1, 0.05);
  }
  const owed = target - rowStep[id];
  if (owed > 0) {
    const w = state.weights;
    const acc = state.accumulators;
    const decay = state.params[0];
    const lr = state.params[1];
    const eps = state.params[2];
    const start = id * state.dim;
    const end = start + state.dim;
    // Steps outer, elements inner: an element's steps depend on each other, the row's elements
    // do not, so the inner loop's square roots and divisions overlap.
    for (let step = 0; step < owed; step++) {
      for (let k = start; k < end; k++) {
        const g = decay * w[k];
        const G = acc[k] + g * g;
        acc[k] = G;
        w[k] -= (lr * g) / (Math.sqrt(G) + eps);
      }
    }
    Atomics.store(rowStep, id, target);
  }
  Atomics.store(rowLock, id, 0);
}

/** Takes owed L2 steps of registered tables on another thread. */
export interface BackgroundL2Settler {
  /** Starts sweeping the table (its arrays on SharedArrayBuffers); the result stops it. */
  add(state: L2State): () => void;
  /** Says that a table took a step (its `steps` moved on). */
  wake(): void;
}

/** Tables smaller than this settle on the training thread: a sweep would not pay for itself. */
export const BACKGROUND_L2_MIN_VALUES = 1 << 16;

let installed: BackgroundL2Settler | null = null;

/**
 * Installs (or with null removes) this thread's background settler. Tables created afterwards
 * with at least BACKGROUND_L2_MIN_VALUES values share their L2 with it.
 */
export function useBackgroundL2Settler(settler: BackgroundL2Settler | null): void {
  installed = settler;
}

export function backgroundL2Settler(): BackgroundL2Settler | null {
  return installed;
}
