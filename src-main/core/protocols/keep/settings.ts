/**
 * The KEEP testbed's own settings (ProtocolDescriptor.params): the simulated domains' sizes and
 * label rates (data.ts reads them), the downstream models' stopping rule (early-stopping.ts) and
 * their use of the user id (train.ts).
 *
 * Where the defaults come from (issue #15):
 * - maxSteps 2000, evalEvery 12, patience 5: every downstream model trains to convergence on its
 *   validation GAUC under one rule, so Sample Merging's ten times larger pool buys it no more
 *   optimisation than Base gets. 12 steps are about one pass over the default sub-domain
 *   training window (6,000 rows at batch 512). At the learning rate 0.02 Sample Merging, the
 *   slowest, stopped at 350 ± 73 (456 at most over every bundled run) under the earlier cap of
 *   600; at 0.01 two of five keep-table2-main seeds reached 600 still improving, so the cap is
 *   2000, which no bundled run reaches (README): a guard, not the budget.
 *   The learning rate 0.01 of the specs: 0.02 was the best of 0.005, 0.01, 0.02, 0.05 on Base's
 *   validation GAUC (seed 1), chosen before comparing methods; 0.01 is within noise of it (Base's
 *   validation GAUC 0.595 ± 0.008 against 0.599 ± 0.011, 5 seeds) and its trajectories are
 *   smoother, so the paired improvements over Base vary less between seeds (keep-table2-main at
 *   120 test impressions: KEEP 0.0025 against 0.013, KEEP-C 0.0035 against 0.014 over seeds 1-5;
 *   0.0071 and 0.012 over seeds 6-10). Chosen on that spread, not on the methods' means.
 * - domainShift 0.5, intentWeight 1: the paper's premise is that super-domain knowledge transfers
 *   to the sub-domain. Measured over the default test impressions (within-user variance of the
 *   sub-domain click logit): the click latent z 2.35, purchase intent 0.90, the sub-domain-only
 *   terms 0.49 at domainShift 0.5 (1.97 at 1, the earlier default), so about 85% of within-user
 *   ordering is something the super-domain reveals, z through its clicks and intent only through
 *   conversion and add-to-cart. Chosen from this decomposition before any method was compared;
 *   keep-domain-shift-sweep varies the shift.
 * - targetTestImpressions 120, targetValidImpressions 16: with 8 test impressions per user (about
 *   one click each) GAUC's spread over seeds (±0.010) was larger than the paper's effect, +0.007.
 *   What the test draw itself adds to a paired improvement is the spread of Improv. − GT Improv.
 *   (the same model and rows, labels drawn against their true probabilities): 0.004 at 40
 *   impressions, 0.0013-0.0037 at 120 (KEEP, 5-seed sets); the rest of the spread is training
 *   (initialisation and batch order, shared with Base by train.ts's common random numbers).
 */
import type { ParamSpec } from '../../../contract/api';
import { type ParamOwner, numberParam } from '../../methods/param-spec';

export const KEEP_PROTOCOL_PARAMS: ParamSpec[] = [
  numberParam(
    'targetUserShare',
    'Sub-domain users (share)',
    'Share of the users active in the sub-domain (paper: about half of the super-domain users, Table 1).',
    0.5,
    0.05,
    1,
    false,
    { step: 0.05 },
  ),
  numberParam(
    'targetItemShare',
    'Sub-domain items (share)',
    'Share of the items that belong to the sub-domain (the ads sub-scenario); on stored data, the hashed share of items whose rows form the sub-domain.',
    0.25,
    0.02,
    1,
    false,
    { step: 0.01 },
  ),
  numberParam(
    'pretrainImpressions',
    'Super-domain impressions per user, pre-training window',
    'Super-domain impressions per user in the earlier window KEEP pre-trains on (paper: five days).',
    100,
    0,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'concurrentImpressions',
    'Super-domain impressions per user, concurrent window',
    "Super-domain impressions per user in the sub-domain's training window (paper: two days), used by KEEP-C and Sample Merging.",
    40,
    0,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'targetTrainImpressions',
    'Sub-domain training impressions per user',
    'Sub-domain impressions per sub-domain user in the training window (paper: about 29 ad impressions per user a month, Figure 1).',
    8,
    1,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'targetValidImpressions',
    'Sub-domain validation impressions per user',
    "Held-out sub-domain impressions per sub-domain user from the training window: every downstream model stops early on their GAUC (train.ts). On stored data a hashed 20% of the training window's sub-domain rows instead.",
    16,
    1,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'targetTestImpressions',
    'Sub-domain test impressions per user',
    "Sub-domain impressions per sub-domain user in the test window (default 120: with 8, GAUC rests on about one click per user and its spread over seeds exceeded the paper's effect, +0.007; at 120 the test labels add about 0.002 to a paired improvement's spread).",
    120,
    2,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'clickBias',
    'Super-domain click bias',
    'Added to the latent preference logit for a super-domain click.',
    -3.5,
    -12,
    5,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'conversionBias',
    'Conversion bias',
    'Conversion given a click: sigmoid(2 z + bias).',
    -8,
    -12,
    5,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'cartBias',
    'Add-to-cart bias',
    'Add-to-cart given a click: sigmoid(1.5 z + bias).',
    -6,
    -12,
    5,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'targetClickBias',
    'Sub-domain click bias',
    'Added to the sub-domain click logit (ads are clicked less).',
    -4,
    -12,
    5,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'domainShift',
    'Domain shift',
    "Scale of the sub-domain-only terms of its click logit (an ad's own appeal e_i and a user-ad affinity, each of unit variance); 0 makes the sub-domain click like the super-domain plus purchase intent. Default 0.5: see the file comment of settings.ts.",
    0.5,
    0,
    3,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'intentWeight',
    'Purchase intent (independent behaviour latents)',
    'Weight of two user x category purchase-intent latents A and B: conversion reads A and add-to-cart B (slope 2 x weight) beside the click latent, and the sub-domain click logit adds weight x (A + B) / sqrt 2. Clicks of the super-domain never see them, so only the conversion and add-to-cart pre-training tasks can reveal them. 0 is the earlier world, where every behaviour is a Bernoulli of the click latent alone.',
    1,
    0,
    3,
    false,
    { step: 0.1 },
  ),
  numberParam(
    'activitySpread',
    'User activity spread',
    "Log-std of each user's super-domain activity (a log-normal factor with mean 1 on the impression counts); 0 gives every user the same counts.",
    0.75,
    0,
    2,
    false,
    { step: 0.05 },
  ),
  numberParam(
    'maxSteps',
    'Downstream steps, at most',
    'Cap on the optimisation steps of every downstream model (Base, Sample Merging, KEEP-C, KEEP alike); each stops earlier when its validation GAUC has not improved for `patience` evaluations, and the best evaluation is scored. Default: see the file comment of settings.ts.',
    2000,
    1,
    100_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'evalEvery',
    'Steps between validation evaluations',
    'Every downstream model computes its validation GAUC after this many steps (default 12: about one pass over the default sub-domain training window, 6,000 rows at batch 512).',
    12,
    1,
    10_000,
    true,
    { step: 1 },
  ),
  numberParam(
    'patience',
    'Early-stopping patience (evaluations)',
    'Evaluations without a better validation GAUC after which a downstream model stops.',
    5,
    1,
    1_000,
    true,
    { step: 1 },
  ),
  {
    kind: 'boolean',
    key: 'downstreamUserId',
    label: 'Downstream model uses the user id',
    help: 'The paper keeps the user id out of the main task, whose production model has behaviour-sequence features instead; the simulated downstream model has no other user feature, so it is on by default.',
    default: true,
  },
];

/** The settings with their owner's name, as the typed reader takes them. */
export const KEEP_SETTINGS: ParamOwner = { name: 'KEEP', params: KEEP_PROTOCOL_PARAMS };
