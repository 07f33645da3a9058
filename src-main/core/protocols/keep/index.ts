/**
 * KEEP (Zhang, Chan et al., CIKM 2022): knowledge extraction on a super-domain and plugging into
 * a downstream CTR model. The testbed (data.ts) builds a large multi-behaviour super-domain and a
 * small target sub-domain sharing its users and items (settings.ts); the methods (methods.ts, train.ts) are
 * Base, Sample Merging, KEEP-C and KEEP in the order of the paper's Table 2, with Tables 3, 4, 6
 * and 8 as parameters; the metric is GAUC (Eq. 7, metrics.ts) beside AUC, Improv. over Base on the
 * same seed, GT-GAUC on simulated data and GAUC per user-activity quartile (Table 7's grouping).
 *
 * What this testbed can and cannot show. The simulator builds a super-domain of about 140
 * impressions per user (1,500 users, log-normal activity) whose clicks read a latent preference z,
 * while conversion and add-to-cart also read two user x category purchase-intent latents that
 * clicks never see; the sub-domain (750 users, 750 items, 8 training, 16 validation and 120 test
 * impressions per user) clicks on z + intent + a small sub-domain-only part (domainShift 0.5).
 * So knowledge from super-domain clicks can help every method that sees them (Sample Merging
 * pools them, KEEP extracts them), and only the conversion and add-to-cart tasks can carry intent
 * (Table 4). Every downstream model trains under one rule: early stopping on validation GAUC with
 * the same step cap (early-stopping.ts), so no method gets more optimisation than Base, and from
 * Base's initialisation and batch order (common random numbers, train.ts), so Improv. measures
 * the knowledge rather than another draw of both. Test GAUC has ground truth beside it (GT-GAUC,
 * GT Improv.); at 120 test impressions per user the test draw adds at most 0.003 to a paired
 * improvement's spread over seeds, the rest is training (README). It cannot show the paper's production scale
 * (billions of rows, behaviour sequences, CAN/DIN models), the paper's finding that Sample Merging
 * hurts unless the sub-domain's own terms are large (keep-domain-shift-sweep), nor anything the
 * simulator does not put in: intent exists only because the world declares it (intentWeight 0 is
 * the earlier world, where conversion and cart are steeper copies of the click latent). A stored
 * log supplies one exposure log: click = finish, cart and conversion = watch-time quantiles of
 * clicks, a hashed item subset as the sub-domain; it has no ground truth and no behaviour beyond
 * watch time, so Table 4 there measures only whether longer watching is informative.
 */
import type { ExperimentSpec, MetricColumn } from '../../../contract/api';
import type { ProtocolModule } from '../types';
import { KEEP_METHODS } from './methods';
import { KEEP_PROTOCOL_PARAMS } from './settings';
import { ACTIVITY_GROUPS, runKeepJob } from './train';

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
    training: { epochs: 2, batchSize: 512, learningRate: 0.01, embeddingDim: 16 },
    evaluationSettings: [],
    presentation: { rankingStage: false, figures: {}, pairedMethods: [] },
  },
  methods: KEEP_METHODS,
  columns(_spec: ExperimentSpec, hasGroundTruth: boolean): MetricColumn[] {
    const columns: MetricColumn[] = [
      { key: 'GAUC', group: GROUP, higherIsBetter: true },
      { key: 'Improv.', group: GROUP, higherIsBetter: true },
      { key: 'AUC', group: GROUP, higherIsBetter: true },
    ];
    if (hasGroundTruth)
      columns.push(
        { key: 'GT-GAUC', group: GT_GROUP, higherIsBetter: true },
        { key: 'GT Improv.', group: GT_GROUP, higherIsBetter: true },
      );
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
