/**
 * The UKDSL testbed's own settings (ProtocolDescriptor.params): the simulated funnel's pool,
 * noise and splits (funnel.ts reads them) and the stand-in consideration data of stored datasets.
 */
import type { ParamSpec } from '../../../contract/api';
import type { ParamOwner } from '../../methods/param-spec';

export const UKDSL_PROTOCOL_PARAMS: ParamSpec[] = [
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

/** The settings with their owner's name, as the typed reader takes them. */
export const UKDSL_SETTINGS: ParamOwner = { name: 'UKDSL', params: UKDSL_PROTOCOL_PARAMS };
