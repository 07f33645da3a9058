/**
 * The cascade testbed's data: the job's exposure log (simulated, or a stored dataset's columns) and
 * its train / valid / test split, each user's interactions 6:2:2 in time order (DAMCAR section
 * 5.1.1, the default) or the last day as the test set.
 */
import type { EvaluationSpec } from '../../../contract/api';
import { type CascadeDataset, datasetStats, trainingView } from '../../data/dataset';
import { type DataSplit, splitByGlobalTime, splitByUserTime } from '../../data/split';
import type { ProtocolJobContext } from '../types';

export interface CascadeData {
  dataset: CascadeDataset;
  split: DataSplit;
}

/** The split the spec's evaluation settings ask for (training view: ground truth is never read). */
export function splitOf(dataset: CascadeDataset, evaluation: EvaluationSpec): DataSplit {
  return evaluation.split === 'global-time'
    ? splitByGlobalTime(trainingView(dataset), { dayLength: evaluation.dayLength ?? 86_400 })
    : splitByUserTime(trainingView(dataset));
}

/** The job's data phase (timed as 'data'): dataset and split, reported as an event and a log line. */
export async function loadCascadeData(ctx: ProtocolJobContext): Promise<CascadeData> {
  const { dataset, split } = await ctx.timed('data', () => {
    const ds = ctx.materializeDataset();
    return { dataset: ds, split: splitOf(ds, ctx.request.spec.evaluation) };
  });
  const stats = datasetStats(dataset);
  ctx.emit({
    type: 'dataset',
    name: dataset.name,
    users: stats.users,
    items: stats.items,
    interactions: stats.interactions,
    positives: stats.positives,
    hasGroundTruth: stats.hasGroundTruth,
  });
  ctx.emit({
    type: 'log',
    level: 'info',
    message:
      `${dataset.name}: ${stats.interactions} interactions (${(stats.positiveRate * 100).toFixed(1)}% finished); ` +
      `split ${split.train.length}/${split.valid.length}/${split.test.length} (train/valid/test).`,
  });
  return { dataset, split };
}
