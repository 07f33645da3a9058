/**
 * The DSSM training-step benchmark: exactly the workload of the PyTorch peer
 * (shared/bench/dssm_step_torch.py), so the two can be run side by side and compared as a ratio.
 *
 * Workload (keep identical to the peer):
 *   user table 20,000 x 128 and item table 40,000 x 128 with sparse gradients;
 *   each tower 128 -> 300 -> 200 -> 100 with ReLU after every layer, the last one included
 *   (the peer's nn.Sequential ends in nn.ReLU, unlike DssmModel whose last layer is linear, so the
 *   towers are built from Mlp directly);
 *   score = <user tower, item tower>; binary cross-entropy with logits on random 0/1 labels
 *   (30% positive); Adagrad lr 0.01 on everything (PyTorch's form, tf/embedding.ts); fresh
 *   random ids and labels every step; 3 warm-up steps, then as many steps as fit in the time budget.
 *
 * The embedding tables stay outside the autodiff graph (sparse Adagrad on the gathered rows,
 * tf/embedding.ts); the towers are tf/dense.ts layers with DenseAdagrad. One tf.tidy and one
 * read of the embedding gradients per step, as in DssmModel.trainStepWith, but asynchronous
 * (`data()`, not `dataSync()`): the WebGPU backend cannot read GPU memory synchronously in Node
 * (its readSync goes through OffscreenCanvas), and on wasm the await costs microseconds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Rng, createRng } from '../random';
import { DenseAdagrad, Mlp } from '../tf/dense';
import { EmbeddingTable } from '../tf/embedding';
import { sigmoidBce } from '../tf/losses';
import '../tf/gradients';

export interface DssmStepConfig {
  userRows: number;
  itemRows: number;
  embeddingDim: number;
  towerUnits: readonly number[];
  learningRate: number;
  /** Share of positive labels. */
  positiveRate: number;
}

/** The peer's workload. */
export const PEER_DSSM_STEP: DssmStepConfig = {
  userRows: 20_000,
  itemRows: 40_000,
  embeddingDim: 128,
  towerUnits: [300, 200, 100],
  learningRate: 0.01,
  positiveRate: 0.3,
};

export const PEER_WARMUP_STEPS = 3;

/** One DSSM model of the benchmark and its random batches. */
export class DssmStepWorkload {
  readonly batch: number;
  readonly config: DssmStepConfig;
  readonly userTable: EmbeddingTable;
  readonly itemTable: EmbeddingTable;
  readonly userTower: Mlp;
  readonly itemTower: Mlp;
  private readonly optimizer: DenseAdagrad;
  private readonly towerVariables: tf.Variable[];
  private readonly batchRng: Rng;
  /** Reused per step: the batch's ids and labels. */
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly labels: Float32Array;

  constructor(batch: number, seed = 0, config: DssmStepConfig = PEER_DSSM_STEP) {
    if (!Number.isInteger(batch) || batch < 1)
      throw new Error(`DssmStepWorkload: batch must be an integer >= 1, got ${batch}`);
    this.batch = batch;
    this.config = config;
    const rng = createRng(seed);
    const embedding = { learningRate: config.learningRate };
    // nn.Embedding initialises N(0, 1); the spread does not change the step's cost.
    this.userTable = new EmbeddingTable(config.userRows, config.embeddingDim, rng.fork(1), {
      ...embedding,
      initStd: 1,
    });
    this.itemTable = new EmbeddingTable(config.itemRows, config.embeddingDim, rng.fork(2), {
      ...embedding,
      initStd: 1,
    });
    const towerOptions = { hiddenActivation: 'relu', outputActivation: 'relu' } as const;
    this.userTower = new Mlp(config.embeddingDim, [...config.towerUnits], rng.fork(3), towerOptions);
    this.itemTower = new Mlp(config.embeddingDim, [...config.towerUnits], rng.fork(4), towerOptions);
    this.towerVariables = [...this.userTower.variables(), ...this.itemTower.variables()];
    this.optimizer = new DenseAdagrad(this.towerVariables, embedding);
    this.batchRng = rng.fork(5);
    this.users = new Int32Array(batch);
    this.items = new Int32Array(batch);
    this.labels = new Float32Array(batch);
  }

  /** Draws the next batch's ids and labels into `users`, `items`, `labels`. */
  drawBatch(): void {
    const { userRows, itemRows, positiveRate } = this.config;
    const rng = this.batchRng;
    for (let b = 0; b < this.batch; b++) {
      this.users[b] = rng.int(userRows);
      this.items[b] = rng.int(itemRows);
      this.labels[b] = rng.uniform() < positiveRate ? 1 : 0;
    }
  }

  /**
   * One training step on the current batch (see drawBatch).
   * @returns the batch's mean BCE before the update
   */
  async trainOnBatch(): Promise<number> {
    const size = this.batch;
    const dim = this.config.embeddingDim;
    const flat = tf.tidy(() => {
      const userRows = this.userTable.gather(this.users);
      const itemRows = this.itemTable.gather(this.items);
      const labels = tf.tensor1d(this.labels);
      const lossOf = (u: tf.Tensor, i: tf.Tensor): tf.Scalar => {
        const userVec = this.userTower.apply(u as tf.Tensor2D);
        const itemVec = this.itemTower.apply(i as tf.Tensor2D);
        return sigmoidBce(tf.sum(tf.mul(userVec, itemVec), 1), labels);
      };
      // Tower variables as inputs too: one backward pass returns every gradient.
      const { value, grads } = tf.valueAndGrads(lossOf)([userRows, itemRows, ...this.towerVariables]);
      this.optimizer.apply(grads.slice(2));
      return tf.concat([tf.reshape(grads[0], [-1]), tf.reshape(grads[1], [-1]), tf.reshape(value, [1])]);
    });
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    this.userTable.applyGradient(this.users, values, 0);
    this.itemTable.applyGradient(this.items, values, size * dim);
    return values[2 * size * dim];
  }

  /** drawBatch, then trainOnBatch. */
  step(): Promise<number> {
    this.drawBatch();
    return this.trainOnBatch();
  }

  dispose(): void {
    this.userTower.dispose();
    this.itemTower.dispose();
    this.optimizer.dispose();
  }
}

export interface StepMeasurement {
  batch: number;
  /** Timed steps (after the warm-up). */
  steps: number;
  seconds: number;
  samplesPerSecond: number;
  /** Mean loss of the timed steps. */
  meanLoss: number;
}

export interface MeasureOptions {
  /** Time budget of the timed steps, in seconds (the peer's default is 10). */
  seconds: number;
  warmupSteps?: number;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
}

/**
 * The peer's timing loop: warm-up steps, then steps while the budget lasts (the last step may
 * overrun it, as in the peer), samples/s = steps * batch / elapsed.
 */
export async function measureSteps(
  workload: DssmStepWorkload,
  options: MeasureOptions,
): Promise<StepMeasurement> {
  if (!(options.seconds > 0)) throw new Error(`measureSteps: seconds must be > 0, got ${options.seconds}`);
  const now = options.now ?? (() => performance.now());
  const warmup = options.warmupSteps ?? PEER_WARMUP_STEPS;
  for (let k = 0; k < warmup; k++) await workload.step();
  const budgetMs = options.seconds * 1000;
  let steps = 0;
  let lossSum = 0;
  const start = now();
  while (now() - start < budgetMs) {
    lossSum += await workload.step();
    steps++;
  }
  const seconds = (now() - start) / 1000;
  return {
    batch: workload.batch,
    steps,
    seconds,
    samplesPerSecond: Math.round((steps * workload.batch) / seconds),
    meanLoss: steps > 0 ? lossSum / steps : Number.NaN,
  };
}

/** Builds a fresh workload per batch size (as the peer does), measures it and disposes it. */
export async function benchDssmStep(
  batches: readonly number[],
  options: MeasureOptions & { seed?: number; config?: DssmStepConfig },
  onResult?: (m: StepMeasurement) => void,
): Promise<StepMeasurement[]> {
  const results: StepMeasurement[] = [];
  for (const batch of batches) {
    const workload = new DssmStepWorkload(batch, options.seed ?? 0, options.config);
    try {
      const m = await measureSteps(workload, options);
      results.push(m);
      onResult?.(m);
    } finally {
      workload.dispose();
    }
  }
  return results;
}
