/**
 * The cascade testbed's evaluation and its result-table columns (DAMCAR section 5.1.4, Tables 2-3).
 *
 * Retrieval: R/P/F@K1 by exact top-K1 over the corpus (metrics/retrieval.ts). Ranking: the ranking
 * model re-ranks each user's top K1 and keeps K2 = K1 / 10 for N/M/H@K2 (metrics/ranking.ts).
 *
 * Ranking-stage ground truth (simulated data), GT-H@K2: the share of the final K2 list that the user
 * finishes or would finish among items not consumed before the test period, i.e. hits against the
 * union of the user's test positives and unexposed ground-truth positives (in the searched corpus),
 * divided by K2 and averaged over users with at least one such positive. It is H@K2 with the
 * exposure-biased test labels completed by the simulator's truth.
 */
import type { EvaluationSpec, MetricColumn, RankingModelName } from '../../../contract/api';
import type { CascadeDataset, UserItemLists } from '../../data/dataset';
import { groupItemsByUser } from '../../data/dataset';
import type { DataSplit } from '../../data/split';
import { rankingMetrics } from '../../metrics/ranking';
import {
  type RetrievalEvalResult,
  type RetrievedLists,
  evaluateRetrievalAsync,
} from '../../metrics/retrieval';
import type { RankingScorer } from '../../models/ranking-model';
import type { TrainedRetrieval } from './methods';

export const RETRIEVAL_GROUP = 'Retrieval';
export const RANKING_GROUP = 'Ranking';
export const STANDARD_RANKING_GROUP = 'Ranking (standard NDCG)';
export const GROUND_TRUTH_GROUP = 'Ground truth';

/**
 * The ranking stage's cut-off K2 for a retrieval cut-off K1: K2 = K1 / 10 (DAMCAR section 5.1.4:
 * K1 = 100, 200 give K2 = 10, 20), or null when K1 is not a multiple of 10.
 */
export function rankingCutoff(k1: number): number | null {
  return Number.isInteger(k1) && k1 >= 10 && k1 % 10 === 0 ? k1 / 10 : null;
}

/**
 * Columns in the order of DAMCAR Tables 2-3: retrieval R@K, P@K, F@K for each K; then, when a
 * ranking model re-ranks the retrieved lists, N@K2, M@K2, H@K2 for each K (K2 = K / 10, the
 * authors' definitions, metrics/ranking.ts) and the textbook NDCG@K2 beside them; then, when the
 * dataset has ground truth, GT-R@K for each K and GT-H@K2 for each K with a ranking stage (see
 * the file comment). All are higher-is-better.
 */
export function describeMetricColumns(
  evaluation: EvaluationSpec,
  hasGroundTruth: boolean,
  rankingModel: RankingModelName,
): MetricColumn[] {
  const columns: MetricColumn[] = [];
  const push = (key: string, group: string) => columns.push({ key, group, higherIsBetter: true });
  for (const k of evaluation.retrievalK)
    for (const name of ['R', 'P', 'F']) push(`${name}@${k}`, RETRIEVAL_GROUP);
  const rankingCutoffs =
    rankingModel === 'none'
      ? []
      : evaluation.retrievalK.flatMap((k) => {
          const k2 = rankingCutoff(k);
          return k2 === null ? [] : [k2];
        });
  for (const k2 of rankingCutoffs) for (const name of ['N', 'M', 'H']) push(`${name}@${k2}`, RANKING_GROUP);
  for (const k2 of rankingCutoffs) push(`NDCG@${k2}`, STANDARD_RANKING_GROUP);
  if (hasGroundTruth) {
    for (const k of evaluation.retrievalK) push(`GT-R@${k}`, GROUND_TRUTH_GROUP);
    for (const k2 of rankingCutoffs) push(`GT-H@${k2}`, GROUND_TRUTH_GROUP);
  }
  return columns;
}

/** Distinct items of the rows, ascending. */
function distinctItems(dataset: CascadeDataset, rows: Int32Array): Int32Array {
  const seen = new Uint8Array(dataset.numItems);
  for (const r of rows) seen[dataset.interactions.item[r]] = 1;
  const out: number[] = [];
  for (let i = 0; i < seen.length; i++) if (seen[i]) out.push(i);
  return Int32Array.from(out);
}

export interface RankingStageInput {
  /** The retrieval stage's top lists (evaluateRetrievalAsync with keepTopLists). */
  lists: RetrievedLists;
  /** Retrieval cut-offs K1; each with an integer K2 = K1 / 10 gets N/M/H@K2. */
  ks: number[];
  scorer: RankingScorer;
  /** Test-split positives per user (the relevance of N/M/H@K2). */
  testPositives: UserItemLists;
}

/**
 * The cascade's ranking stage: the scorer scores every retrieved candidate once (the top K1 of a
 * smaller K1 is a prefix of the largest list), and for each K1 the K2 = K1 / 10 best candidates
 * per user are judged by rankingMetrics (N@K2, M@K2, H@K2 as the authors' code computes them,
 * NDCG@K2 standard), averaged over users with a test positive; with ground truth, GT-H@K2 (see
 * the file comment). A K1 that is not a multiple of 10 gets no ranking metrics.
 */
export async function evaluateRankingStage(input: RankingStageInput): Promise<Record<string, number>> {
  const { lists, scorer, testPositives } = input;
  const k = lists.k;
  const rows = lists.users.length;
  const metrics: Record<string, number> = {};
  if (rows === 0) return metrics;

  // Score every non-empty slot in one batched call.
  let filled = 0;
  for (const item of lists.items) if (item >= 0) filled++;
  const pairUsers = new Int32Array(filled);
  const pairItems = new Int32Array(filled);
  let p = 0;
  for (let row = 0; row < rows; row++) {
    for (let slot = 0; slot < k; slot++) {
      const item = lists.items[row * k + slot];
      if (item < 0) continue;
      pairUsers[p] = lists.users[row];
      pairItems[p++] = item;
    }
  }
  const pairScores = await scorer.score(pairUsers, pairItems);
  const scores = new Float32Array(rows * k);
  p = 0;
  for (let s = 0; s < scores.length; s++) if (lists.items[s] >= 0) scores[s] = pairScores[p++];

  // Relevance per row: test positives, and test plus ground-truth positives. GT-H@K2 reads only
  // hits among the row's candidates and whether the row has a positive at all, so the row's
  // ground truth is its flagged candidates and one witness (see RetrievedLists.groundTruth):
  // the same H as with every ground-truth positive of the user.
  const truth = lists.groundTruth;
  const testOffsets = new Int32Array(rows + 1);
  const testItems: number[] = [];
  const truthOffsets = new Int32Array(rows + 1);
  const truthItems: number[] = [];
  for (let row = 0; row < rows; row++) {
    const u = lists.users[row];
    const positives = testPositives.items.subarray(testPositives.offsets[u], testPositives.offsets[u + 1]);
    for (const item of positives) testItems.push(item);
    testOffsets[row + 1] = testItems.length;
    if (truth) {
      for (const item of positives) truthItems.push(item);
      for (let slot = row * k; slot < (row + 1) * k; slot++)
        if (truth.positive[slot] === 1) truthItems.push(lists.items[slot]);
      if (truth.witness[row] >= 0) truthItems.push(truth.witness[row]);
      truthOffsets[row + 1] = truthItems.length;
    }
  }
  const testPositiveItems = Int32Array.from(testItems);
  const truthPositiveItems = Int32Array.from(truthItems);

  for (const k1 of input.ks) {
    const k2 = rankingCutoff(k1);
    if (k2 === null) continue;
    // Prefixes of length K1 (slots beyond the list stay empty when K1 > k, which cannot happen
    // for lists kept at the largest K1).
    const width = Math.min(k1, k);
    const candidates = new Int32Array(rows * k1).fill(-1);
    const candidateScores = new Float32Array(rows * k1);
    for (let row = 0; row < rows; row++) {
      candidates.set(lists.items.subarray(row * k, row * k + width), row * k1);
      candidateScores.set(scores.subarray(row * k, row * k + width), row * k1);
    }
    if (testOffsets[rows] > 0) {
      const result = rankingMetrics({
        k1,
        k2,
        candidates,
        scores: candidateScores,
        positiveOffsets: testOffsets,
        positiveItems: testPositiveItems,
      });
      Object.assign(metrics, result.metrics);
    } else {
      for (const name of ['N', 'M', 'H', 'NDCG']) metrics[`${name}@${k2}`] = 0;
    }
    if (truth) {
      metrics[`GT-H@${k2}`] =
        truthOffsets[rows] > 0
          ? rankingMetrics({
              k1,
              k2,
              candidates,
              scores: candidateScores,
              positiveOffsets: truthOffsets,
              positiveItems: truthPositiveItems,
            }).metrics[`H@${k2}`]
          : 0;
    }
  }
  return metrics;
}

export interface CascadeEvaluationInput {
  dataset: CascadeDataset;
  split: DataSplit;
  evaluation: EvaluationSpec;
  trained: TrainedRetrieval;
  /** The ranking stage's model; null evaluates retrieval only. */
  ranking: RankingScorer | null;
}

export interface CascadeEvaluation {
  retrieval: RetrievalEvalResult;
  /** N/M/H/NDCG@K2 (and GT-H@K2 with ground truth); null without a ranking stage. */
  ranking: Record<string, number> | null;
}

/**
 * The cascade's evaluation of a trained retrieval model: retrieval over the corpus (every item, or
 * the test split's), then the ranking stage on the retrieved lists. Reads asynchronously: the
 * WebGPU backend cannot read GPU memory synchronously in Node.
 */
export async function evaluateCascade(input: CascadeEvaluationInput): Promise<CascadeEvaluation> {
  const { dataset, split, evaluation, trained, ranking } = input;
  const groundTruth = dataset.groundTruth;
  const corpus = evaluation.corpus === 'test' ? distinctItems(dataset, split.test) : null;
  const testPositives = groupItemsByUser(dataset, split.test, { onlyPositive: true, unique: true });
  // The retrieval evaluation keeps the ones in the corpus, and what the ranking stage needs of them.
  const groundTruthPositives = groundTruth ? (u: number) => groundTruth.unexposedPositives(u) : undefined;
  const retrieval = await evaluateRetrievalAsync({
    userVectors: trained.userVectors,
    itemVectors: trained.itemVectors,
    dim: trained.dim,
    numUsers: dataset.numUsers,
    numItems: dataset.numItems,
    testPositives,
    corpus,
    ks: evaluation.retrievalK,
    keepTopLists: ranking !== null,
    ...(groundTruthPositives ? { groundTruthPositives } : {}),
  });
  const rankingResult =
    ranking && retrieval.topLists
      ? await evaluateRankingStage({
          lists: retrieval.topLists,
          ks: evaluation.retrievalK,
          scorer: ranking,
          testPositives,
        })
      : null;
  return { retrieval, ranking: rankingResult };
}
