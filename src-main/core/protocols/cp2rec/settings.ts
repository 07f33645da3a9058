/**
 * CP2Rec's testbed settings (`protocolParams`): how strongly the confounders act on the simulated
 * log, how the unbiased test is labelled and drawn, and what counts as the head of the catalogue.
 */
import type { ParamSpec } from '../../../contract/api';

export const CP2REC_PROTOCOL_PARAMS: ParamSpec[] = [
  {
    kind: 'number',
    key: 'confounding',
    label: 'Confounding strength gamma',
    help: "Scales the confounders' effects on exposure and on the logged label (0 = none). Simulated data.",
    default: 1,
    min: 0,
    max: 3,
    step: 0.1,
    integer: false,
  },
  {
    kind: 'number',
    key: 'proxyNoise',
    label: 'Proxy error',
    help:
      "Std of each confounding proxy's error in units of the proxy's own std (popularity and duration per item, " +
      'position per logged exposure): 0 = the expert observes the confounders exactly (duration and position; ' +
      'popularity through the training exposure counts); the proxy then correlates about 1 / sqrt(1 + e^2) with its ' +
      'confounder. The job logs the correlations. Simulated data.',
    default: 0,
    min: 0,
    max: 5,
    step: 0.1,
    integer: false,
  },
  {
    kind: 'choice',
    key: 'unbiasedLabels',
    label: 'Unbiased-test labels',
    help:
      'interest: de-confounded labels (conformity, duration and position effects removed); behaviour: the ' +
      'logged behaviour under randomised exposure and position. Simulated data.',
    default: 'interest',
    options: [
      { value: 'interest', label: 'De-confounded interest' },
      { value: 'behaviour', label: 'Logged behaviour, randomised exposure' },
    ],
  },
  {
    kind: 'number',
    key: 'unbiasedItemsPerUser',
    label: 'Unbiased-test items per user',
    help: 'Randomly drawn never-exposed items per user in the unbiased test.',
    default: 50,
    min: 5,
    max: 1000,
    step: 1,
    integer: true,
  },
  {
    kind: 'number',
    key: 'headShare',
    label: 'Head share',
    help: 'Share of items (most exposed in training) that count as the head for Head@K.',
    default: 0.2,
    min: 0.01,
    max: 0.5,
    step: 0.01,
    integer: false,
  },
];
