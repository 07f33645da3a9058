/**
 * The RRA testbed's own settings (ProtocolDescriptor.params) and their typed reading, which also
 * checks them for contexts whose parameters were not resolved by runJob (tests).
 *
 * Paper defaults (RRA, KDD 2023, Sec. 5.1.2): Recall@100, WRecall@100 and NKTD@300; behaviour
 * sequence length l = 100 (Sec. 4.2.1). The simulated log's sizes are scaled down so one job runs
 * in well under a minute on two CPU cores.
 */
import type { ParamSpec, ParamValues } from '../../../contract/api';
import { type ParamOwner, ParamReader, resolveParamValues } from '../../methods/param-spec';

export type Architecture = 'base' | 'prod';

export interface RraSettings {
  /** Simulated data: users and shows of the simulator's world that the log uses (the first ones). */
  users: number;
  shows: number;
  /** Candidate set size per request (the logging retrieval's output: the training softmax's support). */
  candidates: number;
  /** Requests per user in the simulated log. */
  requestsPerUser: number;
  /** Days of the simulated log; the last one is the test day. */
  days: number;
  /** Most recent watched shows pooled into the user representation (paper: l = 100). */
  historyLength: number;
  /** K of Recall@K and WRecall@K (paper: 100). */
  recallK: number;
  /** N of NKTD@N (paper: 300). */
  nktdN: number;
  /** The production ranking's mixing weight of its CTR and DWM logits (the order NKTD compares). */
  rankingWCtr: number;
  /** 'base': MLP top layers (the paper's BaseModel); 'prod': MMoE + product features (ProdModel-like). */
  architecture: Architecture;
  /** MMoE experts of the 'prod' architecture. */
  experts: number;
}

export const RRA_PROTOCOL_PARAMS: ParamSpec[] = [
  {
    kind: 'number',
    key: 'users',
    label: 'Users (simulated)',
    help:
      "Simulated data: the first this many users of the simulator's world send requests (its users are " +
      'exchangeable, so this is a random subset); keeps a job near a minute on two cores.',
    default: 600,
    min: 10,
    max: 1_000_000,
    step: 10,
    integer: true,
  },
  {
    kind: 'number',
    key: 'shows',
    label: 'Shows (simulated)',
    help:
      "Simulated data: the corpus is the first this many shows of the simulator's world (exchangeable too). " +
      'Every training step scores the whole corpus, so its size sets the cost.',
    default: 600,
    min: 20,
    max: 1_000_000,
    step: 10,
    integer: true,
  },
  {
    kind: 'number',
    key: 'candidates',
    label: 'Candidate set size',
    help:
      "Shows of a request's training softmax (Eq. 3-4, all-negative support) and of the in-candidate " +
      "recall columns (simulated: the logging retrieval stage's output drawn from the user's unwatched " +
      "shows; stored data: the request's impressions plus sampled unexposed shows). Evaluation ranks the " +
      'whole unfamiliar corpus. Must exceed K.',
    default: 400,
    min: 10,
    max: 100_000,
    step: 10,
    integer: true,
  },
  {
    kind: 'number',
    key: 'requestsPerUser',
    label: 'Requests per user',
    help: 'Simulated data: requests each user sends over the log (each impresses exposedPerRequest shows).',
    default: 8,
    min: 2,
    max: 1000,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'days',
    label: 'Days',
    help: 'Simulated data: days the requests spread over; the last day is the test set (global time split).',
    default: 8,
    min: 2,
    max: 365,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'historyLength',
    label: 'History length l',
    help: 'Most recent watched shows pooled into the user representation (paper: 100).',
    default: 20,
    min: 1,
    max: 1000,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'recallK',
    label: 'K of Recall@K',
    help: 'Cut-off of Recall@K and WRecall@K (paper: 100).',
    default: 100,
    min: 1,
    max: 10_000,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'nktdN',
    label: 'N of NKTD@N',
    help:
      "Length of the retrieval's top list of the unfamiliar corpus whose order NKTD compares with the " +
      "production ranking's (paper: 300).",
    default: 300,
    min: 2,
    max: 10_000,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'rankingWCtr',
    label: 'Ranking fusion weight',
    help:
      "Weight of the production ranking model's CTR logit against its DWM logit in the order NKTD " +
      'compares (the ranking stage sorts by a mixed formulation, Sec. 3).',
    default: 0.5,
    min: 0,
    max: 1,
    step: 0.05,
    integer: false,
  },
  {
    kind: 'choice',
    key: 'architecture',
    label: 'Architecture',
    help:
      'BaseModel: MLP top layers, no product features (YouTube-DNN-like, Sec. 5.1.4). ProdModel-like: ' +
      'MMoE top layers and product features in ranking (self-attention replaced by pooling).',
    default: 'prod',
    options: [
      { value: 'base', label: 'BaseModel (MLP)' },
      { value: 'prod', label: 'ProdModel-like (MMoE + PNN)' },
    ],
  },
  {
    kind: 'number',
    key: 'experts',
    label: 'MMoE experts',
    help: "Experts of the ProdModel-like architecture's MMoE layers.",
    default: 3,
    min: 1,
    max: 16,
    step: 1,
    integer: true,
  },
];

/** The settings with their owner's name, as the typed reader takes them. */
export const RRA_SETTINGS: ParamOwner = { name: 'RRA', params: RRA_PROTOCOL_PARAMS };

export function resolveRraSettings(protocolParams: ParamValues): RraSettings {
  const values = resolveParamValues(RRA_PROTOCOL_PARAMS, protocolParams, 'protocolParams', RRA_SETTINGS.name);
  const read = new ParamReader(RRA_SETTINGS, values, 'protocolParams');
  const settings: RraSettings = {
    users: read.number('users'),
    shows: read.number('shows'),
    candidates: read.number('candidates'),
    requestsPerUser: read.number('requestsPerUser'),
    days: read.number('days'),
    historyLength: read.number('historyLength'),
    recallK: read.number('recallK'),
    nktdN: read.number('nktdN'),
    rankingWCtr: read.number('rankingWCtr'),
    architecture: read.choice<Architecture>('architecture'),
    experts: read.number('experts'),
  };
  if (settings.recallK >= settings.candidates) {
    throw new Error(
      `protocolParams.recallK: K (${settings.recallK}) must be below the candidate set size ` +
        `(protocolParams.candidates = ${settings.candidates}), or every clicked show would be recalled`,
    );
  }
  return settings;
}
