import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { EmbeddingTable } from '../tf/embedding';
import {
  BACKGROUND_L2_MIN_VALUES,
  type BackgroundL2Settler,
  type L2State,
  settleL2Row,
  useBackgroundL2Settler,
} from '../tf/embedding-l2';
import { createWorkerL2Settler } from './l2-settler';

afterEach(() => useBackgroundL2Settler(null));

/** Polls `done` until it holds; fails after `ms`. */
async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function shared<T extends Float32Array | Int32Array | Float64Array>(
  make: new (buffer: SharedArrayBuffer) => T,
  length: number,
  bytes: number,
): T {
  return new make(new SharedArrayBuffer(length * bytes));
}

function l2State(rows: number, dim: number, seed: number): L2State {
  const rng = createRng(seed);
  const weights = shared(Float32Array, rows * dim, 4);
  for (let k = 0; k < weights.length; k++) weights[k] = rng.normal(0, 0.5);
  const params = shared(Float64Array, 3, 8);
  params.set([0.02, 0.05, 1e-10]);
  return {
    rows,
    dim,
    weights,
    accumulators: shared(Float32Array, rows * dim, 4),
    rowStep: shared(Int32Array, rows, 4),
    rowLock: shared(Int32Array, rows, 4),
    steps: shared(Int32Array, 1, 4),
    params,
  };
}

/** The settler, counting the tables added to it. */
function counted(settler: BackgroundL2Settler): BackgroundL2Settler & { added: number } {
  const spy = {
    added: 0,
    add: (state: L2State) => {
      spy.added++;
      return settler.add(state);
    },
    wake: () => settler.wake(),
  };
  return spy;
}

/** A training loop of applyGradientWithL2 steps with reads, a plain step and a learning-rate change. */
function train(table: EmbeddingTable, steps: number): { weights: Float32Array; accumulators: Float32Array } {
  const rng = createRng(3);
  const dim = table.dim;
  const out = new Float32Array(64 * dim);
  for (let step = 0; step < steps; step++) {
    const ids = Int32Array.from({ length: 64 }, () => rng.int(table.rows));
    const grad = Float32Array.from({ length: ids.length * dim }, () => rng.normal(0, 1));
    table.gatherInto(ids, out);
    if (step === steps - 10) table.learningRate = 0.02;
    if (step % 7 === 3) table.applyGradient(ids.subarray(0, 4), grad);
    table.applyGradientWithL2(ids, grad, 0, 1e-3);
  }
  return { weights: Float32Array.from(table.weights), accumulators: Float32Array.from(table.accumulators) };
}

describe('the background L2 settler (worker thread)', () => {
  it("takes a table's owed steps on its thread, with the floats of the training thread's settleL2Row", async () => {
    const settler = createWorkerL2Settler();
    const state = l2State(300, 8, 1);
    const reference = l2State(300, 8, 1);
    const stop = settler.add(state);
    Atomics.store(state.steps, 0, 5);
    settler.wake();
    // Nothing on this thread reads the table: only the worker can bring its rows to 5 steps.
    await until(() => state.rowStep.every((s) => s === 5));
    for (let id = 0; id < reference.rows; id++) settleL2Row(reference, id, 5);
    expect(state.weights).toEqual(reference.weights);
    expect(state.accumulators).toEqual(reference.accumulators);
    expect(state.weights).not.toEqual(l2State(300, 8, 1).weights);
    stop();
    await settler.idle();
  });

  it('leaves a training loop with the same floats as without it, bit for bit, while it sweeps the same rows', async () => {
    const rows = Math.ceil(BACKGROUND_L2_MIN_VALUES / 16) + 7;
    const options = { learningRate: 0.05, initStd: 0.3, trainsWithL2: true };
    const alone = train(new EmbeddingTable(rows, 16, createRng(5), options), 120);

    const settler = createWorkerL2Settler();
    const spy = counted(settler);
    useBackgroundL2Settler(spy);
    const table = new EmbeddingTable(rows, 16, createRng(5), options);
    const withSettler = train(table, 120);
    expect(spy.added).toBe(1);
    expect(withSettler.weights).toEqual(alone.weights);
    expect(withSettler.accumulators).toEqual(alone.accumulators);
    // Disposing the table ends the worker (its last table); the table still trains, exactly.
    table.dispose();
    await settler.idle();
    const before = Float32Array.from(table.weights);
    table.applyGradientWithL2(Int32Array.from([0]), new Float32Array(16).fill(1), 0, 1e-3);
    expect(table.weights).not.toEqual(before);
  });

  it('leaves tables below BACKGROUND_L2_MIN_VALUES, or not declared to train with L2, on the training thread', async () => {
    const settler = createWorkerL2Settler();
    const spy = counted(settler);
    useBackgroundL2Settler(spy);
    const rows = Math.floor(BACKGROUND_L2_MIN_VALUES / 8);
    const small = new EmbeddingTable(rows - 1, 8, createRng(1), { learningRate: 0.1, trainsWithL2: true });
    const undeclared = new EmbeddingTable(rows, 8, createRng(1), { learningRate: 0.1 });
    for (const table of [small, undeclared])
      table.applyGradientWithL2(Int32Array.from([1]), new Float32Array(8).fill(1), 0, 1e-3);
    expect(spy.added).toBe(0);
    const declared = new EmbeddingTable(rows, 8, createRng(1), { learningRate: 0.1, trainsWithL2: true });
    declared.applyGradientWithL2(Int32Array.from([1]), new Float32Array(8).fill(1), 0, 1e-3);
    expect(spy.added).toBe(1);
    declared.dispose();
    // No worker is left starting up or sweeping when the file ends.
    await settler.idle();
  });
});
