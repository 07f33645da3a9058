/**
 * Method descriptors of the UKDSL testbed (UKDSL (Meta)), in the paper's order: section 3.2's
 * simulation (Figure 2), Table 1 (baseline against cross-stage distillation), Table 2
 * (semi-supervised feature selection, one row per combination rule) and Table 3 (distillation
 * from a foundation model with dependent and auxiliary tasks, switchable).
 */
import type { MethodDescriptor } from '../../../contract/api';
import { numberParam } from '../../methods/param-spec';
import { FEATURE_COMBINATIONS } from './metrics';

export const PAPER = 'UKDSL (Meta)';

export const SIMULATION_METHOD: MethodDescriptor = {
  id: 'ukdsl-sim',
  name: 'Section 3.2 simulation',
  paper: `${PAPER}, section 3 (Figure 2)`,
  summary:
    'Monte Carlo of the two-stage funnel of section 3.2: n candidates with CPM ~ N(mu, sigma^2), stage 1 = CPM + ' +
    'N(0, sigma_1^2) keeps its top k1, stage 2 = CPM + N(0, sigma_2^2) keeps the top k2 of those. Reports Eq. 2 ' +
    "cross-stage calibration and each stage's calibration on S1 (Figure 2 a-c), the second stage on S2, Eq. 1's " +
    'closed form of the first stage on S1 (Blom order statistics) and the share of the optimal return. No training.',
  equations: ['Eq. 1', 'Eq. 2'],
  stage: 'cascade',
  protocol: 'ukdsl',
  params: [
    numberParam(
      'candidates',
      'Candidates n',
      'Ads entering the first stage per trial.',
      1000,
      10,
      100_000,
      true,
    ),
    numberParam(
      'firstStageK',
      'First stage k1',
      'Size of S1, the first stage selection (Figure 2 x-axis).',
      100,
      1,
      100_000,
      true,
      {
        paperGrid: [10, 25, 50, 100, 200, 400],
      },
    ),
    numberParam(
      'secondStageK',
      'Second stage k2',
      'Ads the second stage keeps from S1.',
      10,
      1,
      100_000,
      true,
    ),
    numberParam('cpmMean', 'CPM mean mu', 'Mean of the true CPM.', 1, 0.01, 1000, false),
    numberParam('cpmStd', 'CPM std sigma', 'Std of the true CPM.', 0.3, 0, 1000, false),
    numberParam(
      'firstStageNoise',
      'Stage 1 noise sigma_1',
      'Prediction error std of the first stage (sigma_1 > sigma_2).',
      0.3,
      0,
      1000,
      false,
      {
        paperGrid: [0.1, 0.2, 0.3, 0.5],
      },
    ),
    numberParam(
      'secondStageNoise',
      'Stage 2 noise sigma_2',
      'Prediction error std of the second stage.',
      0.1,
      0,
      1000,
      false,
    ),
    numberParam(
      'trials',
      'Trials',
      'Monte Carlo repetitions; ratios are of sums over all trials.',
      500,
      1,
      1_000_000,
      true,
    ),
  ],
};

export const BASELINE_METHOD: MethodDescriptor = {
  id: 'ukdsl-baseline',
  name: 'Baseline',
  paper: `${PAPER}, Table 1 baseline`,
  summary:
    'The early-stage (pre-ranking) model trained on labelled impressions only with binary cross-entropy (Eq. 3). ' +
    'It sees only early-stage features, so the later stage selects impressions on signal it cannot see and it is ' +
    'over-calibrated on consideration data (paper: calibration 1.01 on impressions, 1.27 on consideration data).',
  equations: ['Eq. 3'],
  stage: 'retrieval',
  protocol: 'ukdsl',
  params: [],
};

export const UKDSL_METHOD: MethodDescriptor = {
  id: 'ukdsl',
  name: 'w/ Distillation',
  paper: `${PAPER}, section 4.1, Table 1`,
  summary:
    'Semi-supervised cross-stage distillation: the later-stage model (larger, with more features, trained on ' +
    'impressions) labels the unlabelled consideration data; the early-stage student trains on impressions with ' +
    'their labels plus consideration data with the teacher predictions as soft labels, BCE (Eq. 3) on both: ' +
    'L = (1/B) sum_imp BCE(y~, p) + lambda w (1/B) sum_cd BCE(p_teacher, p) over mixed batches, y~ = (1 - beta) y + ' +
    'beta p_teacher, w = 1 / the unlabelled sample rate (so the mix has the natural proportions of the consideration ' +
    'set). The paper gives no weights: lambda = 1, beta = 0 is training on the consideration set as a whole. Paper: ' +
    'calibration 1.03 / 1.12 (IMP / CD), NE change +0.01% / -1.98%.',
  equations: ['Eq. 3'],
  stage: 'retrieval',
  protocol: 'ukdsl',
  params: [
    numberParam(
      'considerationWeight',
      'Consideration weight lambda',
      'Weight of the distillation loss on consideration rows against the impression loss (not given by the paper).',
      1,
      0,
      20,
      false,
      { paperGrid: [0.25, 0.5, 1, 2, 4] },
    ),
    numberParam(
      'impressionTeacherBlend',
      'Teacher share on impressions beta',
      'Target on impressions = (1 - beta) label + beta teacher (the later stage teaches on labelled data too).',
      0,
      0,
      1,
      false,
    ),
    {
      kind: 'boolean',
      key: 'samplingCorrection',
      label: 'Inverse sampling weight',
      help: "Multiply lambda by 1 / the unlabelled sample rate (simulated data), so the mix has the consideration set's natural proportions of impressed and unimpressed rows.",
      default: true,
    },
  ],
};

export const SSFS_METHOD: MethodDescriptor = {
  id: 'ukdsl-ssfs',
  name: 'SSFS',
  paper: `${PAPER}, section 4.2, Table 2`,
  summary:
    'Semi-supervised feature selection: the later stage labels consideration data; a simplified student on all ' +
    'candidate (early-stage) features is trained on the mixed data; perturbation importance (NE increase when a ' +
    'field is permuted) on withheld consideration rows (teacher labels) gives the CD importance, and a model ' +
    'trained on impressions scored on withheld impressions the IMP importance. The rule combines them (Table 2 ' +
    'rows), keeping k features per ranking; the early-stage student is then trained on the kept features. ' +
    'Paper: the union of the top features is best (-0.137% IMP NE, -0.725% CD NE against IMP importance only).',
  equations: ['Eq. 3', 'section 4.2 steps 1-5'],
  stage: 'retrieval',
  protocol: 'ukdsl',
  params: [
    {
      kind: 'choice',
      key: 'combine',
      label: 'Combination',
      help: 'How IMP and CD importance combine (Table 2 rows).',
      default: 'union',
      options: FEATURE_COMBINATIONS.map((c) => ({ value: c.value, label: c.label })),
    },
    numberParam(
      'featuresKept',
      'Features kept k',
      'Top features kept per importance ranking (union: up to 2k).',
      4,
      1,
      100,
      true,
      {
        paperGrid: [2, 3, 4, 5, 6],
      },
    ),
    numberParam(
      'permutationRepeats',
      'Permutation repeats',
      'Random permutations averaged per field.',
      2,
      1,
      20,
      true,
    ),
    {
      kind: 'choice',
      key: 'finalTraining',
      label: 'Final training',
      help: 'How the student with the kept features trains: UKDSL distillation (mixed data) or impressions only.',
      default: 'ukdsl',
      options: [
        { value: 'ukdsl', label: 'UKDSL (impressions + teacher-labelled consideration data)' },
        { value: 'impressions', label: 'Impressions only' },
      ],
    },
  ],
};

export const SSLFM_METHOD: MethodDescriptor = {
  id: 'ukdsl-sslfm',
  name: 'SSLFM',
  paper: `${PAPER}, section 4.3, Table 3`,
  summary:
    'Semi-supervised learning from a foundation model: the last-stage (later-stage) model cannot be taught by a ' +
    'later stage, so a larger foundation model with extra features (trained on impressions) labels its unlabelled ' +
    'consideration data. The student keeps its CTR task on impressions (Eq. 3) and adds a dependent task (an MLP on ' +
    'the CTR logit) and/or an auxiliary task (a head on the shared representation), both trained on unlabelled ' +
    'rows only with the foundation prediction as the label. Both off = the Table 3 baseline. Paper: NE change ' +
    '-0.151% (dependent), -0.159% (auxiliary), -0.163% (both).',
  equations: ['Eq. 3', 'section 4.3 tasks 1-2'],
  stage: 'ranking',
  protocol: 'ukdsl',
  params: [
    {
      kind: 'boolean',
      key: 'dependentTask',
      label: 'Dependent task',
      help: 'MLP on the CTR output, trained on unlabelled rows with the foundation label.',
      default: true,
    },
    {
      kind: 'boolean',
      key: 'auxiliaryTask',
      label: 'Auxiliary task',
      help: 'Head on the shared representation, trained on unlabelled rows with the foundation label.',
      default: true,
    },
    numberParam(
      'dependentWeight',
      'Dependent weight',
      'Weight of the dependent task loss (not given by the paper).',
      1,
      0,
      20,
      false,
    ),
    numberParam(
      'auxiliaryWeight',
      'Auxiliary weight',
      'Weight of the auxiliary task loss (not given by the paper).',
      1,
      0,
      20,
      false,
    ),
  ],
};

export const UKDSL_METHODS: MethodDescriptor[] = [
  SIMULATION_METHOD,
  BASELINE_METHOD,
  UKDSL_METHOD,
  SSFS_METHOD,
  SSLFM_METHOD,
];
