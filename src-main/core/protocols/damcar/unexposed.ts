/**
 * Unexposed samples for the retrieval methods, built from the TRAINING split only.
 *
 * "Unexposed" means: not exposed to the user in the training interactions (split.train). The
 * validation and test rows are never read, so an item a user meets later in the test split can
 * be drawn as unexposed, exactly as it would be at training time in a live system.
 *
 * - `targetDomainPairs`: DAMCAR's target domain S_sam (Section 4.1, Eq. 1-3) by random walks on
 *   the training exposures (graph/random-walk.ts), with parameters R, H and the Eq. 3 comparison.
 * - `randomTargetDomainPairs`: its "w/o TDG" ablation (Section 5.3): for each user, as many
 *   unexposed items as the random walks would keep, drawn uniformly at random.
 * - `unexposedPool`: the unlabeled unexposed data of the TL, AR and MUDA baselines (Section
 *   5.1.3): for each user, round(ratio * number of distinct items exposed to the user in training)
 *   unexposed items drawn uniformly at random without replacement (ratio 1 = as many unexposed as
 *   exposed items), capped at the number of items the user has not been exposed to.
 *
 * Each draws from its own fork of the run's random generator (fixed stream numbers below), so
 * the samples depend only on the run's seed and data, not on what a method trained before.
 */
import type { NumberParamSpec } from '../../../contract/api';
import {
  type TargetDomain,
  type VisitComparison,
  type RadiusUnit,
  type WatchLog,
  countsFromOffsets,
  generateTargetDomain,
  sampleUniformUnexposed,
} from '../../graph/random-walk';
import type { PairSamples } from './method-common';
import type { MethodContext } from './methods';

/** Random streams (forks of ctx.rng) of the samplers. */
export const TARGET_DOMAIN_STREAM = 7001;
export const RANDOM_TARGET_STREAM = 7002;
export const UNEXPOSED_POOL_STREAM = 7003;

export interface TargetDomainParams {
  /** R (paper: 25 on WeChat, 30 on TikTok). */
  radius: number;
  /** H (paper: 50 on WeChat, 60 on TikTok). */
  walksPerUser: number;
  comparison: VisitComparison;
  radiusUnit: RadiusUnit;
}

/** How many unexposed samples per exposed training item TL, AR and MUDA draw for each user. */
export const UNEXPOSED_RATIO_PARAM: NumberParamSpec = {
  kind: 'number',
  key: 'unexposedRatio',
  label: 'Unexposed samples per exposed item',
  help:
    "For each user, this many times the number of the user's distinct exposed training items are drawn " +
    'uniformly (seeded) from the items not exposed to the user in training.',
  default: 1,
  min: 0.1,
  max: 10,
  step: 0.1,
  integer: false,
};

/** The paper's WeChat setting and Eq. 3 as written. */
export const TARGET_DOMAIN_DEFAULTS: TargetDomainParams = {
  radius: 25,
  walksPerUser: 50,
  comparison: 'gte',
  radiusUnit: 'hop',
};

/** The training exposures with their watch time (the random-walk edge weights v_ui). */
export function trainWatchLog(ctx: MethodContext): WatchLog {
  const cols = ctx.dataset.interactions;
  const rows = ctx.split.train;
  return {
    numUsers: ctx.dataset.numUsers,
    numItems: ctx.dataset.numItems,
    users: Int32Array.from(rows, (r) => cols.user[r]),
    items: Int32Array.from(rows, (r) => cols.item[r]),
    watchTime: Float32Array.from(rows, (r) => cols.watchTime[r]),
  };
}

/** Per-user CSR lists flattened to pairs. */
export function csrToPairs(offsets: Int32Array, items: Int32Array): PairSamples {
  const users = new Int32Array(items.length);
  for (let u = 0; u + 1 < offsets.length; u++) users.fill(u, offsets[u], offsets[u + 1]);
  return { users, items: Int32Array.from(items) };
}

/** DAMCAR's target domain (Eq. 1-3) on the training exposures, per user. */
export function targetDomain(ctx: MethodContext, params: TargetDomainParams): TargetDomain {
  const rng = ctx.rng.fork(TARGET_DOMAIN_STREAM);
  return generateTargetDomain(trainWatchLog(ctx), {
    radius: params.radius,
    walksPerUser: params.walksPerUser,
    comparison: params.comparison,
    radiusUnit: params.radiusUnit,
    random: () => rng.uniform(),
  });
}

/** S_sam as pairs, grouped by user, items ascending. */
export function targetDomainPairs(ctx: MethodContext, params: TargetDomainParams): PairSamples {
  const domain = targetDomain(ctx, params);
  return csrToPairs(domain.offsets, domain.items);
}

/**
 * "w/o TDG": as many samples per user as `domain` holds, drawn uniformly from the user's
 * unexposed (in training) items.
 */
export function randomTargetDomainPairs(ctx: MethodContext, domain: TargetDomain): PairSamples {
  const rng = ctx.rng.fork(RANDOM_TARGET_STREAM);
  const lists = sampleUniformUnexposed(trainWatchLog(ctx), countsFromOffsets(domain.offsets), () =>
    rng.uniform(),
  );
  return csrToPairs(lists.offsets, lists.items);
}

/**
 * The unexposed pool of TL, AR and MUDA: per user, round(ratio * distinct training items) items
 * not exposed to the user in training, uniformly without replacement (capped at what exists).
 * @param ratio unexposed samples per distinct exposed training item, > 0
 */
export function unexposedPool(ctx: MethodContext, ratio: number): PairSamples {
  if (!(ratio > 0) || !Number.isFinite(ratio))
    throw new Error(`unexposedPool: ratio must be a finite number > 0, got ${ratio}`);
  const log = trainWatchLog(ctx);
  const { numUsers, numItems } = ctx.dataset;
  const distinct = new Int32Array(numUsers);
  const seen = new Int32Array(numItems).fill(-1);
  // Rows of one user are not contiguous, so mark (user, item) pairs by sorting rows by user first.
  const order = Int32Array.from({ length: log.users.length }, (_, k) => k).sort(
    (a, b) => log.users[a] - log.users[b] || a - b,
  );
  for (const k of order) {
    const u = log.users[k];
    const i = log.items[k];
    if (seen[i] !== u) {
      seen[i] = u;
      distinct[u]++;
    }
  }
  const counts = new Int32Array(numUsers);
  for (let u = 0; u < numUsers; u++)
    counts[u] = Math.min(numItems - distinct[u], Math.round(ratio * distinct[u]));
  const rng = ctx.rng.fork(UNEXPOSED_POOL_STREAM);
  const lists = sampleUniformUnexposed(log, counts, () => rng.uniform());
  return csrToPairs(lists.offsets, lists.items);
}
