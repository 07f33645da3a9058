/**
 * The settings of DAMCAR's two-stage cascade testbed (DAMCAR, ACM MM 2024, section 5.1): the
 * spec's ranking stage (`ranking.model`) and the testbed's own settings (`protocolParams`), with
 * the captions that name them.
 *
 * Its settings declare the DSSM retrieval model every method of the testbed trains
 * (models/dssm.ts). Where each default comes from:
 * - towers 300-300-128, batch norm, ReLU on the last layer, cosine score with gamma = 1 and a
 *   trained bias, L2 1e-5 on the embeddings, N(0, 1e-4) kernels, the dataset's item fields, min-max
 *   dense features: the authors' code (ljy2222/DAMCAR model/dssm.py, train_DAMCAR.py,
 *   preprocessing/prepare_data_wechat.py). The paper's text gives only "DSSM, towers 300-200-100,
 *   embeddings 128"; its reading is kept as the other option of each setting.
 * - the authors' reading is the default because it was measured closer to the authors' BC on the
 *   same files (README "Fidelity against the authors' code": BC R@100 and N@10, ours against
 *   theirs). The ranking network (`rankingNetwork`) likewise defaults to the authors' DeepFM: with
 *   ours, BC's N@10 on the second dataset was 0.58x theirs, with theirs 1.12x (R@100 unchanged).
 */
import type { ExperimentSpec, ParamSpec, ParamValues, RankingModelName } from '../../../contract/api';
import { DEFAULT_RANKING_MODEL, RANKING_MODELS } from '../../../contract/spec-schema';
import { ParamReader, booleanParam, choiceParam, numberParam } from '../../methods/param-spec';
import { AUTHORS_DSSM, type DssmArchitecture, PAPER_DSSM } from '../../models/dssm';
import type { RankingNetworkReading } from '../../models/ranking-model';

// The spec's ranking field is declared once, in the contract's schema; DAMCAR owns its meaning.
export { DEFAULT_RANKING_MODEL, RANKING_MODELS };

/** The spec's ranking model; a spec stored before the ranking stage existed gets the default. */
export function rankingModelOf(spec: Pick<ExperimentSpec, 'ranking'>): RankingModelName {
  return spec.ranking?.model ?? DEFAULT_RANKING_MODEL;
}

const unitsKey = (units: readonly number[]) => units.join('-');

const TOWER_CHOICES: Record<string, readonly number[]> = {
  [unitsKey(AUTHORS_DSSM.towerUnits)]: AUTHORS_DSSM.towerUnits,
  [unitsKey(PAPER_DSSM.towerUnits)]: PAPER_DSSM.towerUnits,
};

const AUTHORS = "authors' code";

/**
 * One setting per DssmArchitecture field, in the form's order; keys start with `retrieval`. The
 * defaults are AUTHORS_DSSM's; the other option is the paper's reading (PAPER_DSSM) or ours.
 */
const SETTINGS: { [F in keyof DssmArchitecture]: ParamSpec } = {
  towerUnits: choiceParam(
    'retrievalTowers',
    'Retrieval towers',
    "Units of each DSSM tower's layers: 300-300-128 (authors' code) or 300-200-100 (paper's text).",
    unitsKey(AUTHORS_DSSM.towerUnits),
    [
      [unitsKey(AUTHORS_DSSM.towerUnits), `${unitsKey(AUTHORS_DSSM.towerUnits)} (${AUTHORS})`],
      [unitsKey(PAPER_DSSM.towerUnits), `${unitsKey(PAPER_DSSM.towerUnits)} (paper)`],
    ],
  ),
  batchNorm: booleanParam(
    'retrievalBatchNorm',
    'Batch norm in the towers',
    "Linear -> BatchNorm -> ReLU in every tower layer, as the authors' code (the paper does not say).",
    AUTHORS_DSSM.batchNorm,
  ),
  batchNormAfterValidation: choiceParam(
    'retrievalBatchNormAfterValidation',
    'Batch norm after epoch 1',
    "Running statistics from the first validation on, as the authors' code trains (DeepCTR-Torch's fit loop switches to eval() for validation and never back, so epochs 2-3 use epoch 1's statistics and the output scale is free), or batch statistics throughout (standard).",
    AUTHORS_DSSM.batchNormAfterValidation,
    [
      ['running', `running statistics (${AUTHORS})`],
      ['batch', 'batch statistics (standard)'],
    ],
  ),
  outputActivation: choiceParam(
    'retrievalOutputActivation',
    'Last tower layer',
    "ReLU on the last layer too (authors' code; outputs are non-negative and a run can collapse when user and item outputs use disjoint dimensions, which is then reported as a failure) or linear (ours).",
    AUTHORS_DSSM.outputActivation,
    [
      ['relu', `ReLU (${AUTHORS})`],
      ['linear', 'linear'],
    ],
  ),
  score: choiceParam(
    'retrievalScore',
    'Training score',
    "sigmoid(gamma * cos(u, v) + b) as the authors' code, or sigmoid(<u, v>). Retrieval searches by <u, v> either way, as the authors' faiss inner-product index.",
    AUTHORS_DSSM.score,
    [
      ['cosine', `gamma * cosine (${AUTHORS})`],
      ['dot', 'inner product'],
    ],
  ),
  gamma: numberParam(
    'retrievalGamma',
    'Cosine scale gamma',
    "Multiplies the clamped cosine in the training score (authors' code: 1). Only read with the cosine score.",
    AUTHORS_DSSM.gamma,
    0.01,
    100,
    false,
    { step: 0.1, logScale: true },
  ),
  scoreBias: booleanParam(
    'retrievalScoreBias',
    'Score bias',
    "A trained scalar b added to the score before the sigmoid (authors' code).",
    AUTHORS_DSSM.scoreBias,
  ),
  embeddingL2: numberParam(
    'retrievalEmbeddingL2',
    'Embedding L2',
    "l2 * sum(W^2) over every embedding table, every step (authors' code: 1e-5; 0 = none).",
    AUTHORS_DSSM.embeddingL2,
    0,
    0.01,
    false,
    { step: 1e-6 },
  ),
  init: choiceParam(
    'retrievalInit',
    'Tower initialisation',
    "Kernels N(0, 1e-4) with PyTorch's bias init (authors' code, DeepCTR-Torch) or Glorot-uniform with zero biases.",
    AUTHORS_DSSM.init,
    [
      ['normal', `N(0, 1e-4) (${AUTHORS})`],
      ['glorot', 'Glorot uniform'],
    ],
  ),
  itemFeatures: choiceParam(
    'retrievalItemFeatures',
    'Item tower features',
    "Item id + the dataset's categorical item fields (WeChat: author, song, singer; TikTok: author, music, city; the category on simulated data), as the authors' code, or item id + category.",
    AUTHORS_DSSM.itemFeatures,
    [
      ['dataset', `dataset's item fields (${AUTHORS})`],
      ['category', 'category'],
    ],
  ),
  denseScaling: choiceParam(
    'retrievalDenseScaling',
    'Dense features',
    "Dense item features min-max scaled to [0, 1] (authors' code) or standardised.",
    AUTHORS_DSSM.denseScaling,
    [
      ['minmax', `min-max (${AUTHORS})`],
      ['standard', 'standardised'],
    ],
  ),
};

const FIELDS = Object.keys(SETTINGS) as (keyof DssmArchitecture)[];

/** The retrieval model's settings, in the form's order. */
export const RETRIEVAL_PARAMS: ParamSpec[] = FIELDS.map((field) => SETTINGS[field]);

/** The ranking network's reading (models/ranking-model.ts RankingNetworkReading). */
export const RANKING_NETWORK_PARAM = choiceParam(
  'rankingNetwork',
  'Ranking network',
  "DeepFM as the authors' code builds it (DNN 256-128, N(0, 1e-4) kernels, L2 1e-5 on embeddings, min-max dense features) or as this project first did (DNN 300-200-100, Glorot kernels, no L2, standardised dense features).",
  'authors',
  [
    ['authors', "authors' code (256-128, N(0, 1e-4), L2)"],
    ['ours', 'ours (300-200-100, Glorot)'],
  ],
);

/** The testbed's settings as the typed reader takes them (missing keys read as defaults). */
function settingsOf(params: ParamValues): ParamReader {
  return new ParamReader(
    { name: 'DAMCAR', params: [...RETRIEVAL_PARAMS, RANKING_NETWORK_PARAM] },
    params,
    'protocolParams',
  );
}

/** The ranking network reading of resolved testbed settings. */
export function rankingNetworkReading(params: ParamValues): RankingNetworkReading {
  return settingsOf(params).choice<RankingNetworkReading>(RANKING_NETWORK_PARAM.key);
}

/** The DSSM architecture the resolved testbed settings describe (missing keys: defaults). */
export function retrievalArchitecture(params: ParamValues): DssmArchitecture {
  const read = settingsOf(params);
  const key = (field: keyof DssmArchitecture) => SETTINGS[field].key;
  return {
    towerUnits: TOWER_CHOICES[read.choice(key('towerUnits'))],
    batchNorm: read.boolean(key('batchNorm')),
    batchNormAfterValidation: read.choice(key('batchNormAfterValidation')),
    outputActivation: read.choice(key('outputActivation')),
    score: read.choice(key('score')),
    gamma: read.number(key('gamma')),
    scoreBias: read.boolean(key('scoreBias')),
    embeddingL2: read.number(key('embeddingL2')),
    init: read.choice(key('init')),
    itemFeatures: read.choice(key('itemFeatures')),
    denseScaling: read.choice(key('denseScaling')),
  };
}

/** The settings of the paper's reading (for specs that want it: `"protocolParams": PAPER_RETRIEVAL_PARAMS`). */
export const PAPER_RETRIEVAL_PARAMS: ParamValues = Object.fromEntries(
  FIELDS.map((field) => {
    const value = PAPER_DSSM[field];
    return [
      SETTINGS[field].key,
      Array.isArray(value) ? unitsKey(value) : (value as string | number | boolean),
    ];
  }),
);

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
