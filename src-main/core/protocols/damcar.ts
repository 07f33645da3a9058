/**
 * DAMCAR's two-stage cascade testbed (DAMCAR, ACM MM 2024, section 5.1) as a protocol
 * descriptor. Its jobs run through experiments/run-job.ts itself (data, shared ranking model,
 * method, retrieval and ranking evaluation), and its methods live in core/methods.
 *
 * Its settings declare the DSSM retrieval model every method of the testbed trains
 * (models/dssm.ts). Where each default comes from:
 * - towers 300-300-128, batch norm, ReLU on the last layer, cosine score with gamma = 1 and a
 *   trained bias, L2 1e-5 on the embeddings, N(0, 1e-4) kernels, the dataset's item fields, min-max
 *   dense features: the authors' code (ljy2222/DAMCAR model/dssm.py, train_DAMCAR.py,
 *   preprocessing/prepare_data_wechat.py). The paper's text gives only "DSSM, towers 300-200-100,
 *   embeddings 128"; its reading is kept as the other option of each setting.
 * - the authors' reading is the default because it was measured closer to the authors' BC on the
 *   same files (scripts/fidelity/README.md: BC R@100 and N@10, ours against theirs).
 */
import type { ExperimentSpec, ParamSpec, ParamValues, ProtocolDescriptor } from '../../contract/api';
import { listMethods } from '../methods/registry';
import { numberParam } from '../methods/param-spec';
import { AUTHORS_DSSM, type DssmArchitecture, PAPER_DSSM } from '../models/dssm';

const TOWER_CHOICES: Record<string, readonly number[]> = {
  '300-300-128': AUTHORS_DSSM.towerUnits,
  '300-200-100': PAPER_DSSM.towerUnits,
};

const unitsKey = (units: readonly number[]) => units.join('-');

/** The retrieval model's settings, in the form's order; keys start with `retrieval`. */
export const RETRIEVAL_PARAMS: ParamSpec[] = [
  {
    kind: 'choice',
    key: 'retrievalTowers',
    label: 'Retrieval towers',
    help: "Units of each DSSM tower's layers: 300-300-128 (authors' code) or 300-200-100 (paper's text).",
    default: unitsKey(AUTHORS_DSSM.towerUnits),
    options: [
      { value: '300-300-128', label: "300-300-128 (authors' code)" },
      { value: '300-200-100', label: '300-200-100 (paper)' },
    ],
  },
  {
    kind: 'boolean',
    key: 'retrievalBatchNorm',
    label: 'Batch norm in the towers',
    help: "Linear -> BatchNorm -> ReLU in every tower layer, as the authors' code (the paper does not say).",
    default: AUTHORS_DSSM.batchNorm,
  },
  {
    kind: 'choice',
    key: 'retrievalBatchNormAfterValidation',
    label: 'Batch norm after epoch 1',
    help: "Running statistics from the first validation on, as the authors' code trains (DeepCTR-Torch's fit loop switches to eval() for validation and never back, so epochs 2-3 use epoch 1's statistics and the output scale is free), or batch statistics throughout (standard).",
    default: AUTHORS_DSSM.batchNormAfterValidation,
    options: [
      { value: 'running', label: "running statistics (authors' code)" },
      { value: 'batch', label: 'batch statistics (standard)' },
    ],
  },
  {
    kind: 'choice',
    key: 'retrievalOutputActivation',
    label: 'Last tower layer',
    help: "ReLU on the last layer too (authors' code; outputs are non-negative and a run can collapse when user and item outputs use disjoint dimensions, which is then reported as a failure) or linear (ours).",
    default: AUTHORS_DSSM.outputActivation,
    options: [
      { value: 'relu', label: "ReLU (authors' code)" },
      { value: 'linear', label: 'linear' },
    ],
  },
  {
    kind: 'choice',
    key: 'retrievalScore',
    label: 'Training score',
    help: "sigmoid(gamma * cos(u, v) + b) as the authors' code, or sigmoid(<u, v>). Retrieval searches by <u, v> either way, as the authors' faiss inner-product index.",
    default: AUTHORS_DSSM.score,
    options: [
      { value: 'cosine', label: "gamma * cosine (authors' code)" },
      { value: 'dot', label: 'inner product' },
    ],
  },
  numberParam(
    'retrievalGamma',
    'Cosine scale gamma',
    "Multiplies the clamped cosine in the training score (authors' code: 1). Only read with the cosine score.",
    AUTHORS_DSSM.gamma,
    0.01,
    100,
    false,
    { step: 0.1, logScale: true },
  ),
  {
    kind: 'boolean',
    key: 'retrievalScoreBias',
    label: 'Score bias',
    help: "A trained scalar b added to the score before the sigmoid (authors' code).",
    default: AUTHORS_DSSM.scoreBias,
  },
  numberParam(
    'retrievalEmbeddingL2',
    'Embedding L2',
    "l2 * sum(W^2) over every embedding table, every step (authors' code: 1e-5; 0 = none).",
    AUTHORS_DSSM.embeddingL2,
    0,
    0.01,
    false,
    { step: 1e-6 },
  ),
  {
    kind: 'choice',
    key: 'retrievalInit',
    label: 'Tower initialisation',
    help: "Kernels N(0, 1e-4) with PyTorch's bias init (authors' code, DeepCTR-Torch) or Glorot-uniform with zero biases.",
    default: AUTHORS_DSSM.init,
    options: [
      { value: 'normal', label: "N(0, 1e-4) (authors' code)" },
      { value: 'glorot', label: 'Glorot uniform' },
    ],
  },
  {
    kind: 'choice',
    key: 'retrievalItemFeatures',
    label: 'Item tower features',
    help: "Item id + the dataset's categorical item fields (WeChat: author, song, singer; TikTok: author, music, city; the category on simulated data), as the authors' code, or item id + category.",
    default: AUTHORS_DSSM.itemFeatures,
    options: [
      { value: 'dataset', label: "dataset's item fields (authors' code)" },
      { value: 'category', label: 'category' },
    ],
  },
  {
    kind: 'choice',
    key: 'retrievalDenseScaling',
    label: 'Dense features',
    help: "Dense item features min-max scaled to [0, 1] (authors' code) or standardised.",
    default: AUTHORS_DSSM.denseScaling,
    options: [
      { value: 'minmax', label: "min-max (authors' code)" },
      { value: 'standard', label: 'standardised' },
    ],
  },
];

/** The DSSM architecture the resolved testbed settings describe. */
export function retrievalArchitecture(params: ParamValues): DssmArchitecture {
  const read = <T extends ParamValues[string]>(key: string): T => {
    const spec = RETRIEVAL_PARAMS.find((p) => p.key === key);
    if (!spec) throw new Error(`retrieval setting "${key}" is not declared`);
    return (params[key] ?? spec.default) as T;
  };
  const towers = TOWER_CHOICES[read<string>('retrievalTowers')];
  if (!towers) throw new Error(`retrievalTowers: unknown value "${read<string>('retrievalTowers')}"`);
  return {
    towerUnits: towers,
    batchNorm: read<boolean>('retrievalBatchNorm'),
    batchNormAfterValidation: read<DssmArchitecture['batchNormAfterValidation']>(
      'retrievalBatchNormAfterValidation',
    ),
    outputActivation: read<DssmArchitecture['outputActivation']>('retrievalOutputActivation'),
    score: read<DssmArchitecture['score']>('retrievalScore'),
    gamma: read<number>('retrievalGamma'),
    scoreBias: read<boolean>('retrievalScoreBias'),
    embeddingL2: read<number>('retrievalEmbeddingL2'),
    init: read<DssmArchitecture['init']>('retrievalInit'),
    itemFeatures: read<DssmArchitecture['itemFeatures']>('retrievalItemFeatures'),
    denseScaling: read<DssmArchitecture['denseScaling']>('retrievalDenseScaling'),
  };
}

/** The settings of the paper's reading (for specs that want it: `"protocolParams": PAPER_RETRIEVAL_PARAMS`). */
export const PAPER_RETRIEVAL_PARAMS: ParamValues = {
  retrievalTowers: unitsKey(PAPER_DSSM.towerUnits),
  retrievalBatchNorm: PAPER_DSSM.batchNorm,
  retrievalBatchNormAfterValidation: PAPER_DSSM.batchNormAfterValidation,
  retrievalOutputActivation: PAPER_DSSM.outputActivation,
  retrievalScore: PAPER_DSSM.score,
  retrievalGamma: PAPER_DSSM.gamma,
  retrievalScoreBias: PAPER_DSSM.scoreBias,
  retrievalEmbeddingL2: PAPER_DSSM.embeddingL2,
  retrievalInit: PAPER_DSSM.init,
  retrievalItemFeatures: PAPER_DSSM.itemFeatures,
  retrievalDenseScaling: PAPER_DSSM.denseScaling,
};

export const DAMCAR_PROTOCOL: ProtocolDescriptor = {
  id: 'damcar',
  name: 'DAMCAR two-stage cascade',
  paper: 'DAMCAR (ACM MM 2024)',
  summary:
    'DSSM retrieval trained on the exposure log (per-user 6:2:2 time split), DeepFM or DCN ranking ' +
    'trained once per seed on exposed data; R/P/F@K1 by exact top-K1 over the corpus, then the ranking ' +
    'model re-ranks each top-K1 list for N/M/H@K2 (K2 = K1 / 10); ground truth on simulated data.',
  params: RETRIEVAL_PARAMS,
  methods: listMethods().map((m) => m.id),
  // Section 5.1.4 and the authors' code: 3 epochs, batch 512, Adagrad 0.01; embeddings 32 as the
  // authors' code (config.py EMBED_DIMENSIONS; the paper says 128).
  training: { epochs: 3, batchSize: 512, learningRate: 0.01, embeddingDim: 32 },
  evaluationSettings: ['retrievalK', 'corpus', 'split'],
};

/** How one setting reads in a caption, and where the value comes from. */
function settingPhrase(arch: DssmArchitecture): string {
  const parts = [
    `towers ${unitsKey(arch.towerUnits)}${arch.batchNorm ? ` with batch norm${arch.batchNormAfterValidation === 'running' ? ' (running statistics after epoch 1)' : ''}` : ''}, ${arch.outputActivation === 'relu' ? 'ReLU' : 'linear'} output`,
    arch.score === 'cosine'
      ? `score ${arch.gamma} * cosine${arch.scoreBias ? ' + bias' : ''}`
      : `inner-product score${arch.scoreBias ? ' + bias' : ''}`,
    arch.embeddingL2 > 0 ? `embedding L2 ${arch.embeddingL2.toExponential()}` : 'no embedding L2',
    arch.init === 'normal' ? 'N(0, 1e-4) kernels' : 'Glorot kernels',
    arch.itemFeatures === 'dataset' ? 'item fields' : 'item category',
    arch.denseScaling === 'minmax' ? 'min-max dense' : 'standardised dense',
  ];
  return parts.join(', ');
}

function sameArchitecture(a: DssmArchitecture, b: DssmArchitecture): boolean {
  return (
    JSON.stringify({ ...a, towerUnits: unitsKey(a.towerUnits) }) ===
    JSON.stringify({ ...b, towerUnits: unitsKey(b.towerUnits) })
  );
}

/** e.g. `retrieval: the authors' DSSM (32-d embeddings, towers 300-300-128 with batch norm, …)`. */
export function retrievalCaption(
  spec: Pick<ExperimentSpec, 'protocolParams' | 'methods' | 'training'>,
): string {
  const arch = retrievalArchitecture({ ...spec.protocolParams });
  const name = sameArchitecture(arch, AUTHORS_DSSM)
    ? "the authors' code's DSSM"
    : sameArchitecture(arch, PAPER_DSSM)
      ? "the paper's DSSM reading"
      : 'DSSM';
  const overridden = spec.methods.some((m) =>
    Object.keys(m.protocolParams ?? {}).some((key) => key.startsWith('retrieval')),
  );
  return (
    `retrieval: ${name} (${spec.training.embeddingDim}-d embeddings, ${settingPhrase(arch)})` +
    (overridden ? ', some rows override it' : '')
  );
}

/** Where each reading of DAMCAR's ambiguous points comes from, for captions. */
const READING_SOURCES: Record<string, Record<string, string>> = {
  adversary: {
    bounded: 'bounded adversary (ours, stabilised; not in the paper)',
    unbounded: 'plain gradient reversal (Eq. 11 literally)',
    ramped: "gradient reversal with DANN's ramp (Ganin et al. 2016)",
  },
  targetLabelPath: {
    'through-g': "target pseudo-labels Phi(g(z^t)) (authors' code)",
    direct: 'target pseudo-labels Phi(z^t) (Eq. 5 literally)',
  },
  comparison: {
    gte: "Eq. 3 '>=' (paper)",
    gt: "Eq. 3 '>' (authors' code)",
  },
};

/**
 * e.g. `DAMCAR reading: bounded adversary (ours, …), target pseudo-labels Phi(g(z^t)) (authors' code),
 * Eq. 3 '>=' (paper)`, for the DAMCAR rows of a spec (each distinct reading once); null without one.
 * @param rows the method rows with their resolved parameters
 */
export function damcarReadingCaption(rows: { id: string; params: ParamValues }[]): string | null {
  const readings = new Set<string>();
  for (const row of rows) {
    if (row.id !== 'damcar') continue;
    readings.add(
      Object.entries(READING_SOURCES)
        .map(([key, phrases]) => phrases[String(row.params[key])] ?? `${key} ${String(row.params[key])}`)
        .join(', '),
    );
  }
  if (readings.size === 0) return null;
  return `DAMCAR reading: ${[...readings].join(' / ')}`;
}
