/**
 * The methods of RRA's Table 1 (KDD 2023, Sec. 5.1.3-5.2) with RRA's ablations (Tables 2-4) as
 * parameters, and the training plan each one runs (model-trainer.ts).
 *
 * Rows of the paper's Table 1 are "<architecture> + <method>"; the architecture (BaseModel or
 * ProdModel-like) is the protocol's `architecture` setting, the method is one of:
 * - BaseModel (rra-base): the retrieval model alone, trained with the multi-class losses Eq. 3-4
 *   on its own embeddings. Default w_ctr = 0: only clicks are positives (the click-trained
 *   YouTube-DNN retrieval the paper starts from). It differs from RRA in three ways, each a
 *   switch so a spec can add them one at a time (experiments/rra-ablation.json): w_ctr, a shared
 *   ranking model with L_rank^* (rankingModel), and L_mask^* + L_kd^* (alignmentLosses). Note: the paper's Table 2 row L_cls^* equals its
 *   ProdModel row to four digits, which suggests the paper's baseline used RRA's w_ctr; set
 *   wCtr = 0.5 for that reading.
 * - DMTL (rra-dmtl, Zhao et al. 2021, the paper's [34]): retrieval (student) and ranking (teacher)
 *   with separate embeddings and bottoms, trained together on clicks plus negatives drawn uniformly
 *   from the whole corpus, as binary classification with the target show as input: the student's
 *   binary CTR/DWM losses (Eq. 1-2 on its two-tower logits; recorded as L_mask), the teacher's
 *   (Eq. 1-2, L_rank) and distillation from teacher to student (Eq. 5-6, L_kd).
 * - Parameter sharing (rra-sharing): retrieval and ranking share the embeddings and bottom,
 *   trained synchronously with L_cls^* + L_rank^* (Table 2's row of that name).
 * - RRA (Offline Distillation) (rra-offline, Sec. 4.5.1): RRA's losses, but L_kd distils a
 *   pre-trained, frozen teacher: the production ranking model (own embeddings and bottom, trained
 *   first with Eq. 1-2 on the same training impressions).
 * - RRA (rra): partially shared architecture, all eight terms (Sec. 4.3), switchable one by one for
 *   Table 2, w_ctr for Table 3 and the negative sampling for Table 4.
 * Every method serves with Eq. 7-8 (w_serve) and uses the all-negative softmax unless its
 * negatives are changed (the paper: the same negative sampling for all comparisons).
 */
import type { MethodDescriptor, ParamSpec, ParamValues } from '../../../contract/api';
import { NEGATIVE_SAMPLING, type NegativeOptions, type NegativeSampling } from './negatives';
import { ParamReader, resolveParamValues } from '../../methods/param-spec';
import { ALL_LOSSES, type LossSwitches, NO_LOSSES, type TrainingPlan } from './model-trainer';

const PAPER = 'RRA (KDD 2023)';

const W_SERVE: ParamSpec = {
  kind: 'number',
  key: 'wServe',
  label: 'w_serve',
  help: 'Serving fusion of the CTR and DWM scores, Eq. 7-8 (the paper grid-searches it; 0 < w_serve < 1).',
  default: 0.5,
  min: 0,
  max: 1,
  step: 0.05,
  integer: false,
};

function wCtrParam(defaultValue: number): ParamSpec {
  return {
    kind: 'number',
    key: 'wCtr',
    label: 'w_ctr (α)',
    help:
      'Eq. 3 weight of an impression without a click (clicks weigh 1): 0 = clicks only (vanilla retrieval), ' +
      '1 = every impression equally (pseudo-labels of the whole recommender). Table 3 compares 0, 0.5 and 1.',
    default: defaultValue,
    min: 0,
    max: 1,
    step: 0.05,
    integer: false,
    paperGrid: [0, 0.5, 1],
  };
}

function lossSwitch(key: keyof LossSwitches, label: string, help: string): ParamSpec {
  return { kind: 'boolean', key, label, help, default: true };
}

const LOSS_SWITCHES: ParamSpec[] = [
  lossSwitch(
    'clsCtr',
    'L_cls^ctr (Eq. 3)',
    'Weighted multi-class softmax on the impressions over the candidate set.',
  ),
  lossSwitch('clsDwm', 'L_cls^dwm (Eq. 4)', 'DWM-weighted multi-class softmax on the clicks.'),
  lossSwitch('rankCtr', 'L_rank^ctr (Eq. 1)', "Ranking model's binary click loss on impressions."),
  lossSwitch('rankDwm', 'L_rank^dwm (Eq. 2)', "Ranking model's DWM-weighted binary loss on impressions."),
  lossSwitch('maskCtr', 'L_mask^ctr', 'Eq. 1 on the retrieval logits of the impressed shows.'),
  lossSwitch('maskDwm', 'L_mask^dwm', 'Eq. 2 on the retrieval logits of the impressed shows.'),
  lossSwitch('kdCtr', 'L_kd^ctr (Eq. 5)', 'Distillation of the ranking CTR probability into retrieval.'),
  lossSwitch('kdDwm', 'L_kd^dwm (Eq. 6)', 'Distillation of the ranking DWM probability into retrieval.'),
];

const NEGATIVE_PARAMS: ParamSpec[] = [
  {
    kind: 'choice',
    key: 'negatives',
    label: 'Negative sampling',
    help:
      'Negatives of Eq. 3-4 (Table 4): AN all candidates (RRA), RN n random shows of the corpus, BN batch ' +
      'negatives, BNC batch negatives with logQ popularity correction, HN candidates ranked r_low..r_up by ' +
      'the current model, MN = AN plus HN (hard negatives counted twice).',
    default: 'AN',
    options: NEGATIVE_SAMPLING.map((value) => ({ value, label: value })),
  },
  {
    kind: 'number',
    key: 'randomNegatives',
    label: 'RN n',
    help: 'Random negatives per request for RN.',
    default: 100,
    min: 1,
    max: 100_000,
    step: 1,
    integer: true,
    paperGrid: [20, 100, 1000],
  },
  {
    kind: 'number',
    key: 'hardFrom',
    label: 'HN r_low',
    help: 'First rank position (1-based) of the hard negatives of HN and MN.',
    default: 100,
    min: 1,
    max: 100_000,
    step: 1,
    integer: true,
    paperGrid: [100, 300],
  },
  {
    kind: 'number',
    key: 'hardTo',
    label: 'HN r_up',
    help: 'Last rank position (inclusive) of the hard negatives of HN and MN.',
    default: 200,
    min: 1,
    max: 100_000,
    step: 1,
    integer: true,
    paperGrid: [200, 500],
  },
];

/** BaseModel's switches towards RRA (the paper's BaseModel has neither; RRA has both). */
const RANKING_MODEL: ParamSpec = {
  kind: 'boolean',
  key: 'rankingModel',
  label: 'Ranking model (shared)',
  help:
    'Train a ranking model sharing the embeddings and bottom, with L_rank^* (Eq. 1-2), beside retrieval. ' +
    "Default off: the paper's BaseModel is the retrieval model alone (Sec. 5.1.4); on = parameter sharing " +
    '(with w_ctr = 0.5, rra-sharing).',
  default: false,
};

const ALIGNMENT_LOSSES: ParamSpec = {
  kind: 'boolean',
  key: 'alignmentLosses',
  label: 'L_mask^* + L_kd^*',
  help:
    "Add RRA's masked binary (Sec. 4.3.3) and distillation (Eq. 5-6) losses; needs the ranking model (the " +
    'distillation teacher). Default off: BaseModel has neither (Sec. 5.1.4); on with rankingModel and w_ctr = 0.5 ' +
    'gives exactly RRA.',
  default: false,
};

const DMTL_NEGATIVES: ParamSpec = {
  kind: 'number',
  key: 'negativesPerClick',
  label: 'Negatives per click',
  help: 'Shows drawn uniformly from the whole corpus as negatives for each click (teacher and student).',
  default: 10,
  min: 1,
  max: 1000,
  step: 1,
  integer: true,
};

function descriptor(
  id: string,
  name: string,
  summary: string,
  equations: string[],
  params: ParamSpec[],
): MethodDescriptor {
  return { id, name, paper: PAPER, summary, equations, stage: 'retrieval', protocol: 'rra', params };
}

export const RRA_METHODS: MethodDescriptor[] = [
  descriptor(
    'rra-base',
    'BaseModel',
    'Retrieval model alone (own embeddings, no ranking model): multi-class softmax over the candidate set ' +
      'with clicks as positives (w_ctr = 0) plus the DWM-weighted softmax; serves with Eq. 7-8. Its three ' +
      'differences from RRA are switches (w_ctr, rankingModel, alignmentLosses): all three on is RRA.',
    ['Eq. 3', 'Eq. 4', 'Eq. 7', 'Eq. 8'],
    [wCtrParam(0), RANKING_MODEL, ALIGNMENT_LOSSES, W_SERVE],
  ),
  descriptor(
    'rra-dmtl',
    'DMTL',
    'Distillation-based multi-task learning [34]: separate ranking teacher and retrieval student, trained ' +
      'together as binary classification on clicks plus random corpus negatives, with distillation.',
    ['Eq. 1', 'Eq. 2', 'Eq. 5', 'Eq. 6', 'Eq. 7', 'Eq. 8'],
    [DMTL_NEGATIVES, W_SERVE],
  ),
  descriptor(
    'rra-sharing',
    'Parameter sharing',
    'Retrieval shares the embeddings and bottom layer with the ranking model; trained synchronously with ' +
      'L_cls^* + L_rank^* (no masked binary or distillation loss).',
    ['Eq. 1', 'Eq. 2', 'Eq. 3', 'Eq. 4', 'Eq. 7', 'Eq. 8'],
    [wCtrParam(0.5), W_SERVE],
  ),
  descriptor(
    'rra-offline',
    'RRA (Offline Distillation)',
    "RRA's losses and shared architecture, but the distillation target is a pre-trained, frozen ranking " +
      'teacher (the production ranking model) instead of the synchronously trained one (Sec. 4.5.1).',
    ['Eq. 1', 'Eq. 2', 'Eq. 3', 'Eq. 4', 'Eq. 5', 'Eq. 6', 'Eq. 7', 'Eq. 8'],
    [wCtrParam(0.5), W_SERVE],
  ),
  descriptor(
    'rra',
    'RRA',
    'Retrieval and ranking alignment: shared embeddings and bottom, synchronous training with the weighted ' +
      'multi-class (Eq. 3-4), ranking (Eq. 1-2), masked binary and distillation (Eq. 5-6) losses; every term, ' +
      'w_ctr and the negative sampling are switchable for Tables 2-4.',
    ['Eq. 1', 'Eq. 2', 'Eq. 3', 'Eq. 4', 'Eq. 5', 'Eq. 6', 'Eq. 7', 'Eq. 8'],
    [wCtrParam(0.5), W_SERVE, ...LOSS_SWITCHES, ...NEGATIVE_PARAMS],
  ),
];

export const RRA_METHOD_IDS = RRA_METHODS.map((m) => m.id);

const ALL_NEGATIVE: NegativeOptions = { strategy: 'AN', randomNegatives: 0, hardFrom: 1, hardTo: 1 };

/** A method's plan, minus the offline teacher (attached by the job once it is trained). */
export interface MethodPlan {
  plan: TrainingPlan;
  /** The method distils a pre-trained teacher (rra-offline). */
  needsTeacher: boolean;
  wServe: number;
}

/** The training plan of a method for its (unresolved or resolved) parameters. */
export function planOf(methodId: string, given: ParamValues): MethodPlan {
  const method = RRA_METHODS.find((m) => m.id === methodId);
  if (!method) throw new Error(`method.id: "${methodId}" is not a method of the RRA protocol`);
  const params = resolveParamValues(method.params, given, 'method.params', method.name);
  const read = new ParamReader(method, params, 'method.params');
  const wServe = read.number('wServe');
  const base: Omit<TrainingPlan, 'losses' | 'ranking'> = {
    // A method that declares no w_ctr (rra-dmtl) weighs clicks only (w_ctr = 0).
    wCtr: method.params.some((p) => p.key === 'wCtr') ? read.number('wCtr') : 0,
    wServe,
    negatives: ALL_NEGATIVE,
    retrieval: true,
    samples: { kind: 'impressions' },
  };
  switch (methodId) {
    case 'rra-base': {
      const ranking = read.boolean('rankingModel');
      const alignment = read.boolean('alignmentLosses');
      if (alignment && !ranking) {
        throw new Error(
          'method.params.alignmentLosses: L_kd^* distils the ranking model; switch rankingModel on as well',
        );
      }
      return {
        plan: {
          ...base,
          ranking: ranking ? 'shared' : 'none',
          losses: {
            ...NO_LOSSES,
            clsCtr: true,
            clsDwm: true,
            rankCtr: ranking,
            rankDwm: ranking,
            maskCtr: alignment,
            maskDwm: alignment,
            kdCtr: alignment,
            kdDwm: alignment,
          },
        },
        needsTeacher: false,
        wServe,
      };
    }
    case 'rra-dmtl':
      return {
        plan: {
          ...base,
          ranking: 'separate',
          samples: { kind: 'corpus-negatives', perClick: read.number('negativesPerClick') },
          losses: { ...ALL_LOSSES, clsCtr: false, clsDwm: false },
        },
        needsTeacher: false,
        wServe,
      };
    case 'rra-sharing':
      return {
        plan: {
          ...base,
          ranking: 'shared',
          losses: { ...NO_LOSSES, clsCtr: true, clsDwm: true, rankCtr: true, rankDwm: true },
        },
        needsTeacher: false,
        wServe,
      };
    case 'rra-offline':
      return { plan: { ...base, ranking: 'shared', losses: ALL_LOSSES }, needsTeacher: true, wServe };
    default: {
      const losses = { ...NO_LOSSES };
      for (const key of Object.keys(NO_LOSSES) as (keyof LossSwitches)[]) losses[key] = read.boolean(key);
      if (!Object.values(losses).some((on) => on)) {
        throw new Error('method.params: RRA needs at least one loss term switched on');
      }
      const hardFrom = read.number('hardFrom');
      const hardTo = read.number('hardTo');
      if (hardTo < hardFrom) {
        throw new Error(`method.params.hardTo: r_up (${hardTo}) must not be below r_low (${hardFrom})`);
      }
      const needsRanking = losses.rankCtr || losses.rankDwm || losses.kdCtr || losses.kdDwm;
      return {
        plan: {
          ...base,
          ranking: needsRanking ? 'shared' : 'none',
          losses,
          negatives: {
            strategy: read.choice<NegativeSampling>('negatives'),
            randomNegatives: read.number('randomNegatives'),
            hardFrom,
            hardTo,
          },
        },
        needsTeacher: false,
        wServe,
      };
    }
  }
}
