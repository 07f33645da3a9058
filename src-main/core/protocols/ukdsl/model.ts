/**
 * The funnel's click models (UKDSL (Meta), sections 4.1-4.3): an MLP over a chosen subset of
 * feature fields, with up to three heads.
 *
 *   input  = [dense fields | embeddings of sparse fields]          (sparse: EmbeddingTable, outside autodiff)
 *   h      = ReLU MLP(input)                                        (the shared representation)
 *   main   = linear(h)                                              (the CTR logit)
 *   dep    = MLP_8(main)        section 4.3's dependent task: takes the CTR output as its input
 *   aux    = linear(h)          section 4.3's auxiliary task: on the shared representation
 *
 * Loss (Eq. 3, binary cross-entropy, with soft targets for distillation), per head h and row r
 * with weight w_rh and target t_rh (a label, or a teacher's prediction):
 *   L = (1/B) sum_r sum_h w_rh [softplus(l_rh) - l_rh t_rh]
 * A row weight of 0 leaves a head untrained on that row (the dependent and auxiliary heads train
 * on unlabelled rows only). The terms are reported split into impression rows and consideration
 * rows, so each loss term gets its own curve.
 *
 * Dense weights: Adagrad (tf/dense.ts); embedding rows: sparse Adagrad (tf/embedding.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { JobEvent } from '../../experiments/job';
import { runEpochs } from '../../methods/loop';
import type { Rng } from '../../random';
import { DenseAdagrad, Mlp } from '../../tf/dense';
import { EmbeddingTable } from '../../tf/embedding';
import '../../tf/gradients';
import type { FunnelData } from './funnel';

export interface ModelHeads {
  dependent: boolean;
  auxiliary: boolean;
}

export interface FieldModelOptions {
  data: FunnelData;
  /** Field indices the model reads (its feature set). */
  fields: readonly number[];
  /** Hidden units of the shared MLP (at least one layer). */
  hidden: readonly number[];
  /** Embedding width of sparse fields. */
  embeddingDim: number;
  learningRate: number;
  rng: Rng;
  heads?: ModelHeads;
}

/** Rows whose value of one field is taken from other rows (perturbation importance). */
export interface FieldOverride {
  field: number;
  /** [batch-aligned with the rows] the row each value comes from. */
  source: Int32Array;
}

const DEPENDENT_UNITS = 8;
const PREDICT_CHUNK = 4096;

/**
 * Weighted binary cross-entropy of several heads, and its split into impression and
 * consideration rows.
 * @param logits [batch, heads]
 * @param targets [batch, heads] in [0, 1]
 * @param weights [batch, heads]
 * @param impressed [batch, 1] 1 for impression rows, 0 for consideration rows
 * @returns [1 + 2 * heads]: total, the impression-row term of each head, the consideration-row term of each head
 */
export function weightedBceTerms(
  logits: tf.Tensor2D,
  targets: tf.Tensor2D,
  weights: tf.Tensor2D,
  impressed: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const batch = logits.shape[0];
    const perRow = tf.mul(weights, tf.sub(tf.softplus(logits), tf.mul(logits, targets)));
    const all = tf.div(tf.sum(perRow, 0), batch);
    const imp = tf.div(tf.sum(tf.mul(perRow, impressed), 0), batch);
    const cd = tf.sub(all, imp);
    return tf.concat([tf.reshape(tf.sum(all), [1]), imp, cd]) as tf.Tensor1D;
  });
}

export class FieldModel {
  readonly headCount: number;
  readonly heads: ModelHeads;
  /** The data the model reads its fields from. */
  readonly data: FunnelData;
  private readonly denseFields: number[];
  private readonly sparseFields: number[];
  private readonly denseWidth: number;
  private readonly tables: EmbeddingTable[];
  private readonly body: Mlp;
  private readonly mainHead: Mlp;
  private readonly dependentHead: Mlp | null;
  private readonly auxiliaryHead: Mlp | null;
  private readonly optimizer: DenseAdagrad;

  constructor(options: FieldModelOptions) {
    const { data } = options;
    if (options.hidden.length === 0) throw new Error('FieldModel: needs at least one hidden layer');
    this.data = data;
    this.heads = options.heads ?? { dependent: false, auxiliary: false };
    this.headCount = 1 + (this.heads.dependent ? 1 : 0) + (this.heads.auxiliary ? 1 : 0);
    for (const f of options.fields) {
      if (!(f >= 0 && f < data.fields.length)) throw new Error(`FieldModel: field ${f} does not exist`);
    }
    this.denseFields = options.fields.filter((f) => data.fields[f].kind === 'dense');
    this.sparseFields = options.fields.filter((f) => data.fields[f].kind === 'sparse');
    // No field at all (an empty intersection of feature sets): one constant input, a base-rate model.
    this.denseWidth =
      this.denseFields.reduce((s, f) => s + data.fields[f].width, 0) ||
      (this.sparseFields.length === 0 ? 1 : 0);
    const dim = options.embeddingDim;
    this.tables = this.sparseFields.map(
      (f, k) =>
        new EmbeddingTable(data.fields[f].vocabulary, dim, options.rng.fork(100 + k), {
          learningRate: options.learningRate,
          initStd: 0.01,
        }),
    );
    const inputDim = this.denseWidth + dim * this.sparseFields.length;
    this.body = new Mlp(inputDim, [...options.hidden], options.rng.fork(1), { outputActivation: 'relu' });
    this.mainHead = new Mlp(this.body.outputDim, [1], options.rng.fork(2));
    this.dependentHead = this.heads.dependent ? new Mlp(1, [DEPENDENT_UNITS, 1], options.rng.fork(3)) : null;
    this.auxiliaryHead = this.heads.auxiliary ? new Mlp(this.body.outputDim, [1], options.rng.fork(4)) : null;
    this.optimizer = new DenseAdagrad(this.variables(), { learningRate: options.learningRate });
  }

  /**
   * Sets the output bias of each head to the logit of its weighted mean target, so training
   * starts at the base rate instead of 0.5 (Adagrad's shrinking steps are slow to move a bias far).
   * @param targets [n * headCount] row-major
   * @param weights [n * headCount] row-major
   */
  initialiseBiases(targets: Float32Array, weights: Float32Array): void {
    const heads = this.headCount;
    const outputs = [this.mainHead, this.dependentHead, this.auxiliaryHead].filter(
      (m): m is Mlp => m !== null,
    );
    outputs.forEach((head, h) => {
      let sum = 0;
      let total = 0;
      for (let k = h; k < targets.length; k += heads) {
        sum += weights[k] * targets[k];
        total += weights[k];
      }
      if (total <= 0) return;
      const rate = Math.min(1 - 1e-4, Math.max(1e-4, sum / total));
      const last = head.layers[head.layers.length - 1];
      tf.tidy(() => last.bias.assign(tf.fill(last.bias.shape, Math.log(rate / (1 - rate)))));
    });
  }

  private variables(): tf.Variable[] {
    return [
      ...this.body.variables(),
      ...this.mainHead.variables(),
      ...(this.dependentHead?.variables() ?? []),
      ...(this.auxiliaryHead?.variables() ?? []),
    ];
  }

  /** Dense inputs of the rows, [rows.length * denseWidth]. */
  private denseInputs(rows: Int32Array, override?: FieldOverride): Float32Array {
    const width = this.denseWidth;
    const out = new Float32Array(rows.length * width);
    if (this.denseFields.length === 0) {
      if (width === 1) out.fill(1);
      return out;
    }
    let offset = 0;
    for (const f of this.denseFields) {
      const field = this.data.fields[f];
      const w = field.width;
      const values = field.values;
      for (let b = 0; b < rows.length; b++) {
        const row = override && override.field === f ? override.source[b] : rows[b];
        for (let j = 0; j < w; j++) out[b * width + offset + j] = values[row * w + j];
      }
      offset += w;
    }
    return out;
  }

  private sparseIds(rows: Int32Array, override?: FieldOverride): Int32Array[] {
    return this.sparseFields.map((f) => {
      const values = this.data.fields[f].values;
      return Int32Array.from(
        rows,
        (row, b) => values[override && override.field === f ? override.source[b] : row],
      );
    });
  }

  /**
   * All heads' logits.
   * @param dense [batch, denseWidth]
   * @param embedded one [batch, embeddingDim] per sparse field
   * @returns [batch, headCount]
   */
  private forward(dense: tf.Tensor2D, embedded: tf.Tensor2D[]): tf.Tensor2D {
    const parts = this.denseWidth > 0 ? [dense, ...embedded] : embedded;
    const input = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
    const h = this.body.apply(input);
    const main = this.mainHead.apply(h);
    const outputs = [main];
    if (this.dependentHead) outputs.push(this.dependentHead.apply(main));
    if (this.auxiliaryHead) outputs.push(this.auxiliaryHead.apply(h));
    return outputs.length === 1 ? main : tf.concat(outputs, 1);
  }

  /**
   * One Adagrad step on a batch.
   * @param rows [batch] data rows
   * @param targets [batch * headCount] row-major
   * @param weights [batch * headCount] row-major
   * @returns [1 + 2 * headCount]: total loss, impression-row terms, consideration-row terms (before the update)
   */
  async trainStep(rows: Int32Array, targets: Float32Array, weights: Float32Array): Promise<Float32Array> {
    const batch = rows.length;
    const heads = this.headCount;
    const ids = this.sparseIds(rows);
    const dim = this.tables[0]?.dim ?? 0;
    const variables = this.variables();
    const flat = tf.tidy(() => {
      const dense = tf.tensor2d(this.denseInputs(rows), [batch, this.denseWidth]);
      const embedded = this.tables.map((t, k) => t.gather(ids[k]));
      const t = tf.tensor2d(targets, [batch, heads]);
      const w = tf.tensor2d(weights, [batch, heads]);
      const impressed = tf.tensor2d(
        Float32Array.from(rows, (r) => this.data.impressed[r]),
        [batch, 1],
      );
      // A holder, not a `let`: the compiler does not track assignments made inside the closure.
      const kept: { terms: tf.Tensor1D | null } = { terms: null };
      const lossOf = (...inputs: tf.Tensor[]): tf.Scalar => {
        const rowsIn = inputs.slice(0, embedded.length) as tf.Tensor2D[];
        // Kept past the gradient's own tidy so the step can report every term; disposed below.
        const terms = tf.keep(weightedBceTerms(this.forward(dense, rowsIn), t, w, impressed));
        kept.terms = terms;
        return tf.reshape(tf.slice(terms, [0], [1]), []) as tf.Scalar;
      };
      const { grads } = tf.valueAndGrads(lossOf)([...embedded, ...variables]);
      this.optimizer.apply(grads.slice(embedded.length));
      const termValues = kept.terms;
      if (termValues === null) throw new Error('UKDSL model: the loss terms were not computed');
      const out = tf.concat([termValues, ...grads.slice(0, embedded.length).map((g) => tf.reshape(g, [-1]))]);
      termValues.dispose();
      return out;
    });
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    const termCount = 1 + 2 * heads;
    this.tables.forEach((table, k) => table.applyGradient(ids[k], values, termCount + k * batch * dim));
    return values.slice(0, termCount);
  }

  /**
   * Main-head probabilities of the rows, in chunks.
   * @param rows [n] data rows
   * @returns [n] sigmoid(main logit)
   */
  async predict(rows: Int32Array, override?: FieldOverride): Promise<Float32Array> {
    const out = new Float32Array(rows.length);
    for (let start = 0; start < rows.length; start += PREDICT_CHUNK) {
      const chunk = rows.subarray(start, Math.min(rows.length, start + PREDICT_CHUNK));
      const part = override
        ? { field: override.field, source: override.source.subarray(start, start + chunk.length) }
        : undefined;
      const ids = this.sparseIds(chunk, part);
      const probs = tf.tidy(() => {
        const dense = tf.tensor2d(this.denseInputs(chunk, part), [chunk.length, this.denseWidth]);
        const embedded = this.tables.map((t, k) => t.gather(ids[k]));
        const parts = this.denseWidth > 0 ? [dense, ...embedded] : embedded;
        const input = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
        return tf.sigmoid(tf.reshape(this.mainHead.apply(this.body.apply(input)), [-1]));
      });
      out.set(await probs.data(), start);
      probs.dispose();
    }
    return out;
  }

  dispose(): void {
    this.body.dispose();
    this.mainHead.dispose();
    this.dependentHead?.dispose();
    this.auxiliaryHead?.dispose();
    this.optimizer.dispose();
  }
}

/** Where training sends progress and curves, and what cancels it. */
export interface TrainingSink {
  emit(event: JobEvent): void;
  signal: AbortSignal;
}

/**
 * A sink whose 'train' progress (0 to 1) is mapped onto [start, start + share] of the job's
 * training, so several models trained in one job report one monotone progress.
 */
export function progressSlice(sink: TrainingSink, start: number, share: number): TrainingSink {
  return {
    signal: sink.signal,
    emit: (event) => {
      if (event.type === 'progress') sink.emit({ ...event, fraction: start + share * event.fraction });
      else sink.emit(event);
    },
  };
}

export interface TrainingExamples {
  /** [n] data rows. */
  rows: Int32Array;
  /** [n * headCount] targets, row-major. */
  targets: Float32Array;
  /** [n * headCount] weights, row-major. */
  weights: Float32Array;
}

export interface FitOptions {
  sink: TrainingSink;
  model: FieldModel;
  examples: TrainingExamples;
  epochs: number;
  batchSize: number;
  shuffle: Rng;
  /** Log label and curve prefix, e.g. `ukdsl` (curves `ukdsl/L_total`, `ukdsl/L_imp`, ...). */
  label: string;
  /** Names of the heads' terms, e.g. ['main', 'dep', 'aux']. */
  headNames: readonly string[];
}

/** Trains with runEpochs; per-epoch curves `<label>/L_total` and `<label>/L_<head>_imp|_cd` (non-zero terms). */
export async function fitModel(options: FitOptions): Promise<void> {
  const { model, examples, headNames } = options;
  const heads = model.headCount;
  if (headNames.length !== heads)
    throw new Error(`fitModel: ${headNames.length} head names for ${heads} heads`);
  const n = examples.rows.length;
  model.initialiseBiases(examples.targets, examples.weights);
  const termCount = 1 + 2 * heads;
  const sums = new Float64Array(termCount);
  let seen = 0;
  const indices = Int32Array.from({ length: n }, (_, k) => k);
  const rows = new Int32Array(options.batchSize);
  const targets = new Float32Array(options.batchSize * heads);
  const weights = new Float32Array(options.batchSize * heads);
  // Terms whose weights are all zero stay out of the curves.
  const active = new Array<boolean>(termCount).fill(false);
  for (let e = 0; e < n; e++) {
    for (let h = 0; h < heads; h++) {
      if (examples.weights[e * heads + h] !== 0)
        active[1 + (model.data.impressed[examples.rows[e]] === 1 ? h : heads + h)] = true;
    }
  }
  await runEpochs({
    ctx: options.sink,
    label: options.label,
    examples: indices,
    epochs: options.epochs,
    batchSize: options.batchSize,
    shuffle: options.shuffle,
    lossCurve: `${options.label}/L_total`,
    step: async (batch) => {
      const b = batch.length;
      for (let k = 0; k < b; k++) {
        const e = batch[k];
        rows[k] = examples.rows[e];
        for (let h = 0; h < heads; h++) {
          targets[k * heads + h] = examples.targets[e * heads + h];
          weights[k * heads + h] = examples.weights[e * heads + h];
        }
      }
      const terms = await model.trainStep(
        rows.subarray(0, b),
        targets.subarray(0, b * heads),
        weights.subarray(0, b * heads),
      );
      for (let t = 0; t < termCount; t++) sums[t] += terms[t] * b;
      seen += b;
      return terms[0];
    },
    afterEpoch: () => {
      const out: Record<string, number> = {};
      for (let h = 0; h < heads; h++) {
        if (active[1 + h]) out[`${options.label}/L_${headNames[h]}_imp`] = sums[1 + h] / seen;
        if (active[1 + heads + h]) out[`${options.label}/L_${headNames[h]}_cd`] = sums[1 + heads + h] / seen;
      }
      sums.fill(0);
      seen = 0;
      return out;
    },
  });
}
