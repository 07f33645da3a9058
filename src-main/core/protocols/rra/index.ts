/**
 * RRA (KDD 2023) testbed: retrieval and ranking alignment for unfamiliar recommendation. Data:
 * an impression log with request-level candidate sets (data.ts; last day = test); settings in
 * settings.ts; methods in methods.ts, trained by model-trainer.ts; one job in train.ts (production
 * ranking model, the method, evaluation); metrics in metrics.ts.
 *
 * What this testbed can and cannot show. The simulated log (600 users x 8 requests, 600 shows, 10
 * impressions per request from a 400-show logged candidate set) carries the two mechanisms RRA
 * relies on: a franchise "sequel" effect on clicks and on later watching, which the ranking model
 * reads as a cross feature (franchise watch count, genre share of the whole history) that a
 * two-tower retrieval model cannot compute, and DWM simulated as a week of watching after the first
 * play, driven by a viewing-depth taste the click does not reveal, a user binge propensity and the
 * sequel effect; the logging ranker is a click model, so impressions do not already encode DWM.
 * Every method trains 20 epochs (about 660 Adagrad steps; BaseModel's training loss then changes by
 * about 0.5% per epoch and its test recall is near its peak, which falls again by 80 epochs) and
 * is evaluated over each test request's whole unfamiliar corpus (Recall, WRecall, NKTD against
 * the production ranking model), with the in-candidate recall as a second view and ground-truth
 * recall from the simulated click probabilities and expected DWM. It cannot show effects that need
 * the paper's scale (tens of thousands of shows, months of logs, a Transformer over histories) or
 * Adam; a few clicks per show limit what any model learns. On a stored exposure log the cross
 * feature has no franchises (only the genre share remains), DWM is the logged watch time of the
 * exposure (no later watching), candidate sets are sampled by popularity and there is no ground truth.
 */
import type { ExperimentSpec, MetricColumn } from '../../../contract/api';
import type { ProtocolModule, SpecProblem } from '../types';
import { RRA_METHODS, RRA_METHOD_IDS, planOf } from './methods';
import { metricKeys } from './metrics';
import { RRA_PROTOCOL_PARAMS, resolveRraSettings } from './settings';
import { runRraJob } from './train';

const PAPER_GROUP_SIMULATED = 'Simulated "For You" log (test day, unfamiliar corpus)';
const PAPER_GROUP_STORED = 'Exposure log (test day, unfamiliar corpus)';
const CANDIDATE_GROUP = 'Within the logged candidate set';
const GROUND_TRUTH_GROUP = 'Ground truth';

/**
 * A method row whose switches cannot combine (L_kd^* without the ranking model it distils, no loss
 * at all, r_up below r_low) is refused when the spec is validated, not when its job starts.
 */
function checkSpec(spec: ExperimentSpec): SpecProblem | null {
  for (const [i, row] of spec.methods.entries()) {
    try {
      planOf(row.id, row.params ?? {});
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const [field, ...rest] = message.split(': ');
      return rest.length > 0
        ? { field: `methods[${i}].${field.replace(/^method\./, '')}`, message: rest.join(': ') }
        : { field: `methods[${i}]`, message };
    }
  }
  return null;
}

export const rraProtocol: ProtocolModule = {
  descriptor: {
    id: 'rra',
    name: 'RRA retrieval-ranking alignment',
    paper: 'RRA (KDD 2023)',
    summary:
      'Impression log of a long-video "For You" collection with request-level candidate sets, clicks and ' +
      'discovery-induced watching minutes (DWM, a week of watching after the first play); the last day is the ' +
      'test set. Retrieval models (with or without a synchronously trained ranking model) are scored by ' +
      "Recall@K and DWM-weighted WRecall@K of the test clicks over each request's unfamiliar corpus (every " +
      'show the user has not watched; in-candidate recall as a second view), and by NKTD@N against the ' +
      'production ranking model, which reads cross features the two-tower retrieval cannot compute. A training ' +
      'batch is a number of requests; the bundled specs use 128 requests, Adagrad lr 0.15, 20 epochs.',
    params: RRA_PROTOCOL_PARAMS,
    methods: RRA_METHOD_IDS,
    // The settings of experiments/rra-*.json.
    training: { epochs: 20, batchSize: 128, learningRate: 0.15, embeddingDim: 32 },
    evaluationSettings: [],
    presentation: { rankingStage: false, figures: {}, pairedMethods: [] },
  },
  methods: RRA_METHODS,
  checkSpec,
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
      `Recall@${k} and WRecall@${k} (DWM-weighted) of the test day's clicks over each request's unfamiliar ` +
      `corpus (every show the user has not watched; "in candidates": within the ${settings.candidates}-show ` +
      `logged candidate set), NKTD@${settings.nktdN} over the retrieval's top ${settings.nktdN} of that corpus ` +
      `(lower = retrieval order closer to the production ranking), ${settings.architecture === 'prod' ? `ProdModel-like architecture (MMoE, ${settings.experts} experts)` : 'BaseModel architecture (MLP)'}; ` +
      (spec.dataset.kind === 'simulated'
        ? "simulated long-video impression log; GT columns: expected share of the unfamiliar corpus's " +
          'would-be clicks (and expected DWM) kept in the top K'
        : 'impressions derived from the stored exposure log (requests = user-days)')
    );
  },
  runJob: runRraJob,
};
