/**
 * KEEP (Zhang, Chan et al., CIKM 2022): knowledge extraction on a super-domain and plugging into
 * a downstream CTR model. The testbed (data.ts) builds a large multi-behaviour super-domain and a
 * small target sub-domain sharing its users and items; the methods (methods.ts, run.ts) are
 * Base, Sample Merging, KEEP-C and KEEP in the order of the paper's Table 2, with Tables 3, 4, 6
 * and 8 as parameters; the metric is GAUC (Eq. 7, gauc.ts) beside AUC, Improv. over Base on the
 * same seed, GT-GAUC on simulated data and GAUC per user-activity quartile (Table 7's grouping).
 */
import type { ExperimentSpec, MetricColumn, ParamSpec } from '../../../contract/api';
import { numberParam } from '../../methods/param-spec';
import type { ProtocolModule } from '../types';
import { DEFAULT_KEEP_DATA_PARAMS } from './data';
import { KEEP_METHODS } from './methods';
import { ACTIVITY_GROUPS, runKeepJob } from './run';

const D = DEFAULT_KEEP_DATA_PARAMS;

export const KEEP_PROTOCOL_PARAMS: ParamSpec[] = [
  numberParam(
    'targetUserShare',
    'Sub-domain users (share)',
    'Share of the users active in the sub-domain (paper: about half of the super-domain users, Table 1).',
    D.targetUserShare,
    0.05,
    1,
    false,
    { step: 0.05 },
  ),
  numberParam(
    'targetItemShare',
    'Sub-domain items (share)',
    'Share of the items that belong to the sub-domain (the ads sub-scenario); on stored data, the hashed share of items whose rows form the sub-domain.',
    D.targetItemShare,
    0.02,
    1,
    false,
    { step: 0.01 },
  ),
  numberParam(
    'pretrainImpressions',
    'Super-domain impressions per user, pre-training window',
    'Super-domain impressions per user in the earlier window KEEP pre-trains on (paper: five days).',
    D.pretrainImpressions,
    0,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'concurrentImpressions',
    'Super-domain impressions per user, concurrent window',
    "Super-domain impressions per user in the sub-domain's training window (paper: two days), used by KEEP-C and Sample Merging.",
    D.concurrentImpressions,
    0,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'targetTrainImpressions',
    'Sub-domain training impressions per user',
    'Sub-domain impressions per sub-domain user in the training window (paper: about 29 ad impressions per user a month, Figure 1).',
    D.targetTrainImpressions,
    1,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'targetTestImpressions',
    'Sub-domain test impressions per user',
    'Sub-domain impressions per sub-domain user in the test window.',
    D.targetTestImpressions,
    2,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'clickBias',
    'Super-domain click bias',
    'Added to the latent preference logit for a super-domain click.',
    D.clickBias,
    -12,
    5,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'conversionBias',
    'Conversion bias',
    'Conversion given a click: sigmoid(2 z + bias).',
    D.conversionBias,
    -12,
    5,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'cartBias',
    'Add-to-cart bias',
    'Add-to-cart given a click: sigmoid(1.5 z + bias).',
    D.cartBias,
    -12,
    5,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'targetClickBias',
    'Sub-domain click bias',
    'Added to the sub-domain click logit (ads are clicked less).',
    D.targetClickBias,
    -12,
    5,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'domainShift',
    'Domain shift',
    'Scale of the sub-domain-only user-item interaction in its click logit; 0 makes the sub-domain click like the super-domain.',
    D.domainShift,
    0,
    3,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'activitySpread',
    'User activity spread',
    "Log-std of each user's super-domain activity (a log-normal factor with mean 1 on the impression counts); 0 gives every user the same counts.",
    D.activitySpread,
    0,
    2,
    false,
    { step: 0.05 },
  ),
  {
    kind: 'boolean',
    key: 'downstreamUserId',
    label: 'Downstream model uses the user id',
    help: 'The paper keeps the user id out of the main task, whose production model has behaviour-sequence features instead; the simulated downstream model has no other user feature, so it is on by default.',
    default: true,
  },
];

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
