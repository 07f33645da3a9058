/**
 * DAMCAR's two-stage cascade testbed (DAMCAR, ACM MM 2024, section 5.1): DSSM retrieval trained by
 * each method (methods.ts, method-*.ts) on the exposure log, a DeepFM or DCN ranking stage trained
 * once per seed (model-ranking.ts), evaluation of both stages (metrics.ts); one job in train.ts.
 * Its settings (the retrieval model's and the ranking network's readings) are in settings.ts.
 *
 * What this testbed can and cannot show. On the simulator the log is what a biased cascade chose
 * to expose (exposure bias 0.9 by default), and every (user, item) pair has one finish label drawn
 * once, so beside the paper's metrics on the exposure-biased test split it measures ground-truth
 * recall and hits on the unexposed pairs users would have finished (GT columns); an imported log
 * has only the biased split. Every method gets the same budget (3 epochs, batch 512, Adagrad 0.01,
 * as the paper and the authors' code) and DAMCAR's label generator its own 3 epochs first; the
 * corpus is every item (the paper) or the test split's items (the authors' code), named in each
 * caption. What DAMCAR exploits is in the simulated data: the logging policies follow the users'
 * latent preferences, so the unexposed items a short walk away in the watch graph are ones similar
 * users finished, and a ranking model trained on exposures can label them. What it cannot show: biased R@K rewards reproducing the logger's exposures, which
 * is the opposite of what DAMCAR does, so the paper's retrieval ordering is not expected there
 * (it appears, if at all, in the re-ranked stage and on ground truth); the paper's industrial
 * scale; and, without the WeChat and TikTok files, the paper's own numbers.
 */
import type { ExperimentSpec, MetricColumn, ParamValues, ProtocolDescriptor } from '../../../contract/api';
import { DEFAULT_TRAINING } from '../../../contract/ranges';
import type { ProtocolModule, SpecProblem } from '../types';
import { getMethod, listMethods } from './methods';
import { RANKING_GROUP, describeMetricColumns, rankingCutoff } from './metrics';
import {
  RANKING_NETWORK_PARAM,
  RETRIEVAL_PARAMS,
  damcarReadingCaption,
  rankingModelOf,
  rankingNetworkReading,
  retrievalCaption,
} from './settings';
import { prefetchCascadeRanking, runCascadeJob } from './train';

export const DAMCAR_PROTOCOL: ProtocolDescriptor = {
  id: 'damcar',
  name: 'DAMCAR two-stage cascade',
  paper: 'DAMCAR (ACM MM 2024)',
  summary:
    'DSSM retrieval trained on the exposure log (per-user 6:2:2 time split), DeepFM or DCN ranking ' +
    'trained once per seed on exposed data; R/P/F@K1 by exact top-K1 over the corpus, then the ranking ' +
    'model re-ranks each top-K1 list for N/M/H@K2 (K2 = K1 / 10); ground truth on simulated data.',
  params: [...RETRIEVAL_PARAMS, RANKING_NETWORK_PARAM],
  methods: listMethods().map((m) => m.id),
  // Section 5.1.4 and the authors' code: 3 epochs, batch 512, Adagrad 0.01; embeddings 32 as the
  // authors' code (config.py EMBED_DIMENSIONS; the paper says 128).
  // The spec's defaults are DAMCAR's training settings (contract/ranges.ts says where they come from).
  training: { ...DEFAULT_TRAINING },
  evaluationSettings: ['retrievalK', 'corpus', 'split'],
  presentation: {
    cutoffs: { label: 'Retrieval K', help: 'Cut-offs K₁, e.g. 100, 200 (paper).' },
    rankingStage: true,
    modelNote: 'Retrieval model: two-tower DSSM, as in the papers.',
    figures: { comparison: "DAMCAR's Figure 3 ablation", sensitivity: 'Figure 4', predictions: 'Figure 5' },
    // Figures 3 and 4 plot N@10, M@10, H@10; Figure 5 sets BC against DAMCAR.
    chartGroup: RANKING_GROUP,
    pairedMethods: ['bc', 'damcar'],
  },
};

/** Shares of a job's progress: the ranking model's training, when there is one, is a quarter. */
const DATA_SHARE = 0.05;
const RANKING_SHARE = 0.25;
const EVAL_SHARE = 0.05;

/** A row's method parameters with the declared defaults filled (the spec was validated). */
function rowParams(id: string, params: ParamValues | undefined): ParamValues {
  const declared = getMethod(id)?.descriptor.params ?? [];
  return { ...Object.fromEntries(declared.map((p) => [p.key, p.default])), ...params };
}

/**
 * The caption's sentence: the corpus, the retrieval model and the DAMCAR reading (adversary, target
 * label path, Eq. 3 comparison), so a reader of Table 2 knows whether it shows the paper's literal
 * method or a stabilised one.
 */
function caption(spec: ExperimentSpec): string {
  const corpus =
    spec.evaluation.corpus === 'all'
      ? 'retrieval searched the whole item corpus'
      : 'retrieval searched only the items of the test split';
  const reading = damcarReadingCaption(
    spec.methods.map((m) => ({ id: m.id, params: rowParams(m.id, m.params) })),
  );
  const ranking =
    rankingModelOf(spec) !== 'none' && rankingNetworkReading({ ...spec.protocolParams }) === 'authors'
      ? ["ranking network: the authors' code's (DNN 256-128, N(0, 1e-4) kernels, embedding L2 1e-5)"]
      : [];
  return [corpus, retrievalCaption(spec), ...ranking, ...(reading ? [reading] : [])].join('; ');
}

/** The ranking stage keeps K2 = K1 / 10 of each retrieved list (DAMCAR section 5.1.4). */
function checkSpec(spec: ExperimentSpec): SpecProblem | null {
  const model = rankingModelOf(spec);
  if (model === 'none') return null;
  const i = spec.evaluation.retrievalK.findIndex((k) => rankingCutoff(k) === null);
  if (i < 0) return null;
  return {
    field: `evaluation.retrievalK[${i}]`,
    message:
      `must be a multiple of 10 while ranking.model is "${model}", since the ranking ` +
      `stage keeps K2 = K1 / 10 of each retrieved list; got ${spec.evaluation.retrievalK[i]} (or set ranking.model to "none")`,
  };
}

export const damcarProtocol: ProtocolModule = {
  descriptor: DAMCAR_PROTOCOL,
  methods: listMethods(),
  columns: (spec, hasGroundTruth): MetricColumn[] =>
    describeMetricColumns(spec.evaluation, hasGroundTruth, rankingModelOf(spec)),
  caption,
  checkSpec,
  progressShares: (spec) => ({
    data: DATA_SHARE,
    ranking: rankingModelOf(spec) === 'none' ? 0 : RANKING_SHARE,
    eval: EVAL_SHARE,
  }),
  runJob: runCascadeJob,
  prefetch: prefetchCascadeRanking,
};
