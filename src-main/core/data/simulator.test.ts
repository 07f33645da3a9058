import { type Hash, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SimulatorParams } from '../../contract/api';
import { type CascadeDataset, datasetStats, trainingView } from './dataset';
import { createRng } from '../random';
import {
  DEFAULT_SIMULATOR_PARAMS,
  type NumberRange,
  SIMULATOR_PARAM_RANGES,
  boundsInterval,
  rangeProbes,
} from '../../contract/ranges';
import { ValidationError } from '../../contract/errors';
import { createThreadRowHelpers } from '../node/row-helper-thread';
import { useRowHelpers } from '../row-helper';
import { belowSigmoid, resolveSimulatorParams, simulateCascade } from './simulator';

const SMALL: Partial<SimulatorParams> = {
  users: 200,
  items: 400,
  categories: 8,
  latentDim: 8,
  multimodalDim: 6,
  exposuresPerUser: 20,
  candidatesPerRequest: 40,
  exposedPerRequest: 5,
  seed: 3,
};

function small(overrides: Partial<SimulatorParams> = {}) {
  return simulateCascade(resolveSimulatorParams({ ...SMALL, ...overrides }));
}

describe('resolveSimulatorParams', () => {
  it('fills defaults and keeps given values', () => {
    expect(resolveSimulatorParams({})).toEqual(DEFAULT_SIMULATOR_PARAMS);
    expect(resolveSimulatorParams({ users: 10 }).users).toBe(10);
  });

  it('names the offending field', () => {
    const cases: [Partial<SimulatorParams>, keyof SimulatorParams | string][] = [
      [{ users: 1 }, 'users'],
      [{ items: 10.5 }, 'items'],
      [{ exposureBias: 1.2 }, 'exposureBias'],
      [{ latentDim: Number.NaN }, 'latentDim'],
      [{ categories: 50, items: 40, exposuresPerUser: 10 }, 'categories'],
      [{ exposuresPerUser: 2000 }, 'exposuresPerUser'],
      [{ candidatesPerRequest: 5, exposedPerRequest: 10 }, 'candidatesPerRequest'],
      [{ exposedPerRequest: 50 }, 'exposedPerRequest'],
      [{ items: 100, exposuresPerUser: 50, candidatesPerRequest: 60 }, 'candidatesPerRequest'],
      [{ colour: 3 } as unknown as Partial<SimulatorParams>, 'colour'],
      [{ seed: '1' } as unknown as Partial<SimulatorParams>, 'seed'],
    ];
    for (const [input, field] of cases) {
      let caught: unknown;
      try {
        resolveSimulatorParams(input);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(input)).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).field).toBe(field);
      expect((caught as Error).message).toContain(field);
    }
  });

  it('checks each parameter against the contract range the form hints at', () => {
    // Values near both ends of every range, one parameter at a time. A value may also break a
    // limit between parameters (candidatesPerRequest = 1,000,000 leaves no unexposed items), so
    // what is compared is whether the field's own range check rejects it.
    const failsOwnRange = (key: keyof SimulatorParams, value: number): boolean => {
      try {
        resolveSimulatorParams({ [key]: value });
        return false;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        if (error.field !== key) return false;
        const range = SIMULATOR_PARAM_RANGES[key];
        return (
          error.message.includes(`must be in ${boundsInterval(range)}, got ${value}`) ||
          error.message.includes(`must be an integer, got ${value}`)
        );
      }
    };
    for (const [key, range] of Object.entries(SIMULATOR_PARAM_RANGES) as [
      keyof SimulatorParams,
      NumberRange,
    ][]) {
      const middle = range.integer ? range.min + 0.5 : (range.min + range.max) / 2;
      for (const { value, admitted } of [
        ...rangeProbes(range),
        { value: middle, admitted: !range.integer },
      ]) {
        expect(failsOwnRange(key, value), `${key} = ${value}`).toBe(!admitted);
      }
    }
    // Where the other parameters leave room, both ends are accepted whole.
    expect(
      resolveSimulatorParams({ users: 1_000_000, exposuresPerUser: 5, exposedPerRequest: 5 }).users,
    ).toBe(1_000_000);
    expect(resolveSimulatorParams({ exposureBias: 0 }).exposureBias).toBe(0);
    expect(resolveSimulatorParams({ exposureBias: 1 }).exposureBias).toBe(1);
    expect(resolveSimulatorParams({ seed: 4_294_967_295 }).seed).toBe(4_294_967_295);
  });
});

// Pinned output: these digests were computed with the simulator as it was before its speed-up
// (per-item log race keys and a full topK pass per request). Other code, stored runs and helpers
// rely on the same params giving the same dataset, so any change of output fails here.
const PINNED: [Partial<SimulatorParams>, string][] = [
  [
    {
      users: 60,
      items: 500,
      categories: 7,
      latentDim: 8,
      multimodalDim: 5,
      exposuresPerUser: 23,
      candidatesPerRequest: 50,
      exposedPerRequest: 6,
      exposureBias: 0.9,
      seed: 11,
    },
    'd4b5c1c81d0dc44d26c206225c06b8ca8746bb6d0516316b9ed2fb6fbada2d1b',
  ],
  [
    {
      users: 40,
      items: 300,
      categories: 3,
      latentDim: 5,
      multimodalDim: 0,
      exposuresPerUser: 30,
      candidatesPerRequest: 200,
      exposedPerRequest: 30,
      exposureBias: 1,
      seed: 5,
    },
    'f41cb18d7eba873f9b4664de9d6329f11ae2fe50b3b8adefe4621c035a547838',
  ],
  [
    {
      users: 30,
      items: 200,
      categories: 4,
      latentDim: 4,
      multimodalDim: 3,
      exposuresPerUser: 10,
      candidatesPerRequest: 20,
      exposedPerRequest: 4,
      exposureBias: 0,
      seed: 7,
    },
    'bd9229f2e990231dcae30527091b74b0f4512dc0f2d56a93311db901d3d9c6b0',
  ],
  [
    {
      users: 50,
      items: 400,
      categories: 5,
      latentDim: 16,
      multimodalDim: 4,
      exposuresPerUser: 12,
      candidatesPerRequest: 388,
      exposedPerRequest: 12,
      exposureBias: 0.5,
      seed: 2,
    },
    'ef9087877fd13e957c852eb8a8df611cc8489e849b6d065e1ccea61524562b7d',
  ],
  // More items than the ground truth's chunk of affinities (1,024), the last chunk partial.
  [
    {
      users: 12,
      items: 2600,
      categories: 6,
      latentDim: 8,
      multimodalDim: 3,
      exposuresPerUser: 40,
      candidatesPerRequest: 60,
      exposedPerRequest: 8,
      exposureBias: 0.7,
      seed: 5,
    },
    '298cc94e1c7732596b36a0e11ba147137987f375d179d193738415471341321d',
  ],
];

describe('simulateCascade', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = small();
    const b = small();
    const c = small({ seed: 4 });
    expect(a.interactions.item).toEqual(b.interactions.item);
    expect(a.interactions.label).toEqual(b.interactions.label);
    expect(a.interactions.watchTime).toEqual(b.interactions.watchTime);
    expect(a.itemDense).toEqual(b.itemDense);
    expect(a.groundTruth?.unexposedPositives(7)).toEqual(b.groundTruth?.unexposedPositives(7));
    expect(a.interactions.item).not.toEqual(c.interactions.item);
  });

  it('produces columns of the declared shapes', () => {
    const ds = small();
    const n = 200 * 20;
    expect(ds.numUsers).toBe(200);
    expect(ds.numItems).toBe(400);
    expect(ds.itemCategory.length).toBe(400);
    expect(ds.denseDim).toBe(6);
    expect(ds.itemDense.length).toBe(400 * 6);
    for (const column of Object.values(ds.interactions)) expect(column.length).toBe(n);
    const perUser = new Int32Array(200);
    for (let r = 0; r < n; r++) perUser[ds.interactions.user[r]]++;
    expect(Array.from(perUser).every((c) => c === 20)).toBe(true);
    for (let c = 0; c < 8; c++) expect(ds.itemCategory.includes(c)).toBe(true);
    const stats = datasetStats(ds);
    expect(stats.positives).toBeGreaterThan(0);
    expect(stats.positives).toBeLessThan(n);
    expect(stats.hasGroundTruth).toBe(true);
  });

  it('orders the log by time, with increasing times per user and unique exposures', () => {
    const ds = small();
    const { user, item, time } = ds.interactions;
    const lastTime = new Float64Array(200).fill(-1);
    const seen = new Set<number>();
    for (let r = 0; r < user.length; r++) {
      if (r > 0) expect(time[r]).toBeGreaterThanOrEqual(time[r - 1]);
      expect(time[r]).toBeGreaterThan(lastTime[user[r]]);
      lastTime[user[r]] = time[r];
      const key = user[r] * 400 + item[r];
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  });

  it('labels finishes from the true preference and relates watch time to them', () => {
    const ds = small({ users: 400 });
    const gt = ds.groundTruth;
    if (!gt) throw new Error('simulated data must have ground truth');
    const { user, item, label, watchTime } = ds.interactions;
    let meanPrefPositive = 0;
    let meanPrefNegative = 0;
    let positives = 0;
    let watchPositive = 0;
    let watchNegative = 0;
    for (let r = 0; r < user.length; r++) {
      const pref = gt.preference(user[r], item[r]);
      expect(pref).toBeGreaterThan(0);
      expect(pref).toBeLessThan(1);
      if (label[r] === 1) {
        positives++;
        meanPrefPositive += pref;
        watchPositive += watchTime[r];
      } else {
        meanPrefNegative += pref;
        watchNegative += watchTime[r];
      }
    }
    const negatives = user.length - positives;
    expect(meanPrefPositive / positives).toBeGreaterThan(meanPrefNegative / negatives + 0.1);
    expect(watchPositive / positives).toBeGreaterThan(1.5 * (watchNegative / negatives));
  });

  it('concentrates exposure on popular items as exposureBias grows', () => {
    const uniform = datasetStats(small({ exposureBias: 0 }));
    const half = datasetStats(small({ exposureBias: 0.5 }));
    const biased = datasetStats(small({ exposureBias: 1 }));
    expect(half.top10PercentItemShare).toBeGreaterThan(uniform.top10PercentItemShare + 0.05);
    expect(biased.top10PercentItemShare).toBeGreaterThan(half.top10PercentItemShare + 0.05);
    // The policy also targets preference: exposed items are finished more often.
    expect(biased.positiveRate).toBeGreaterThan(uniform.positiveRate + 0.1);
  });

  it('keeps ground-truth positives disjoint from every exposure, and consistent with the label draw', () => {
    const ds = small();
    const gt = ds.groundTruth;
    if (!gt) throw new Error('simulated data must have ground truth');
    const exposed = new Map<number, Set<number>>();
    const { user, item } = ds.interactions;
    for (let r = 0; r < user.length; r++) {
      if (!exposed.has(user[r])) exposed.set(user[r], new Set());
      exposed.get(user[r])?.add(item[r]);
    }
    let total = 0;
    let prefSumPositives = 0;
    for (let u = 0; u < ds.numUsers; u++) {
      const positives = gt.unexposedPositives(u);
      for (let k = 0; k < positives.length; k++) {
        expect(exposed.get(u)?.has(positives[k])).toBe(false);
        if (k > 0) expect(positives[k]).toBeGreaterThan(positives[k - 1]);
        prefSumPositives += gt.preference(u, positives[k]);
      }
      total += positives.length;
    }
    // Expected positives among unexposed pairs = sum of their preferences (within a few percent).
    let expected = 0;
    for (let u = 0; u < ds.numUsers; u++) {
      for (let i = 0; i < ds.numItems; i++) if (!exposed.get(u)?.has(i)) expected += gt.preference(u, i);
    }
    expect(Math.abs(total - expected) / expected).toBeLessThan(0.03);
    // Positives are drawn where preference is high.
    expect(prefSumPositives / total).toBeGreaterThan(expected / (ds.numUsers * ds.numItems - user.length));
  });

  it('hides the ground truth from the training view', () => {
    const view = trainingView(small());
    expect('groundTruth' in view).toBe(false);
  });

  it.each(PINNED)('gives the pinned dataset, ground truth included, for %j', (params, digest) => {
    expect(outputDigest(params)).toBe(digest);
  });

  it('gives the same pinned datasets with helper threads computing retrieval weights and ground truth', async () => {
    const helpers = createThreadRowHelpers({ minWork: 0 });
    useRowHelpers(helpers);
    try {
      for (const [params, digest] of PINNED)
        expect(outputDigest(params), JSON.stringify(params)).toBe(digest);
    } finally {
      useRowHelpers(null);
    }
    // One thread per dataset for two thirds of the ground truth's users, one more for each with a logging
    // policy (exposureBias > 0): the helpers did take part.
    const withPolicy = PINNED.filter(([params]) => (params.exposureBias ?? 1) > 0).length;
    expect(helpers.started).toBe(PINNED.length + withPolicy);
    await helpers.idle();
  });

  it('gives the pinned log columns for the default parameters', () => {
    const ds = simulateCascade(resolveSimulatorParams({}));
    const hash = createHash('sha256');
    hashLogColumns(hash, ds);
    expect(hash.digest('hex')).toBe('055da0d0382b3be225267ecf363f0ce7814ede5d3fe0ab84c2de09fae623d443');
  });
});

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Feeds the log's columns and the item features to `hash`, in a fixed order. */
function hashLogColumns(hash: Hash, ds: CascadeDataset): void {
  const cols = ds.interactions;
  for (const col of [
    cols.user,
    cols.item,
    cols.time,
    cols.label,
    cols.watchTime,
    ds.itemCategory,
    ds.itemDense,
  ])
    hash.update(bytesOf(col));
}

/** SHA-256 of every output column, every user's ground-truth positives and some preferences. */
function outputDigest(params: Partial<SimulatorParams>): string {
  const ds = simulateCascade(resolveSimulatorParams(params));
  const gt = ds.groundTruth;
  if (!gt) throw new Error('simulated data must have ground truth');
  const hash = createHash('sha256');
  hashLogColumns(hash, ds);
  for (let u = 0; u < ds.numUsers; u++) hash.update(bytesOf(gt.unexposedPositives(u)));
  const preference = new Float64Array(ds.numItems);
  for (let i = 0; i < ds.numItems; i++) preference[i] = gt.preference(i % ds.numUsers, i);
  hash.update(bytesOf(preference));
  return hash.digest('hex');
}

describe('belowSigmoid', () => {
  const reference = (u: number, z: number) => u < 1 / (1 + Math.exp(-z));

  it('answers u < sigmoid(z) exactly, also right at the grid values and beyond the grid', () => {
    const rng = createRng(8);
    for (let k = 0; k < 200_000; k++) {
      const z = rng.uniformIn(-45, 45);
      const u = rng.uniform();
      expect(belowSigmoid(u, z)).toBe(reference(u, z));
    }
    // u equal to sigmoid(z), and one ulp-ish either side, at grid points and between them.
    for (let k = 0; k < 20_000; k++) {
      const z = k % 2 === 0 ? -40 + rng.int(2561) / 32 : rng.uniformIn(-41, 41);
      const s = 1 / (1 + Math.exp(-z));
      for (const u of [s, s * (1 - 1e-16), s * (1 + 1e-16), s - 1e-13, s + 1e-13])
        expect(belowSigmoid(u, z), `u ${u}, z ${z}`).toBe(reference(u, z));
    }
  });
});
