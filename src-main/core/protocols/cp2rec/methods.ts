/**
 * The methods of the CP2Rec testbed (one family: every method is the model of model.ts with its
 * switches set, trained by the loss of losses.ts). Table order: Base, IPS, Proxy-as-feature, PAL,
 * CP2Rec.
 *
 * CP2Rec (Liu et al., "Prior-Guided Accuracy-Bias Tradeoff Learning for CTR Prediction in Multimedia
 * Recommendation", ACM MM 2023). Only the abstract is available; this is my reading of it:
 * - "confounding proxy features ... integrated into the model as prior knowledge corresponding to
 *   the biases": the expert proxies (popularity, duration, position) are the only input of a bias
 *   branch z_b = MLP_b(p), whose logit s_b is added to the interest logit s_f (model.ts);
 * - "a bias disentangling module with some orthogonal constraints to force the model to avoid encoding
 *   biased information in the feature embeddings": alpha * L_orth, the mean squared batch correlation
 *   between the feature representation z_f and the (detached) bias representation z_b (losses.ts);
 * - "an auxiliary unbiased loss to synergize with the original biased loss in an accuracy-bias
 *   tradeoff module ... recovering the beneficial bias information from the above-purified feature
 *   embeddings": L = (1 - lambda) L_b(s_f + s_b) + lambda L_aux(s_f) + alpha L_orth, where L_aux fits
 *   the interest logit alone, inverse-propensity weighted by the popularity proxy (default) or on the
 *   randomised-exposure rows; lambda trades the purified interest (lambda = 0) against what the
 *   feature branch recovers of the label's popularity-correlated part (lambda -> 1);
 * - serving: s_f (bias part removed, default) or s_f + s_b (kept), a switch.
 * Ablations (switches): w/o proxies (the bias branch reads the item's own embeddings instead of the
 * proxies, i.e. the model must disentangle by itself), w/o orthogonal constraint (alpha = 0), w/o
 * auxiliary loss (auxLoss 'none').
 *
 * Baselines a researcher would compare to:
 * - Base: the same CTR network on the features only, BCE on the log (biased).
 * - IPS: Base with inverse-propensity weighted BCE, propensity proportional to the item's training
 *   exposures^eta (popularity propensity, clipped weights, self-normalised per batch).
 * - Proxy-as-feature: the proxies appended to the network's input, no disentangling (served with the
 *   item's proxies and the top slot).
 * - PAL (Guo et al., RecSys 2019, position-bias aware learning, here with all proxies): the additive
 *   bias branch on the proxies, no orthogonality, no auxiliary loss, served without the bias part.
 */
import type { MethodDescriptor, ParamSpec, ParamValues } from '../../../contract/api';
import { ParamReader, numberParam } from '../../methods/param-spec';
import type { BiasBranch } from './model';

const PAPER = 'CP2Rec (ACM MM 2023)';
const BASELINE = 'CP2Rec (ACM MM 2023), baseline';

const NETWORK_PARAMS: ParamSpec[] = [
  numberParam(
    'hiddenUnits',
    'Hidden units',
    'Width of the ReLU hidden layer of each branch MLP.',
    64,
    4,
    512,
    true,
  ),
  numberParam(
    'representationDim',
    'Representation size H',
    "Width of z_f and z_b (the branches' outputs).",
    16,
    2,
    128,
    true,
  ),
];

const PROPENSITY_PARAMS: ParamSpec[] = [
  numberParam(
    'propensityPower',
    'Propensity exponent eta',
    "Propensity of an exposure taken proportional to the item's training exposures^eta; 0 = no weighting.",
    0.5,
    0,
    2,
    false,
    { step: 0.05 },
  ),
  numberParam(
    'maxWeight',
    'Weight clip',
    'Inverse-propensity weights (mean 1) are clipped at this value.',
    10,
    1,
    1000,
    false,
    { step: 1, logScale: true },
  ),
];

export const CP2REC_METHODS: MethodDescriptor[] = [
  {
    id: 'cp2rec-base',
    name: 'Base',
    paper: BASELINE,
    summary:
      'CTR network on user, item, category and multimodal features, BCE on the biased log; no debiasing.',
    equations: ['L_b with s = s_f'],
    stage: 'ranking',
    protocol: 'cp2rec',
    params: NETWORK_PARAMS,
  },
  {
    id: 'cp2rec-ips',
    name: 'IPS',
    paper: BASELINE,
    summary:
      "Base trained with inverse-propensity weighted BCE; propensity proportional to the item's training " +
      'exposures^eta (popularity propensity), weights clipped and self-normalised per batch.',
    equations: ['L_b with IPS weights'],
    stage: 'ranking',
    protocol: 'cp2rec',
    params: [...NETWORK_PARAMS, ...PROPENSITY_PARAMS],
  },
  {
    id: 'cp2rec-proxy',
    name: 'Proxy-as-feature',
    paper: BASELINE,
    summary:
      "The confounding proxies appended to the network's input, no disentangling; served with the item's " +
      'proxies and the top slot.',
    equations: ['L_b with s = s_f([x, p])'],
    stage: 'ranking',
    protocol: 'cp2rec',
    params: NETWORK_PARAMS,
  },
  {
    id: 'cp2rec-pal',
    name: 'PAL',
    paper: 'PAL (RecSys 2019) on all proxies, as a CP2Rec baseline',
    summary:
      'Additive bias branch on the proxies (s = s_f + s_b), no orthogonality and no auxiliary loss; served ' +
      'without the bias part.',
    equations: ['L_b with s = s_f + s_b'],
    stage: 'ranking',
    protocol: 'cp2rec',
    params: NETWORK_PARAMS,
  },
  {
    id: 'cp2rec',
    name: 'CP2Rec',
    paper: PAPER,
    summary:
      'Confounding-proxy prior branch, orthogonality between feature and bias representations, and an ' +
      'auxiliary unbiased loss on the interest logit traded off against the biased loss by lambda (reading of ' +
      'the abstract; see methods.ts).',
    equations: ['L = (1 - lambda) L_b + lambda L_aux + alpha L_orth (abstract; own notation)'],
    stage: 'ranking',
    protocol: 'cp2rec',
    params: [
      numberParam(
        'tradeoff',
        'Trade-off lambda',
        'Weight of the auxiliary unbiased loss; the biased loss gets 1 - lambda.',
        0.3,
        0,
        1,
        false,
        { step: 0.05 },
      ),
      numberParam(
        'orthWeight',
        'Orthogonality alpha',
        'Weight of the orthogonality constraint between z_f and z_b; 0 = w/o orthogonal constraint.',
        1,
        0,
        100,
        false,
        { step: 0.1 },
      ),
      {
        kind: 'choice',
        key: 'auxLoss',
        label: 'Auxiliary unbiased loss',
        help:
          'ips: interest logit with popularity inverse-propensity weights; random: interest logit on the ' +
          'randomised-exposure training rows (simulated data); none: w/o auxiliary loss.',
        default: 'ips',
        options: [
          { value: 'ips', label: 'IPS-weighted (popularity proxy)' },
          { value: 'random', label: 'Randomised-exposure rows' },
          { value: 'none', label: 'None (w/o auxiliary loss)' },
        ],
      },
      {
        kind: 'boolean',
        key: 'useProxies',
        label: 'Use proxy priors',
        help: "Off = w/o proxies: the bias branch reads the item's own embeddings instead of the proxies.",
        default: true,
      },
      {
        kind: 'boolean',
        key: 'serveWithBias',
        label: 'Serve with bias part',
        help: 'Serving score s_f + s_b instead of s_f.',
        default: false,
      },
      ...PROPENSITY_PARAMS,
      ...NETWORK_PARAMS,
    ],
  },
];

export const CP2REC_METHOD_IDS = CP2REC_METHODS.map((m) => m.id);

export type AuxiliaryLoss = 'ips' | 'random' | 'none';

/** Everything the job needs to build and train one method. */
export interface MethodConfig {
  label: string;
  proxiesAsFeatures: boolean;
  biasBranch: BiasBranch;
  /** IPS weights on the biased loss (the IPS baseline). */
  ipsOnBiasedLoss: boolean;
  auxLoss: AuxiliaryLoss;
  tradeoff: number;
  orthWeight: number;
  serveWithBias: boolean;
  propensityPower: number;
  maxWeight: number;
  hiddenUnits: number;
  representationDim: number;
}

/** The propensity settings of a method without inverse-propensity weighting: eta = 0, every weight 1. */
const NO_WEIGHTING = { propensityPower: 0, maxWeight: 1 };

/** The configuration of method `id` with its (resolved) parameters. */
export function methodConfig(id: string, params: ParamValues): MethodConfig {
  const method = CP2REC_METHODS.find((m) => m.id === id);
  if (!method) {
    throw new Error(
      `method: "${id}" is not a CP2Rec-protocol method; expected one of ${CP2REC_METHOD_IDS.join(', ')}`,
    );
  }
  const read = new ParamReader(method, params);
  const weighting = () => ({
    propensityPower: read.number('propensityPower'),
    maxWeight: read.number('maxWeight'),
  });
  const base: MethodConfig = {
    label: method.name,
    proxiesAsFeatures: false,
    biasBranch: 'none',
    ipsOnBiasedLoss: false,
    auxLoss: 'none',
    tradeoff: 0,
    orthWeight: 0,
    serveWithBias: false,
    ...NO_WEIGHTING,
    hiddenUnits: read.number('hiddenUnits'),
    representationDim: read.number('representationDim'),
  };
  switch (id) {
    case 'cp2rec-base':
      return base;
    case 'cp2rec-ips':
      return { ...base, ...weighting(), ipsOnBiasedLoss: true };
    case 'cp2rec-proxy':
      return { ...base, proxiesAsFeatures: true };
    case 'cp2rec-pal':
      return { ...base, biasBranch: 'proxies' };
    case 'cp2rec':
      return {
        ...base,
        ...weighting(),
        biasBranch: read.boolean('useProxies') ? 'proxies' : 'features',
        auxLoss: read.choice<AuxiliaryLoss>('auxLoss'),
        tradeoff: read.number('tradeoff'),
        orthWeight: read.number('orthWeight'),
        serveWithBias: read.boolean('serveWithBias'),
      };
    default:
      throw new Error(`method: "${id}" is declared but has no configuration here`);
  }
}
