/**
 * Rows of a pure function computed ahead on a helper thread, for loops that run on one thread and
 * visit those rows in a known order: the simulator's per-user retrieval weights (data/simulator.ts,
 * beside its sequential random stream) and the simulated ground truth's per-user labels (two users
 * of every three, while the evaluation computes the third and scores and ranks).
 *
 * Core declares what a helper is and holds the one this thread uses; core/node/row-helper-thread.ts
 * installs one backed by a worker thread. The kernel that computes a row is one function, run by
 * the helper from its source text and by the caller itself where no helper is installed, where the
 * job is too small to pay for a thread, or where the helper stopped: the same function on the same
 * inputs, so the same floats bit for bit whichever thread ran it.
 */

/** What a kernel reads: numbers and typed arrays (copied to the helper thread once, at its start). */
export type RowKernelInput = Readonly<
  Record<string, number | Float64Array | Float32Array | Int32Array | Uint8Array>
>;

/** One row's output space: the same memory as float64 and as int32 words. */
export interface RowSlot {
  readonly f64: Float64Array;
  readonly i32: Int32Array;
}

/**
 * Writes row `row`'s result into `slot` and returns a number that goes with it (a count, a
 * maximum). Self-contained: the helper runs its source text, so it may call only the functions of
 * its job's `helpers` and globals such as Math, and names no other variable of its module.
 */
export type RowKernel<I extends RowKernelInput> = (input: I, row: number, slot: RowSlot) => number;

/** Self-contained functions a kernel calls (each declared on the helper thread under its name). */
export type RowKernelHelper = (...args: never[]) => unknown;

export interface RowJob<I extends RowKernelInput> {
  kernel: RowKernel<I>;
  helpers?: readonly RowKernelHelper[];
  input: I;
  /** The rows to compute, in the order `next` returns them. */
  rows: Int32Array;
  /** float64 words of one row's slot. */
  slotWords: number;
  /**
   * Rows the helper may run ahead of the taker (default: the helpers' own): more where the taker
   * stops taking for a while, as the evaluation does while it scores a block of users.
   */
  slots?: number;
  /** Rough cost of the whole job in element operations (rows x items), against the helper's minimum. */
  work: number;
}

export interface RowStream {
  /**
   * The result of the job's next row (its slot stays valid until the next call or `close`), or
   * null once the helper cannot give it (stopped, failed or done): the caller then computes that
   * row and every later one itself.
   */
  next(): { value: number; slot: RowSlot } | null;
  /** Stops the helper (rows not taken are dropped). */
  close(): void;
}

export interface RowHelpers {
  /** A stream of the job's rows computed on a helper thread, or null where a thread would not pay. */
  start<I extends RowKernelInput>(job: RowJob<I>): RowStream | null;
}

let installed: RowHelpers | null = null;

/** Installs (or with null removes) this thread's row helpers. */
export function useRowHelpers(helpers: RowHelpers | null): void {
  installed = helpers;
}

export function rowHelpers(): RowHelpers | null {
  return installed;
}

/** A slot of `words` float64 words, for a caller that computes rows itself. */
export function createRowSlot(words: number): RowSlot {
  const buffer = new ArrayBuffer(words * 8);
  return { f64: new Float64Array(buffer), i32: new Int32Array(buffer) };
}
