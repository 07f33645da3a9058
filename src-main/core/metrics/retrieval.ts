/**
 * Retrieval metrics, defined as the DAMCAR authors' evaluation code computes them for Tables 2-3
 * ("paper-code definitions"):
 *
 * - exact inner-product top-K over the searched corpus (all items by default, as the paper
 *   states; or only items present in the test split, as their code does);
 * - users: every user with at least one positive (label 1) in the test split;
 * - R@K = mean over users of hits_u / |test positives_u|;
 * - P@K = mean over users of hits_u / K;
 * - F@K = 2 R P / (R + P) computed from the two means (not a mean of per-user F1).
 *
 * Items the user saw in training are not removed from the ranking (their code does not either),
 * so every method pays the same price for re-retrieving them.
 *
 * Ground truth (simulated data): GT-R@K = mean over users with at least one ground-truth
 * positive in the searched corpus of |top-K ∩ GT positives_u| / |GT positives_u|, where GT
 * positives are unexposed items the user would finish (see data/simulator.ts).
 *
 * Scores are computed block by block on the active tfjs backend: one matMul of a block of user
 * rows with the (once transposed) corpus matrix, the block's size set by a memory budget
 * (`maxScoresPerChunk`). The top K per row is then taken either on the host (the block's scores
 * read back, a partial selection per row, topk.ts) or on the device (tf.topk, only the K best
 * values and positions read back: what a GPU needs, where reading all scores back costs more
 * than computing them). Both give the same lists: ties by the smaller corpus position, -Infinity
 * never selected; a device block whose top values hold a NaN is redone on the host, whose
 * selection treats NaN as -Infinity. `evaluateRetrievalAsync` reads with `await data()`, which
 * the WebGPU backend needs in Node (it cannot read synchronously there).
 *
 * With `keepTopLists`, the result also holds each scored user's retrieved list for the largest K
 * (its first K entries are the top K for any smaller K), which the cascade's ranking stage
 * re-ranks (experiments/run-job.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { UserItemLists } from '../data/dataset';
import { topK } from '../topk';

export interface RetrievalEvalInput {
  /** Row-major [numUsers, dim]. */
  userVectors: Float32Array;
  /** Row-major [numItems, dim]. */
  itemVectors: Float32Array;
  dim: number;
  numUsers: number;
  numItems: number;
  /** Positives (label 1) of the test split, grouped by user. */
  testPositives: UserItemLists;
  /** Items to search; null searches all items. */
  corpus: Int32Array | null;
  /** Cut-offs K, e.g. [100, 200]. */
  ks: number[];
  /** Ground-truth positives of a user (simulated data only); a list the evaluation may keep. */
  groundTruthPositives?: (user: number) => Int32Array;
  /**
   * Upper bound on scores held at once (users per block x corpus size); default
   * DEFAULT_MAX_SCORES_PER_BLOCK (8M, 32 MiB of float32). The host top-K path holds a block twice
   * (backend tensor and its copy read back).
   */
  maxScoresPerChunk?: number;
  /**
   * Where the top K of each block is taken: `host` (read the block back, topk.ts), `device`
   * (tf.topk on the backend, only [rows, K] read back), or `auto` (default): host on the cpu
   * backend (its tf.topk boxes every score in an object), device elsewhere. On wasm, tf.topk
   * sorts each row in full, yet measured faster than reading the block back for the JavaScript
   * selection (6.5 s against 7.8 s of CPU for 17,000 users x 42,000 items, dim 100); on a GPU
   * reading the scores back would cost more than computing them.
   */
  topKOn?: 'auto' | 'host' | 'device';
  /** Also return every scored user's top-K list for the largest K (see RetrievedLists). */
  keepTopLists?: boolean;
}

/** The retrieval stage's output per user, for the ranking stage to re-rank. */
export interface RetrievedLists {
  /** The largest K; each list holds `k` slots. */
  k: number;
  /**
   * [rows] the scored users, ascending: every user with a test positive or, when ground truth
   * was given, with a ground-truth positive in the corpus.
   */
  users: Int32Array;
  /**
   * [rows * k] row-major item ids (not corpus positions) in descending score order; -1 marks an
   * empty slot (the corpus holds fewer than k items). The first K' entries of a row are its
   * top K' for any K' <= k.
   */
  items: Int32Array;
  /**
   * With ground truth: what the ranking stage needs of it, taken while each user's ground-truth
   * positives are at hand (computing them is the evaluation's largest cost on simulated data, and
   * a list of them per user would take hundreds of MB at WeChat size).
   */
  groundTruth?: {
    /** [rows * k] 1 where the slot's item is one of the row user's ground-truth positives in the corpus */
    positive: Uint8Array;
    /** [rows] one ground-truth positive in the corpus of the row's user, -1 when there is none */
    witness: Int32Array;
  };
}

export interface RetrievalEvalResult {
  /** `R@K`, `P@K`, `F@K` for each K, and `GT-R@K` when ground truth was given. */
  metrics: Record<string, number>;
  /** Users with at least one test positive (the averaging population of R/P/F). */
  evaluatedUsers: number;
  /** Users with at least one ground-truth positive in the corpus (population of GT-R). */
  groundTruthUsers: number;
  /** Present when `keepTopLists` was set. */
  topLists?: RetrievedLists;
}

/** F from mean recall and mean precision, as the paper's code computes it. */
export function fScoreOfMeans(recall: number, precision: number): number {
  return recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : 0;
}

/** Distinct items of the rows of `lists` for one user. */
function userItems(lists: UserItemLists, user: number): Int32Array {
  return lists.items.subarray(lists.offsets[user], lists.offsets[user + 1]);
}

/** Default of `maxScoresPerChunk`: 8M scores, 32 MiB of float32 per block. */
export const DEFAULT_MAX_SCORES_PER_BLOCK = 8 * 1024 * 1024;

/** Backends whose tf.topk is slower than reading the scores back for topk.ts. */
const HOST_TOPK_BACKENDS = new Set(['cpu']);

/** Resolves `auto` for the active backend. */
export function retrievalTopKPlace(choice: RetrievalEvalInput['topKOn'] = 'auto'): 'host' | 'device' {
  if (choice === 'host' || choice === 'device') return choice;
  return HOST_TOPK_BACKENDS.has(tf.getBackend()) ? 'host' : 'device';
}

function allFinite(values: Float32Array): boolean {
  for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k])) return false;
  return true;
}

/**
 * The items of `items` whose flag is set, in order. A plain loop: TypedArray.prototype.filter with
 * a callback took 5.7 s of a 23 s evaluation at WeChat size (17,000 users with about 9,300
 * ground-truth positives each).
 */
function inCorpusOnly(items: Int32Array, inCorpus: Uint8Array): Int32Array {
  let kept = 0;
  for (let k = 0; k < items.length; k++) kept += inCorpus[items[k]];
  const out = new Int32Array(kept);
  for (let k = 0, n = 0; n < kept; k++) if (inCorpus[items[k]] === 1) out[n++] = items[k];
  return out;
}

/**
 * The evaluation as a generator: it yields each tensor whose values it needs and expects them
 * back through `next(values)`, so the computation holds no read of its own and its one driver,
 * evaluateRetrievalAsync, reads with `await data()` (the only read WebGPU allows in Node).
 */
function* retrievalSteps(
  input: RetrievalEvalInput,
): Generator<tf.Tensor, RetrievalEvalResult, Float32Array | Int32Array> {
  const { dim, numUsers, numItems, ks } = input;
  if (ks.length === 0) throw new Error('evaluateRetrieval: at least one K is needed');
  for (const k of ks)
    if (!Number.isInteger(k) || k < 1)
      throw new Error(`evaluateRetrieval: K must be a positive integer, got ${k}`);
  if (input.userVectors.length !== numUsers * dim)
    throw new Error('evaluateRetrieval: userVectors size does not match numUsers * dim');
  if (input.itemVectors.length !== numItems * dim)
    throw new Error('evaluateRetrieval: itemVectors size does not match numItems * dim');
  const maxK = Math.max(...ks);

  // Corpus matrix [C, dim] and its membership mask.
  const corpus = input.corpus;
  const corpusSize = corpus ? corpus.length : numItems;
  let corpusVectors = input.itemVectors;
  const inCorpus = new Uint8Array(numItems);
  if (corpus) {
    corpusVectors = new Float32Array(corpusSize * dim);
    for (let c = 0; c < corpusSize; c++) {
      corpusVectors.set(input.itemVectors.subarray(corpus[c] * dim, corpus[c] * dim + dim), c * dim);
      inCorpus[corpus[c]] = 1;
    }
  } else {
    inCorpus.fill(1);
  }

  const recallSum = new Float64Array(ks.length);
  const precisionSum = new Float64Array(ks.length);
  const gtRecallSum = new Float64Array(ks.length);
  const testMark = new Int32Array(numItems).fill(-1);
  const gtMark = new Int32Array(numItems).fill(-1);
  let testUsers = 0;
  let groundTruthUsers = 0;
  // Scored users, ascending, and their top lists (grown as users are scored).
  const scoredUsers: number[] = [];
  let topItems = input.keepTopLists ? new Int32Array(Math.min(numUsers, 1024) * maxK).fill(-1) : null;
  let topGroundTruth = topItems && input.groundTruthPositives ? new Uint8Array(topItems.length) : null;
  let witnesses = topGroundTruth ? new Int32Array(topGroundTruth.length / maxK).fill(-1) : null;

  /** Adds user `u` (row `listRow` of the scored users) with its ranked corpus positions. */
  const accumulate = (u: number, gt: Int32Array | null, listRow: number, top: Int32Array): void => {
    if (topItems) {
      const row = listRow * maxK;
      for (let position = 0; position < top.length; position++)
        topItems[row + position] = corpus ? corpus[top[position]] : top[position];
    }
    const positives = userItems(input.testPositives, u);
    for (const i of positives) testMark[i] = u;
    if (gt) for (const i of gt) gtMark[i] = u;
    if (topGroundTruth && witnesses && gt) {
      witnesses[listRow] = gt[0];
      const row = listRow * maxK;
      for (let position = 0; position < top.length; position++) {
        const item = corpus ? corpus[top[position]] : top[position];
        if (gtMark[item] === u) topGroundTruth[row + position] = 1;
      }
    }
    ks.forEach((k, kIndex) => {
      let hits = 0;
      let gtHits = 0;
      for (let position = 0; position < Math.min(k, top.length); position++) {
        const item = corpus ? corpus[top[position]] : top[position];
        if (testMark[item] === u) hits++;
        if (gtMark[item] === u) gtHits++;
      }
      if (positives.length > 0) {
        recallSum[kIndex] += hits / positives.length;
        precisionSum[kIndex] += hits / k;
      }
      if (gt) gtRecallSum[kIndex] += gtHits / gt.length;
    });
  };

  const blockRows = Math.max(
    1,
    Math.min(
      numUsers,
      Math.floor((input.maxScoresPerChunk ?? DEFAULT_MAX_SCORES_PER_BLOCK) / Math.max(1, corpusSize)),
    ),
  );
  // Non-finite vectors can make NaN scores, whose order a device sort need not define (the
  // wasm kernel's std::sort comparator would be invalid): those runs select on the host.
  const onDevice =
    corpusSize > 0 &&
    retrievalTopKPlace(input.topKOn) === 'device' &&
    allFinite(input.userVectors) &&
    allFinite(corpusVectors);
  const deviceK = Math.min(maxK, corpusSize);
  // Users to score: those with a test positive, or with ground truth to check. They are taken
  // in blocks as they are found, so only one block's ground-truth lists are held at a time
  // (all of them at once would take hundreds of MB at WeChat size).
  const blockUsers = new Int32Array(blockRows);
  const blockGt: (Int32Array | null)[] = [];
  const userBlock = new Float32Array(blockRows * dim);
  // Transposed once so each block is a plain [rows, dim] x [dim, C] product (no transpose
  // flag: flagged matMuls are much slower on wasm).
  const corpusT =
    corpusSize > 0 ? tf.tidy(() => tf.transpose(tf.tensor2d(corpusVectors, [corpusSize, dim]))) : null;
  // The tensors alive between yields, for cleanup when the reader fails.
  const live: { scores: tf.Tensor | null; best: { values: tf.Tensor; indices: tf.Tensor } | null } = {
    scores: null,
    best: null,
  };

  /** Scores the pending block (rows users from list row `firstRow`) and accumulates it. */
  function* scoreBlock(
    rows: number,
    firstRow: number,
  ): Generator<tf.Tensor, void, Float32Array | Int32Array> {
    if (topItems && (firstRow + rows) * maxK > topItems.length) {
      const grown = new Int32Array(Math.max(topItems.length * 2, (firstRow + rows) * maxK)).fill(-1);
      grown.set(topItems);
      topItems = grown;
      if (topGroundTruth && witnesses) {
        const grownFlags = new Uint8Array(grown.length);
        grownFlags.set(topGroundTruth);
        topGroundTruth = grownFlags;
        const grownWitnesses = new Int32Array(grown.length / maxK).fill(-1);
        grownWitnesses.set(witnesses);
        witnesses = grownWitnesses;
      }
    }
    if (!corpusT) {
      // Empty corpus: empty lists.
      for (let r = 0; r < rows; r++) accumulate(blockUsers[r], blockGt[r], firstRow + r, new Int32Array(0));
      return;
    }
    for (let r = 0; r < rows; r++) {
      const u = blockUsers[r];
      userBlock.set(input.userVectors.subarray(u * dim, u * dim + dim), r * dim);
    }
    const block = tf.tidy(() =>
      tf.matMul(tf.tensor2d(userBlock.subarray(0, rows * dim), [rows, dim]), corpusT),
    );
    live.scores = block;
    let hostRows = true;
    if (onDevice) {
      const best = tf.topk(block, deviceK);
      live.best = best;
      const values = (yield best.values) as Float32Array;
      let hasNaN = false;
      for (let k = 0; k < values.length && !hasNaN; k++) hasNaN = values[k] !== values[k];
      if (!hasNaN) {
        const indices = (yield best.indices) as Int32Array;
        for (let r = 0; r < rows; r++) {
          // -Infinity sorts last and is never selected: cut the row there.
          let length = deviceK;
          while (length > 0 && values[r * deviceK + length - 1] === -Infinity) length--;
          accumulate(
            blockUsers[r],
            blockGt[r],
            firstRow + r,
            indices.subarray(r * deviceK, r * deviceK + length),
          );
        }
        hostRows = false;
      }
      best.values.dispose();
      best.indices.dispose();
      live.best = null;
    }
    if (hostRows) {
      const values = (yield block) as Float32Array;
      for (let r = 0; r < rows; r++) {
        const top = topK(values.subarray(r * corpusSize, (r + 1) * corpusSize), maxK);
        accumulate(blockUsers[r], blockGt[r], firstRow + r, top);
      }
    }
    block.dispose();
    live.scores = null;
  }

  try {
    let pending = 0;
    for (let u = 0; u < numUsers; u++) {
      const hasTest = input.testPositives.offsets[u + 1] > input.testPositives.offsets[u];
      if (hasTest) testUsers++;
      let gt: Int32Array | null = null;
      if (input.groundTruthPositives) {
        const positives = corpus
          ? inCorpusOnly(input.groundTruthPositives(u), inCorpus)
          : input.groundTruthPositives(u);
        if (positives.length > 0) {
          gt = positives;
          groundTruthUsers++;
        }
      }
      if (!hasTest && !gt) continue;
      blockUsers[pending] = u;
      blockGt[pending] = gt;
      pending++;
      scoredUsers.push(u);
      if (pending === blockRows) {
        yield* scoreBlock(pending, scoredUsers.length - pending);
        pending = 0;
      }
    }
    if (pending > 0) yield* scoreBlock(pending, scoredUsers.length - pending);
  } finally {
    corpusT?.dispose();
    live.scores?.dispose();
    live.best?.values.dispose();
    live.best?.indices.dispose();
  }

  const metrics: Record<string, number> = {};
  ks.forEach((k, kIndex) => {
    const recall = testUsers > 0 ? recallSum[kIndex] / testUsers : 0;
    const precision = testUsers > 0 ? precisionSum[kIndex] / testUsers : 0;
    metrics[`R@${k}`] = recall;
    metrics[`P@${k}`] = precision;
    metrics[`F@${k}`] = fScoreOfMeans(recall, precision);
    if (input.groundTruthPositives)
      metrics[`GT-R@${k}`] = groundTruthUsers > 0 ? gtRecallSum[kIndex] / groundTruthUsers : 0;
  });
  const result: RetrievalEvalResult = {
    metrics,
    evaluatedUsers: testUsers,
    groundTruthUsers,
  };
  if (topItems) {
    const rows = scoredUsers.length;
    result.topLists = {
      k: maxK,
      users: Int32Array.from(scoredUsers),
      items: topItems.length === rows * maxK ? topItems : topItems.slice(0, rows * maxK),
    };
    if (topGroundTruth && witnesses)
      result.topLists.groundTruth = {
        positive: topGroundTruth.slice(0, rows * maxK),
        witness: witnesses.slice(0, rows),
      };
  }
  return result;
}

/** Retrieval metrics, reading tensors with `await data()` (any backend; WebGPU in Node needs it). */
export async function evaluateRetrievalAsync(input: RetrievalEvalInput): Promise<RetrievalEvalResult> {
  const steps = retrievalSteps(input);
  let step = steps.next();
  while (!step.done) {
    let values: Float32Array | Int32Array;
    try {
      values = (await step.value.data()) as Float32Array | Int32Array;
    } catch (error) {
      steps.throw(error); // runs the generator's cleanup, then rethrows
      throw error;
    }
    step = steps.next(values);
  }
  return step.value;
}
