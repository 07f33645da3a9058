/**
 * KEEP (Zhang, Chan et al., CIKM 2022): knowledge extraction on a super-domain and plugging into
 * a downstream CTR model. The testbed (data.ts) builds a large multi-behaviour super-domain and a
 * small target sub-domain sharing its users and items; the methods (methods.ts, run.ts) are
 * Base, Sample Merging, KEEP-C and KEEP in the order of the paper's Table 2, with Tables 3, 4, 6
 * and 8 as parameters; the metric is GAUC (Eq. 7, gauc.ts) beside AUC, Improv. over Base on the
 * same seed, GT-GAUC on simulated data and GAUC per user-activity quartile (Table 7's grouping).
 */
import type { ExperimentSpec, MetricColumn } from '../../../contract/api';
import type { ProtocolModule } from '../types';
import { KEEP_METHODS } from './methods';
import { KEEP_PROTOCOL_PARAMS } from './settings';
import { ACTIVITY_GROUPS, runKeepJob } from './run';

const GROUP = 'CTR prediction (sub-domain test window)';
const GT_GROUP = 'Ground truth';
const ACTIVITY_GROUP = 'GAUC by user activity (Table 7 grouping)';

export const keepProtocol: ProtocolModule = {
  descriptor: {
    id: 'keep',
    name: 'KEEP knowledge extraction and plug-in',
    paper: 'KEEP (CIKM 2022)',
    summary:
      'A multi-behaviour super-domain (click, conversion, add-to-cart) and a smaller sub-domain CTR task share users and items. ' +
      'KEEP pre-trains a multi-task extractor on the super-domain (point-wise + α pair-wise loss), extracts K_u, K_i, K_ui and adds ' +
      'their projection to the m-th dense layer of the downstream model; evaluation is GAUC (impression-weighted per-user AUC) on the sub-domain test window.',
    params: KEEP_PROTOCOL_PARAMS,
    methods: KEEP_METHODS.map((m) => m.id),
    // The settings of experiments/keep-*.json.
    training: { epochs: 2, batchSize: 512, learningRate: 0.05, embeddingDim: 16 },
    evaluationSettings: [],
  },
  methods: KEEP_METHODS,
  columns(_spec: ExperimentSpec, hasGroundTruth: boolean): MetricColumn[] {
    const columns: MetricColumn[] = [
      { key: 'GAUC', group: GROUP, higherIsBetter: true },
      { key: 'Improv.', group: GROUP, higherIsBetter: true },
      { key: 'AUC', group: GROUP, higherIsBetter: true },
    ];
    if (hasGroundTruth) columns.push({ key: 'GT-GAUC', group: GT_GROUP, higherIsBetter: true });
    for (let g = 1; g <= ACTIVITY_GROUPS; g++)
      columns.push({ key: `GAUC Q${g}`, group: ACTIVITY_GROUP, higherIsBetter: true });
    return columns;
  },
  caption(spec: ExperimentSpec): string {
    const stored = spec.dataset.kind === 'stored';
    return (
      'GAUC (Eq. 7, impression-weighted per-user AUC) and AUC of click prediction on the sub-domain test window; Improv. = GAUC minus ' +
      'Base on the same seed; GAUC Q1-Q4 by users\u2019 super-domain clicks (Q1 sparsest). ' +
      (stored
        ? 'Domains derived from the stored log (5:2:1 time windows, hashed item subset as the sub-domain).'
        : 'Simulated super-domain and sub-domain; GT-GAUC scores against the true click probabilities.')
    );
  },
  runJob: runKeepJob,
};
