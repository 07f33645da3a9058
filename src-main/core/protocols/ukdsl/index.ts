/**
 * UKDSL (Meta): "A Unified Knowledge-Distillation and Semi-Supervised Learning Framework to
 * Improve Industrial Ads Delivery Systems", as a Cascade Lab testbed.
 *
 * What it builds: a two-stage ranking funnel (funnel.ts) where an early stage picks a
 * consideration set per request and a later stage picks the impressions among it; impressions are
 * labelled, the rest of the consideration set is not (the simulator keeps its true click
 * probability for evaluation). Methods (methods.ts, train.ts): section 3.2's calibration
 * simulation (Figure 2), the impression-only early-stage baseline and UKDSL's semi-supervised
 * cross-stage distillation (Table 1), semi-supervised feature selection with each combination
 * rule (Table 2), and distillation from a foundation model with dependent / auxiliary tasks
 * (Table 3). Metrics (metrics.ts): calibration and normalized entropy on impression and
 * consideration data, NE relative change against the table's reference, AUC.
 *
 * Scale: everything is far smaller than the paper's production system (MLPs of tens to hundreds
 * of units on 12 scalar fields instead of production models on thousands of features), so only
 * the direction and rough size of the effects can be compared with the paper's numbers.
 */
import type { ParamSpec } from '../../../contract/api';
import type { ProtocolModule } from '../types';
import { runUkdslJob, ukdslCaption, ukdslColumns } from './train';
import { PAPER, UKDSL_METHODS } from './methods';

const PROTOCOL_PARAMS: ParamSpec[] = [
  {
    kind: 'number',
    key: 'poolSize',
    label: 'Pool per request',
    help: 'Items the early stage scores per request (uniform draw); it keeps candidatesPerRequest of them (the consideration set) and the later stage shows exposedPerRequest. Simulated data only.',
    default: 300,
    min: 2,
    max: 1_000_000,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'earlyStageNoise',
    label: 'Early stage noise sigma_1',
    help: 'Std of the logging early stage error on the true logit (section 3.2). Simulated data only.',
    default: 1.5,
    min: 0,
    max: 20,
    step: 0.1,
    integer: false,
  },
  {
    kind: 'number',
    key: 'laterStageNoise',
    label: 'Later stage noise sigma_2',
    help: 'Std of the logging later stage error on the true logit (smaller than sigma_1). Simulated data only.',
    default: 0.3,
    min: 0,
    max: 20,
    step: 0.1,
    integer: false,
  },
  {
    kind: 'number',
    key: 'lateSignalShare',
    label: 'Later-stage-only signal share',
    help: 'Share of the latent dimensions whose affinity only the later stage observes (the fine affinity): the more, the more the later stage selects on what the early stage cannot see. Simulated data only.',
    default: 0.125,
    min: 0,
    max: 0.9,
    step: 0.025,
    integer: false,
  },
  {
    kind: 'number',
    key: 'unlabeledSampleRate',
    label: 'Unlabelled sample rate',
    help: 'Share of the unlabelled consideration rows of training / withheld requests kept (test requests keep all). Simulated data only.',
    default: 0.15,
    min: 0.001,
    max: 1,
    step: 0.01,
    integer: false,
  },
  {
    kind: 'number',
    key: 'testShare',
    label: 'Test share',
    help: 'Share of requests held out for evaluation (10% more are withheld for feature importance). Simulated data only.',
    default: 0.2,
    min: 0.05,
    max: 0.8,
    step: 0.05,
    integer: false,
  },
  {
    kind: 'number',
    key: 'unlabeledPerImpression',
    label: 'Unlabelled rows per impression (stored data)',
    help: 'Stored datasets have no logged consideration set: this many never-exposed items per impression, drawn by exposure count, stand in for it.',
    default: 3,
    min: 1,
    max: 100,
    step: 1,
    integer: true,
  },
];

export const ukdslProtocol: ProtocolModule = {
  descriptor: {
    id: 'ukdsl',
    name: 'UKDSL cross-stage semi-supervised distillation',
    paper: PAPER,
    summary:
      'A two-stage ranking funnel: the early stage picks a consideration set per request, the later stage the ' +
      'impressions, which alone get labels. The early-stage model is trained on impressions only (baseline) or with ' +
      'the later stage labelling the unlabelled consideration data (UKDSL), with semi-supervised feature selection ' +
      'and foundation-model distillation; calibration, NE and AUC on impression and consideration data. Stored ' +
      'datasets: impressions = the exposure log, consideration data = sampled unexposed items, no ground truth.',
    params: PROTOCOL_PARAMS,
    methods: UKDSL_METHODS.map((m) => m.id),
    // The settings of experiments/ukdsl-*.json.
    training: { epochs: 8, batchSize: 512, learningRate: 0.02, embeddingDim: 16 },
    evaluationSettings: [],
  },
  methods: UKDSL_METHODS,
  columns: ukdslColumns,
  caption: ukdslCaption,
  runJob: runUkdslJob,
};
