/** Result-table columns for an experiment's evaluation settings, in the papers' order. */
import type { EvaluationSpec, MetricColumn, RankingModelName } from '../../contract/api';

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
 * experiments/run-job.ts). All are higher-is-better.
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
