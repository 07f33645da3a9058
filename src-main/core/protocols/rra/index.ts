/**
 * RRA (KDD 2023) testbed: retrieval and ranking alignment for unfamiliar recommendation. Data:
 * an impression log with request-level candidate sets (data.ts; last day = test); settings in
 * settings.ts; methods in methods.ts, trained by model-trainer.ts; one job in train.ts (production
 * ranking model, the method, evaluation); metrics in metrics.ts.
 */
import type { ExperimentSpec, MetricColumn } from '../../../contract/api';
import type { ProtocolModule } from '../types';
import { RRA_METHODS, RRA_METHOD_IDS } from './methods';
import { metricKeys } from './metrics';
import { RRA_PROTOCOL_PARAMS, resolveRraSettings } from './settings';
import { runRraJob } from './train';

const PAPER_GROUP_SIMULATED = 'Simulated "For You" log (test day, unfamiliar corpus)';
const PAPER_GROUP_STORED = 'Exposure log (test day, unfamiliar corpus)';
const CANDIDATE_GROUP = 'Within the logged candidate set';
const GROUND_TRUTH_GROUP = 'Ground truth';

export const rraProtocol: ProtocolModule = {
  descriptor: {
    id: 'rra',
    name: 'RRA retrieval-ranking alignment',
    paper: 'RRA (KDD 2023)',
    summary:
      'Impression log of a long-video "For You" collection with request-level candidate sets, clicks and ' +
      'discovery-induced watching minutes (DWM); the last day is the test set. Retrieval models (with or ' +
      'without a synchronously trained ranking model) are scored by Recall@K and DWM-weighted WRecall@K of the ' +
      "test clicks within each request's candidate set, and by NKTD@N against the production ranking order. " +
      'A training batch is a number of requests; the bundled specs use 128 requests, Adagrad lr 0.15, 5 epochs.',
    params: RRA_PROTOCOL_PARAMS,
    methods: RRA_METHOD_IDS,
    // The settings of experiments/rra-*.json.
    training: { epochs: 5, batchSize: 128, learningRate: 0.15, embeddingDim: 32 },
    evaluationSettings: [],
    presentation: { rankingStage: false, figures: {}, pairedMethods: [] },
  },
  methods: RRA_METHODS,
  columns(spec: ExperimentSpec, hasGroundTruth: boolean): MetricColumn[] {
    const settings = resolveRraSettings(spec.protocolParams ?? {});
    const keys = metricKeys(settings);
    const group = spec.dataset.kind === 'simulated' ? PAPER_GROUP_SIMULATED : PAPER_GROUP_STORED;
    const columns: MetricColumn[] = [
      { key: keys.recall, group, higherIsBetter: true },
      { key: keys.wRecall, group, higherIsBetter: true },
      { key: keys.nktd, group, higherIsBetter: false },
      { key: keys.candidateRecall, group: CANDIDATE_GROUP, higherIsBetter: true },
      { key: keys.candidateWRecall, group: CANDIDATE_GROUP, higherIsBetter: true },
    ];
    if (hasGroundTruth) {
      columns.push(
        { key: keys.gtRecall, group: GROUND_TRUTH_GROUP, higherIsBetter: true },
        { key: keys.gtWRecall, group: GROUND_TRUTH_GROUP, higherIsBetter: true },
      );
    }
    return columns;
  },
  caption(spec: ExperimentSpec): string {
    const settings = resolveRraSettings(spec.protocolParams ?? {});
    const k = settings.recallK;
    return (
      `Recall@${k} and WRecall@${k} (DWM-weighted) of the test day's clicks within each request's ` +
      `${settings.candidates}-show candidate set, NKTD@${settings.nktdN} (lower = retrieval order closer to ` +
      `the production ranking), ${settings.architecture === 'prod' ? `ProdModel-like architecture (MMoE, ${settings.experts} experts)` : 'BaseModel architecture (MLP)'}; ` +
      (spec.dataset.kind === 'simulated'
        ? 'simulated long-video impression log; GT columns: expected share of would-be clicks (and DWM) kept'
        : 'impressions derived from the stored exposure log (requests = user-days)')
    );
  },
  runJob: runRraJob,
};
