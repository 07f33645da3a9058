/**
 * KEEP's methods as the paper's Table 2 lists them (KEEP, CIKM 2022, section 6.2), with the
 * ablation and analysis switches of Tables 3, 4, 6 and 8 as parameters. All run in the 'keep'
 * protocol (index.ts); the training itself is in train.ts.
 *
 * Not implemented: the paper's other baselines CoNet, DARec (cross-domain) and BERT4Rec, S3-Rec
 * (self-supervised pre-training); they are separate models outside this testbed's scope.
 */
import type { MethodDescriptor, ParamSpec } from '../../../contract/api';
import { KNOWLEDGE_FORMS } from './knowledge';

const PAPER = 'KEEP (CIKM 2022)';

/** Parameters of the two-stage methods (KEEP and KEEP-C). */
const EXTRACTION_PARAMS: ParamSpec[] = [
  {
    kind: 'number',
    key: 'alpha',
    label: 'α (pair-wise loss weight)',
    help: 'Weight of the pair-wise loss in the pre-training objective, L = L_point + α L_pair (Eq. 3). The paper uses 0.25 and does not sweep it.',
    default: 0.25,
    min: 0,
    max: 4,
    step: 0.05,
    integer: false,
  },
  {
    kind: 'boolean',
    key: 'userKnowledge',
    label: 'K_u (user-level knowledge)',
    help: 'Plug in the user-level knowledge (the pre-trained user-id embedding; K^_u in the serving forms). Table 3.',
    default: true,
  },
  {
    kind: 'boolean',
    key: 'itemKnowledge',
    label: 'K_i (item-level knowledge)',
    help: 'Plug in the item-level knowledge (the pre-trained item-id and category embeddings; K^_i or K_c in the serving forms). Table 3.',
    default: true,
  },
  {
    kind: 'boolean',
    key: 'interactionKnowledge',
    label: 'K_ui (user-item interaction knowledge)',
    help: "Plug in the interaction knowledge (each pre-training task's last hidden layer; K^_u * K^_i and/or K^_uc in the serving forms). Table 3.",
    default: true,
  },
  {
    kind: 'boolean',
    key: 'clickTask',
    label: 'Click pre-training task',
    help: 'Pre-train on click prediction over impressions and plug in its K_ui^clk. Table 4.',
    default: true,
  },
  {
    kind: 'boolean',
    key: 'conversionTask',
    label: 'Conversion pre-training task',
    help: 'Pre-train on conversion prediction over clicks and plug in its K_ui^cv. Table 4.',
    default: true,
  },
  {
    kind: 'boolean',
    key: 'cartTask',
    label: 'Add-to-cart pre-training task',
    help: 'Pre-train on add-to-cart prediction over clicks and plug in its K_ui^cart. Table 4.',
    default: true,
  },
  {
    kind: 'number',
    key: 'plugLayer',
    label: 'm (plug-in layer)',
    help: 'The projected knowledge is added to the output of the m-th dense layer of the downstream model (Eq. 5; its MLP has 3 hidden layers here). The paper does not state m.',
    default: 1,
    min: 1,
    max: 3,
    step: 1,
    integer: true,
  },
  {
    kind: 'choice',
    key: 'plugInInit',
    label: 'Plug-in output layer at the start',
    help: "zero: h'_m = h_m at the first step (the downstream model starts as Base); random: initialised like the network's own layers, so K feeds the model from the first step. The paper does not say.",
    default: 'zero',
    options: [
      { value: 'zero', label: 'Zero (starts as Base)' },
      { value: 'random', label: 'Random (like the other layers)' },
    ],
  },
  {
    kind: 'choice',
    key: 'knowledgeForm',
    label: 'Knowledge form (serving)',
    help: 'full: the extraction model per (user, item) pair (Eq. 4); decomposition: a two-tower extractor, K_ui = K^_u * K^_i; degeneration: the item replaced by its category, K^_uc; both: Eq. 6. The last three are served from a per-user / per-item / per-user-category cache. Table 8.',
    default: 'full',
    options: KNOWLEDGE_FORMS.map((f) => ({
      value: f,
      label:
        f === 'full'
          ? 'Full (Eq. 4)'
          : f === 'decomposition'
            ? 'Decomposition'
            : f === 'degeneration'
              ? 'Degeneration'
              : 'Decomposition + degeneration (Eq. 6)',
    })),
  },
];

export const KEEP_BASE: MethodDescriptor = {
  id: 'keep-base',
  name: 'Base',
  paper: `${PAPER}, baseline`,
  summary:
    'The downstream CTR model trained on the sub-domain (target) training window only, with no super-domain data (the paper uses its production CAN model).',
  equations: [],
  stage: 'ranking',
  protocol: 'keep',
  params: [],
};

export const KEEP_SAMPLE_MERGING: MethodDescriptor = {
  id: 'keep-sample-merging',
  name: 'Sample Merging',
  paper: `${PAPER}, baseline`,
  summary:
    "The downstream CTR model trained on the super-domain's click samples and the sub-domain's training samples pooled together, with no distinction between the domains.",
  equations: [],
  stage: 'ranking',
  protocol: 'keep',
  params: [
    {
      kind: 'choice',
      key: 'mergeWindow',
      label: 'Super-domain window merged',
      help: "concurrent: the super-domain impressions of the sub-domain's training window (the cross-domain setting of section 6.1); all: also the earlier pre-training window.",
      default: 'concurrent',
      options: [
        { value: 'concurrent', label: 'Concurrent window (cross-domain setting)' },
        { value: 'all', label: 'Both windows' },
      ],
    },
  ],
};

export const KEEP_C: MethodDescriptor = {
  id: 'keep-c',
  name: 'KEEP-C',
  paper: PAPER,
  summary:
    "KEEP restricted to the cross-domain setting: knowledge extraction is pre-trained on the super-domain data of the sub-domain's own training window (no earlier data), then plugged in unchanged.",
  equations: ['Eq. 1', 'Eq. 2', 'Eq. 3', 'Eq. 4', 'Eq. 5', 'Eq. 6'],
  stage: 'ranking',
  protocol: 'keep',
  params: EXTRACTION_PARAMS,
};

export const KEEP: MethodDescriptor = {
  id: 'keep',
  name: 'KEEP',
  paper: PAPER,
  summary:
    'Supervised multi-task pre-training (click, conversion, add-to-cart; point-wise + α pair-wise loss) on the earlier super-domain window, knowledge K = [K_u, K_i, K_ui] extracted from it, and a plug-in network that adds the projected knowledge to the m-th dense layer of the downstream CTR model.',
  equations: ['Eq. 1', 'Eq. 2', 'Eq. 3', 'Eq. 4', 'Eq. 5', 'Eq. 6'],
  stage: 'ranking',
  protocol: 'keep',
  params: [
    ...EXTRACTION_PARAMS,
    {
      kind: 'number',
      key: 'pretrainShare',
      label: 'Share of the pre-training window',
      help: 'Fraction of the super-domain pre-training impressions used (a seeded random subset). Table 6 pre-trains on 1 month, 6 months and 2 years of data: 1/24, 1/4 and all of it.',
      default: 1,
      min: 0.01,
      max: 1,
      step: 0.01,
      integer: false,
      paperGrid: [0.0417, 0.25, 1],
    },
  ],
};

/** In the order of the paper's Table 2. */
export const KEEP_METHODS: MethodDescriptor[] = [KEEP_BASE, KEEP_SAMPLE_MERGING, KEEP_C, KEEP];
