/**
 * Pieces the retrieval methods share: reading declared parameters, building the DSSM, the
 * exposed training samples, ranking scores, validation loss, per-stage progress and the
 * "target-domain predictions" histogram (DAMCAR, ACM MM 2024, Figure 5).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DssmModel, DssmModel as Dssm } from '../../models/dssm';
import type { Rng } from '../../random';
import type { MethodContext, RankingScorer, TrainedRetrieval } from './methods';
import { type TargetDomainParams, TARGET_DOMAIN_DEFAULTS, targetDomainPairs } from './unexposed';
import { catalogueOf } from '../../data/dataset';

/** (user, item) pairs, optionally with a target per pair. */
export interface PairSamples {
  /** [n] */
  users: Int32Array;
  /** [n] */
  items: Int32Array;
}

/** Exposed samples with their finish labels. */
export interface LabeledSamples extends PairSamples {
  /** [n] y in {0, 1} */
  labels: Float32Array;
}

// The methods read their parameters with the one typed reader of declared parameters.
export { ParamReader } from '../../methods/param-spec';

/** The ranking model of the cascade, or a clear error for methods that cannot run without one. */
export function requireRanking(ctx: MethodContext, methodName: string): RankingScorer {
  if (ctx.ranking) return ctx.ranking;
  throw new Error(
    `${methodName} needs a ranking model for its ranking scores: set the experiment's spec.ranking.model ` +
      `to "deepfm" or "dcn" (it is "none" or missing).`,
  );
}

/** A DSSM retrieval model sized for the context's dataset and training settings. */
export function createDssm(ctx: MethodContext, rng: Rng): DssmModel {
  const { dataset, training } = ctx;
  return new Dssm({
    ...catalogueOf(dataset),
    embeddingDim: training.embeddingDim,
    learningRate: training.learningRate,
    architecture: ctx.retrieval,
    rng,
  });
}

/** The exposed training interactions (split.train) as samples, one per row. */
export function exposedTrainSamples(ctx: MethodContext): LabeledSamples {
  const cols = ctx.dataset.interactions;
  const rows = ctx.split.train;
  return {
    users: Int32Array.from(rows, (r) => cols.user[r]),
    items: Int32Array.from(rows, (r) => cols.item[r]),
    labels: Float32Array.from(rows, (r) => cols.label[r]),
  };
}

/** Pairs scored per call of the ranking model. */
const RANKING_CHUNK = 8192;

/**
 * The ranking model's probabilities for many pairs, in chunks; checked to be in [0, 1].
 * @returns [n]
 */
export async function rankingScores(ranking: RankingScorer, pairs: PairSamples): Promise<Float32Array> {
  const n = pairs.users.length;
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += RANKING_CHUNK) {
    const end = Math.min(n, start + RANKING_CHUNK);
    const scores = await ranking.score(pairs.users.subarray(start, end), pairs.items.subarray(start, end));
    if (scores.length !== end - start)
      throw new Error(
        `ranking model ${ranking.name} returned ${scores.length} scores for ${end - start} pairs`,
      );
    for (let k = 0; k < scores.length; k++) {
      const p = scores[k];
      if (!(p >= 0 && p <= 1))
        throw new Error(
          `ranking model ${ranking.name} returned ${p} for pair ${start + k}, not a probability`,
        );
      out[start + k] = p;
    }
  }
  return out;
}

/** Concatenates sample sets; `first` rows come first. */
export function concatPairs(first: PairSamples, second: PairSamples): PairSamples {
  const users = new Int32Array(first.users.length + second.users.length);
  const items = new Int32Array(users.length);
  users.set(first.users);
  users.set(second.users, first.users.length);
  items.set(first.items);
  items.set(second.items, first.items.length);
  return { users, items };
}

export function range(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = k;
  return out;
}

/** Selects entries of a typed array by index. */
export function pick<T extends Int32Array | Float32Array>(values: T, rows: Int32Array): T {
  const out = new (values.constructor as new (n: number) => T)(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]];
  return out;
}

/** Validation loss is computed on at most this many validation rows per epoch (as BC does). */
const VALIDATION_ROWS = 20_000;
const EVAL_BATCH = 4096;

/**
 * Mean BCE of the model on (at most VALIDATION_ROWS of) the validation rows, for the 'valid/bce'
 * curve. Monitoring only: nothing a method trains on depends on it.
 */
export async function validationCurve(ctx: MethodContext, model: DssmModel): Promise<Record<string, number>> {
  const cols = ctx.dataset.interactions;
  const rows = ctx.split.valid.subarray(0, VALIDATION_ROWS);
  if (rows.length === 0) return {};
  let sum = 0;
  for (let start = 0; start < rows.length; start += EVAL_BATCH) {
    const chunk = rows.subarray(start, start + EVAL_BATCH);
    sum +=
      (await model.evaluateBce({
        users: Int32Array.from(chunk, (r) => cols.user[r]),
        items: Int32Array.from(chunk, (r) => cols.item[r]),
        targets: Float32Array.from(chunk, (r) => cols.label[r]),
      })) * chunk.length;
  }
  return { 'valid/bce': sum / rows.length };
}

/**
 * The context seen by one stage of a multi-stage method: its 'progress' fractions (0 to 1 within
 * the stage) are mapped onto [start, start + share] of the method's training.
 */
export function stageContext(ctx: MethodContext, start: number, share: number): MethodContext {
  return {
    ...ctx,
    emit: (event) =>
      ctx.emit(
        event.type === 'progress' && event.phase === 'train'
          ? { ...event, fraction: start + share * event.fraction }
          : event,
      ),
  };
}

/** Accumulates per-term losses over an epoch (sample-weighted means) for the curves. */
export class TermMeans {
  private readonly sums = new Map<string, number>();
  private readonly counts = new Map<string, number>();

  add(name: string, value: number, weight: number): void {
    if (weight <= 0) return;
    this.sums.set(name, (this.sums.get(name) ?? 0) + value * weight);
    this.counts.set(name, (this.counts.get(name) ?? 0) + weight);
  }

  /** The epoch's means, then starts a new epoch. */
  flush(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, sum] of this.sums) out[name] = sum / (this.counts.get(name) ?? 1);
    this.sums.clear();
    this.counts.clear();
    return out;
  }
}

/**
 * Keeps the values of a few scalars computed inside a loss function, which runs in a tidy scope
 * that would dispose them: `keep` stacks them into one kept tensor, `read` syncs and frees it.
 */
export class ScalarStash {
  private kept: tf.Tensor | null = null;

  /** @param scalars [] each; call inside the loss function. */
  keep(scalars: tf.Scalar[]): void {
    this.kept?.dispose();
    this.kept = tf.keep(tf.stack(scalars));
  }

  async read(): Promise<Float32Array> {
    const kept = this.kept;
    if (!kept) throw new Error('ScalarStash: nothing was kept in this step');
    this.kept = null;
    const values = (await kept.data()) as Float32Array;
    kept.dispose();
    return values;
  }
}

export const TARGET_HISTOGRAM_NAME = 'target-domain predictions';
export const HISTOGRAM_BINS = 20;

/**
 * Histogram of probabilities over [0, 1] in equal bins (the last bin includes 1).
 * @param probabilities [n] values in [0, 1]
 */
export function probabilityHistogram(
  probabilities: Float32Array,
  bins = HISTOGRAM_BINS,
): { edges: number[]; counts: number[] } {
  const edges = Array.from({ length: bins + 1 }, (_, k) => k / bins);
  const counts = new Array<number>(bins).fill(0);
  for (const p of probabilities) {
    if (!(p >= 0 && p <= 1)) throw new Error(`probabilityHistogram: ${p} is not in [0, 1]`);
    counts[Math.min(bins - 1, Math.floor(p * bins))]++;
  }
  return { edges, counts };
}

/**
 * sigmoid(retrieval score) of each pair, in chunks. A chunk's forward pass keeps every
 * intermediate [chunk, units] activation of both towers until it ends: chunks of 8,192 pairs
 * added 200 MB to the peak memory of a WeChat-sized DAMCAR run (its Figure 5 histogram).
 * @returns [n]
 */
export async function retrievalProbabilities(
  model: DssmModel,
  pairs: PairSamples,
  chunk = 2048,
): Promise<Float32Array> {
  const n = pairs.users.length;
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const logits = await model.scorePairs({
      users: pairs.users.subarray(start, end),
      items: pairs.items.subarray(start, end),
    });
    for (let k = 0; k < logits.length; k++) out[start + k] = 1 / (1 + Math.exp(-logits[k]));
  }
  return out;
}

/**
 * DAMCAR Figure 5: emits the 'target-domain predictions' histogram, the retrieval model's
 * predicted probabilities on the target-domain samples S_sam. Methods without their own target
 * domain pass nothing and get the random-walk target domain with the default R, H and comparison
 * (drawn from the same random stream DAMCAR uses, so BC and DAMCAR at defaults are compared on
 * the same samples).
 */
export async function emitTargetDomainHistogram(
  ctx: MethodContext,
  model: DssmModel,
  samples?: PairSamples,
): Promise<void> {
  const pairs = samples ?? targetDomainPairs(ctx, TARGET_DOMAIN_DEFAULTS satisfies TargetDomainParams);
  if (pairs.users.length === 0) {
    ctx.emit({ type: 'log', level: 'warn', message: 'The target domain is empty: no prediction histogram.' });
    return;
  }
  const probabilities = await retrievalProbabilities(model, pairs);
  const { edges, counts } = probabilityHistogram(probabilities);
  ctx.emit({ type: 'histogram', name: TARGET_HISTOGRAM_NAME, edges, counts });
  let sum = 0;
  for (const p of probabilities) sum += p;
  ctx.emit({
    type: 'log',
    level: 'info',
    message: `Mean predicted probability on ${pairs.users.length} target-domain samples: ${(sum / pairs.users.length).toFixed(4)}.`,
  });
}

/**
 * The trained model's user and item vectors (the caller still disposes the model); a warning
 * when they share a single dimension (every user then gets the same item order, or its reverse).
 * @throws when the model collapsed (see retrievalCollapse): its retrieval would be meaningless
 */
export async function retrievalVectors(ctx: MethodContext, model: DssmModel): Promise<TrainedRetrieval> {
  const trained = {
    dim: model.outputDim,
    userVectors: await model.userVectors(),
    itemVectors: await model.itemVectors(),
  };
  const collapse = retrievalCollapse(trained);
  if (collapse) throw new Error(collapse);
  const warning = retrievalNearCollapse(trained);
  if (warning) ctx.emit({ type: 'log', level: 'warn', message: warning });
  return trained;
}

/** A warning when user and item outputs share exactly one dimension, else null. */
export function retrievalNearCollapse(trained: TrainedRetrieval): string | null {
  return usedDimensions(trained).shared === 1
    ? 'The retrieval model nearly collapsed: user and item outputs share one dimension, so every user ' +
        'gets the same item order (a popularity-like ranking, not a personalised one).'
    : null;
}

/** Which output dimensions are non-zero for some user, for some item, and how many for both. */
function usedDimensions(trained: TrainedRetrieval): { users: Uint8Array; items: Uint8Array; shared: number } {
  const { dim } = trained;
  const usedBy = (vectors: Float32Array) => {
    const used = new Uint8Array(dim);
    for (let k = 0; k < vectors.length; k++) if (vectors[k] !== 0) used[k % dim] = 1;
    return used;
  };
  const users = usedBy(trained.userVectors);
  const items = usedBy(trained.itemVectors);
  let shared = 0;
  for (let d = 0; d < dim; d++) if (users[d] && items[d]) shared++;
  return { users, items, shared };
}

/**
 * Why every user-item inner product of the trained vectors is 0, or null when some is not: no
 * output dimension is non-zero for some user and for some item. The authors' DSSM (ReLU on the
 * towers' last layer) ends this way on some seeds; their code then returns the corpus in file
 * order and reports its metrics. We report the collapse instead.
 */
export function retrievalCollapse(trained: TrainedRetrieval): string | null {
  const { users, items, shared } = usedDimensions(trained);
  if (shared > 0) return null;
  const dim = trained.dim;
  const count = (used: Uint8Array) => used.reduce((sum, u) => sum + u, 0);
  return (
    `The retrieval model collapsed: user outputs use ${count(users)} and item outputs ${count(items)} of ` +
    `${dim} dimensions, none in common, so every inner product is 0 and retrieval would return the ` +
    'corpus in index order. The towers end in a ReLU (retrievalOutputActivation "relu", as the ' +
    "authors' code), which can do this; try another seed or a linear last layer."
  );
}
