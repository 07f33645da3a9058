/** Result-table columns for an experiment's evaluation settings, in the papers' order. */
import type { EvaluationSpec, MetricColumn } from '../../contract/api';

export const RETRIEVAL_GROUP = 'Retrieval';
export const GROUND_TRUTH_GROUP = 'Ground truth';

/**
 * Retrieval columns R@K, P@K, F@K for each K (as in DAMCAR Tables 2-3), then GT-R@K for each K
 * when the dataset has ground truth. All are higher-is-better.
 */
export function describeMetricColumns(evaluation: EvaluationSpec, hasGroundTruth: boolean): MetricColumn[] {
  const columns: MetricColumn[] = [];
  for (const k of evaluation.retrievalK) {
    for (const name of ['R', 'P', 'F'])
      columns.push({ key: `${name}@${k}`, group: RETRIEVAL_GROUP, higherIsBetter: true });
  }
  if (hasGroundTruth) {
    for (const k of evaluation.retrievalK)
      columns.push({ key: `GT-R@${k}`, group: GROUND_TRUTH_GROUP, higherIsBetter: true });
  }
  return columns;
}
