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
 * Embeddings, two placements (`embeddings` option):
 * - `host` (default): the tables stay outside the autodiff graph in Float32Arrays (sparse
 *   Adagrad on the gathered rows, tf/embedding.ts); the towers are tf/dense.ts layers with
 *   DenseAdagrad. One tf.tidy and one read of the embedding gradients (and the loss) per step,
 *   as in DssmModel.trainStepWith, but asynchronous (`data()`, not `dataSync()`): the WebGPU
 *   backend cannot read GPU memory synchronously in Node (its readSync goes through
 *   OffscreenCanvas), and on wasm the await costs microseconds.
 * - `device`: the tables are tf.Variables on the backend's device (tf/device-embedding.ts:
 *   tf.gather, scatterND-coalesced Adagrad), so a step uploads only the batch's ids and labels
 *   and reads nothing back; the losses are summed on the device and read every
 *   `lossReadInterval` steps (which also keeps the device's queue of steps short). Built for
 *   WebGPU; on a CPU backend its whole-table update makes it slower.
 * Both start from the same rows for the same seed and follow the same arithmetic up to float32
 * rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Rng, createRng } from '../random';
import { DenseAdagrad, Mlp } from '../tf/dense';
import { DeviceEmbeddingTable } from '../tf/device-embedding';
import { EmbeddingTable } from '../tf/embedding';
import { sigmoidBce } from '../tf/losses';
import '../tf/gradients';
import { DEFAULT_LOSS_READ_INTERVAL } from './defaults';

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

/** Where the embedding tables live and are updated (see the module comment). */
export type EmbeddingPlacement = 'host' | 'device';

export interface WorkloadOptions {
  embeddings?: EmbeddingPlacement;
  /** Device placement: steps between reads of the summed loss (default 10). */
  lossReadInterval?: number;
}

export { DEFAULT_LOSS_READ_INTERVAL } from './defaults';

/** A model of a step benchmark with its random batches (DSSM here, DeepFM in deepfm-step.ts). */
export interface StepWorkload {
  readonly batch: number;
  /** Draws a batch and trains one step on it. */
  step(): Promise<void>;
  /** Sum and count of the losses since the last call; waits for pending device work. */
  takeLosses(): Promise<{ sum: number; steps: number }>;
  dispose(): void;
}

/** @returns `batch` when it is an integer >= 1; otherwise throws, naming the workload. */
export function checkedBatch(batch: number, workload: string): number {
  if (!Number.isInteger(batch) || batch < 1)
    throw new Error(`${workload}: batch must be an integer >= 1, got ${batch}`);
  return batch;
}

/** Sum and count of the losses a workload has read back and not yet handed out. */
export class LossTally {
  private sum = 0;
  private steps = 0;

  add(loss: number): void {
    this.sum += loss;
    this.steps++;
  }

  /** What has been added since the last take. */
  take(): { sum: number; steps: number } {
    const taken = { sum: this.sum, steps: this.steps };
    this.sum = 0;
    this.steps = 0;
    return taken;
  }
}

/** One DSSM model of the benchmark and its random batches. */
export class DssmStepWorkload implements StepWorkload {
  readonly batch: number;
  readonly config: DssmStepConfig;
  readonly embeddings: EmbeddingPlacement;
  /**
   * Host placement: the trained tables. Device placement: only the starting rows (the copies in
   * `deviceTables` are trained).
   */
  readonly userTable: EmbeddingTable;
  readonly itemTable: EmbeddingTable;
  /** Device placement: the trained tables; null for host placement. */
  readonly deviceTables: { user: DeviceEmbeddingTable; item: DeviceEmbeddingTable } | null;
  readonly userTower: Mlp;
  readonly itemTower: Mlp;
  private readonly optimizer: DenseAdagrad;
  private readonly towerVariables: tf.Variable[];
  private readonly batchRng: Rng;
  private readonly lossReadInterval: number;
  /** Device placement: sum of the losses not read yet. */
  private readonly deviceLossSum: tf.Variable | null;
  private unreadSteps = 0;
  /** Losses read back and not yet taken (takeLosses). */
  private lossSum = 0;
  private lossSteps = 0;
  /** Reused per step: the batch's ids and labels. */
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly labels: Float32Array;

  constructor(
    batch: number,
    seed = 0,
    config: DssmStepConfig = PEER_DSSM_STEP,
    options: WorkloadOptions = {},
  ) {
    this.batch = checkedBatch(batch, 'DssmStepWorkload');
    const interval = options.lossReadInterval ?? DEFAULT_LOSS_READ_INTERVAL;
    if (!Number.isInteger(interval) || interval < 1)
      throw new Error(`DssmStepWorkload: lossReadInterval must be an integer >= 1, got ${interval}`);
    this.config = config;
    this.embeddings = options.embeddings ?? 'host';
    this.lossReadInterval = interval;
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
    if (this.embeddings === 'device') {
      this.deviceTables = {
        user: DeviceEmbeddingTable.fromHost(this.userTable),
        item: DeviceEmbeddingTable.fromHost(this.itemTable),
      };
      this.deviceLossSum = tf.tidy(() => tf.variable(tf.scalar(0), false));
    } else {
      this.deviceTables = null;
      this.deviceLossSum = null;
    }
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
   * The batch's mean BCE, of the towers applied to the gathered rows.
   * @param userRows [batch, embeddingDim]
   * @param itemRows [batch, embeddingDim]
   * @param labels [batch]
   */
  private loss(userRows: tf.Tensor, itemRows: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
    const userVec = this.userTower.apply(userRows as tf.Tensor2D);
    const itemVec = this.itemTower.apply(itemRows as tf.Tensor2D);
    return sigmoidBce(tf.sum(tf.mul(userVec, itemVec), 1), labels);
  }

  /**
   * One training step on the current batch (see drawBatch) with host embeddings.
   * @returns the batch's mean BCE before the update
   */
  async trainOnBatch(): Promise<number> {
    if (this.embeddings !== 'host')
      throw new Error('DssmStepWorkload: trainOnBatch is the host-embedding step; use step()');
    const size = this.batch;
    const dim = this.config.embeddingDim;
    const flat = tf.tidy(() => {
      const userRows = this.userTable.gather(this.users);
      const itemRows = this.itemTable.gather(this.items);
      const labels = tf.tensor1d(this.labels);
      // Tower variables as inputs too: one backward pass returns every gradient.
      const { value, grads } = tf.valueAndGrads((u: tf.Tensor, i: tf.Tensor) => this.loss(u, i, labels))([
        userRows,
        itemRows,
        ...this.towerVariables,
      ]);
      this.optimizer.apply(grads.slice(2));
      return tf.concat([tf.reshape(grads[0], [-1]), tf.reshape(grads[1], [-1]), tf.reshape(value, [1])]);
    });
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    this.userTable.applyGradient(this.users, values, 0);
    this.itemTable.applyGradient(this.items, values, size * dim);
    return values[2 * size * dim];
  }

  /** One step on the current batch with device embeddings: uploads ids and labels, reads nothing. */
  private trainOnBatchOnDevice(): void {
    const tables = this.deviceTables;
    const lossSum = this.deviceLossSum;
    if (!tables || !lossSum) throw new Error('DssmStepWorkload: device embeddings are not set up');
    tf.tidy(() => {
      const userIds = tf.tensor1d(this.users, 'int32');
      const itemIds = tf.tensor1d(this.items, 'int32');
      const labels = tf.tensor1d(this.labels);
      const { value, grads } = tf.valueAndGrads((u: tf.Tensor, i: tf.Tensor) => this.loss(u, i, labels))([
        tables.user.gather(userIds),
        tables.item.gather(itemIds),
        ...this.towerVariables,
      ]);
      this.optimizer.apply(grads.slice(2));
      tables.user.applyGradient(userIds, grads[0] as tf.Tensor2D);
      tables.item.applyGradient(itemIds, grads[1] as tf.Tensor2D);
      lossSum.assign(tf.add(lossSum, value));
    });
  }

  /** Reads the device's loss sum into the host's (a sync point) and zeroes it. */
  private async readDeviceLosses(): Promise<void> {
    const lossSum = this.deviceLossSum;
    if (!lossSum || this.unreadSteps === 0) return;
    const value = (await lossSum.data())[0];
    tf.tidy(() => lossSum.assign(tf.zerosLike(lossSum)));
    this.lossSum += value;
    this.lossSteps += this.unreadSteps;
    this.unreadSteps = 0;
  }

  /**
   * drawBatch, then one step. Host placement reads the step's loss; device placement sums it on
   * the device and reads the sum every `lossReadInterval` steps.
   */
  async step(): Promise<void> {
    this.drawBatch();
    if (this.embeddings === 'host') {
      this.lossSum += await this.trainOnBatch();
      this.lossSteps++;
      return;
    }
    this.trainOnBatchOnDevice();
    this.unreadSteps++;
    if (this.unreadSteps >= this.lossReadInterval) await this.readDeviceLosses();
  }

  /** Sum and count of the losses since the last call; waits for the device's pending steps. */
  async takeLosses(): Promise<{ sum: number; steps: number }> {
    await this.readDeviceLosses();
    const taken = { sum: this.lossSum, steps: this.lossSteps };
    this.lossSum = 0;
    this.lossSteps = 0;
    return taken;
  }

  dispose(): void {
    this.userTower.dispose();
    this.itemTower.dispose();
    this.optimizer.dispose();
    this.deviceTables?.user.dispose();
    this.deviceTables?.item.dispose();
    this.deviceLossSum?.dispose();
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
  workload: StepWorkload,
  options: MeasureOptions,
): Promise<StepMeasurement> {
  if (!(options.seconds > 0)) throw new Error(`measureSteps: seconds must be > 0, got ${options.seconds}`);
  const now = options.now ?? (() => performance.now());
  const warmup = options.warmupSteps ?? PEER_WARMUP_STEPS;
  for (let k = 0; k < warmup; k++) await workload.step();
  await workload.takeLosses(); // the warm-up's work is done before the clock starts
  const budgetMs = options.seconds * 1000;
  let steps = 0;
  const start = now();
  while (now() - start < budgetMs) {
    await workload.step();
    steps++;
  }
  // Inside the timed span: with device embeddings this waits for the last queued steps.
  const losses = await workload.takeLosses();
  const seconds = (now() - start) / 1000;
  return {
    batch: workload.batch,
    steps,
    seconds,
    samplesPerSecond: Math.round((steps * workload.batch) / seconds),
    meanLoss: losses.steps > 0 ? losses.sum / losses.steps : Number.NaN,
  };
}

/** Builds a fresh workload per batch size (as the peer does), measures it and disposes it. */
export async function benchSteps(
  batches: readonly number[],
  createWorkload: (batch: number) => StepWorkload,
  options: MeasureOptions,
  onResult?: (m: StepMeasurement) => void,
): Promise<StepMeasurement[]> {
  const results: StepMeasurement[] = [];
  for (const batch of batches) {
    const workload = createWorkload(batch);
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

/** benchSteps over DSSM workloads. */
export async function benchDssmStep(
  batches: readonly number[],
  options: MeasureOptions & WorkloadOptions & { seed?: number; config?: DssmStepConfig },
  onResult?: (m: StepMeasurement) => void,
): Promise<StepMeasurement[]> {
  const workloadOptions: WorkloadOptions = {
    embeddings: options.embeddings ?? 'host',
    ...(options.lossReadInterval !== undefined ? { lossReadInterval: options.lossReadInterval } : {}),
  };
  return benchSteps(
    batches,
    (batch) => new DssmStepWorkload(batch, options.seed ?? 0, options.config, workloadOptions),
    options,
    onResult,
  );
}
