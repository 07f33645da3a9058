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
 * Scores are computed chunk by chunk (user rows x all corpus items) with one matMul and one
 * dataSync per chunk; the top K per user is a partial selection (topk.ts), not a sort.
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
  /** Ground-truth positives of a user (simulated data only). */
  groundTruthPositives?: (user: number) => Int32Array;
  /** Upper bound on scores held at once (users per chunk x corpus size); default 4M. */
  maxScoresPerChunk?: number;
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

export function evaluateRetrieval(input: RetrievalEvalInput): RetrievalEvalResult {
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

  // Users to score: those with a test positive, or with ground truth to check.
  const testUsers: number[] = [];
  const gtLists = new Map<number, Int32Array>();
  const scoredUsers: number[] = [];
  for (let u = 0; u < numUsers; u++) {
    const hasTest = input.testPositives.offsets[u + 1] > input.testPositives.offsets[u];
    if (hasTest) testUsers.push(u);
    let hasGt = false;
    if (input.groundTruthPositives) {
      const positives = input.groundTruthPositives(u).filter((i) => inCorpus[i] === 1);
      if (positives.length > 0) {
        gtLists.set(u, positives);
        hasGt = true;
      }
    }
    if (hasTest || hasGt) scoredUsers.push(u);
  }

  const recallSum = new Float64Array(ks.length);
  const precisionSum = new Float64Array(ks.length);
  const gtRecallSum = new Float64Array(ks.length);
  const testMark = new Int32Array(numItems).fill(-1);
  const gtMark = new Int32Array(numItems).fill(-1);
  const heap = new Int32Array(maxK);
  const topItems = input.keepTopLists ? new Int32Array(scoredUsers.length * maxK).fill(-1) : null;
  const chunkUsers = Math.max(
    1,
    Math.floor((input.maxScoresPerChunk ?? 4_000_000) / Math.max(1, corpusSize)),
  );

  if (corpusSize > 0 && scoredUsers.length > 0) {
    // Transposed once so each chunk is a plain [c, dim] x [dim, C] product (no transpose flag:
    // flagged matMuls are much slower on wasm).
    const corpusT = tf.tidy(() => tf.transpose(tf.tensor2d(corpusVectors, [corpusSize, dim])));
    try {
      const userBlock = new Float32Array(chunkUsers * dim);
      for (let start = 0; start < scoredUsers.length; start += chunkUsers) {
        const chunk = scoredUsers.slice(start, start + chunkUsers);
        for (let r = 0; r < chunk.length; r++) {
          userBlock.set(input.userVectors.subarray(chunk[r] * dim, chunk[r] * dim + dim), r * dim);
        }
        const scoresTensor = tf.tidy(() =>
          tf.matMul(tf.tensor2d(userBlock.subarray(0, chunk.length * dim), [chunk.length, dim]), corpusT),
        );
        const scores = scoresTensor.dataSync() as Float32Array;
        scoresTensor.dispose();
        for (let r = 0; r < chunk.length; r++) {
          const u = chunk[r];
          const top = topK(scores.subarray(r * corpusSize, (r + 1) * corpusSize), maxK, heap);
          if (topItems) {
            const row = (start + r) * maxK;
            for (let position = 0; position < top.length; position++)
              topItems[row + position] = corpus ? corpus[top[position]] : top[position];
          }
          const positives = userItems(input.testPositives, u);
          for (const i of positives) testMark[i] = u;
          const gt = gtLists.get(u);
          if (gt) for (const i of gt) gtMark[i] = u;
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
        }
      }
    } finally {
      corpusT.dispose();
    }
  }

  const metrics: Record<string, number> = {};
  ks.forEach((k, kIndex) => {
    const recall = testUsers.length > 0 ? recallSum[kIndex] / testUsers.length : 0;
    const precision = testUsers.length > 0 ? precisionSum[kIndex] / testUsers.length : 0;
    metrics[`R@${k}`] = recall;
    metrics[`P@${k}`] = precision;
    metrics[`F@${k}`] = fScoreOfMeans(recall, precision);
    if (input.groundTruthPositives)
      metrics[`GT-R@${k}`] = gtLists.size > 0 ? gtRecallSum[kIndex] / gtLists.size : 0;
  });
  const result: RetrievalEvalResult = {
    metrics,
    evaluatedUsers: testUsers.length,
    groundTruthUsers: gtLists.size,
  };
  if (topItems) result.topLists = { k: maxK, users: Int32Array.from(scoredUsers), items: topItems };
  return result;
}
