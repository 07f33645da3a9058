import { describe, expect, it } from 'vitest';
import { createCascadeDataset } from '../../data/dataset';
import { methodContext, tinyDataset } from './test-support';
import {
  TARGET_DOMAIN_DEFAULTS,
  csrToPairs,
  randomTargetDomainPairs,
  targetDomain,
  targetDomainPairs,
  unexposedPool,
} from './unexposed';

function trainPairs(ctx: ReturnType<typeof methodContext>): { keys: Set<string>; distinct: Int32Array } {
  const cols = ctx.dataset.interactions;
  const keys = new Set<string>();
  const distinct = new Int32Array(ctx.dataset.numUsers);
  for (const r of ctx.split.train) {
    const key = `${cols.user[r]}:${cols.item[r]}`;
    if (!keys.has(key)) distinct[cols.user[r]]++;
    keys.add(key);
  }
  return { keys, distinct };
}

describe('unexposed samples from the training split', () => {
  const dataset = tinyDataset();

  it('unexposedPool: per user round(ratio * distinct training items) unexposed items, no repeats, seeded', () => {
    const ctx = methodContext(dataset);
    const { keys, distinct } = trainPairs(ctx);
    for (const ratio of [1, 0.5, 2]) {
      const pool = unexposedPool(ctx, ratio);
      const counts = new Int32Array(dataset.numUsers);
      const seen = new Set<string>();
      for (let k = 0; k < pool.users.length; k++) {
        const key = `${pool.users[k]}:${pool.items[k]}`;
        expect(keys.has(key), key).toBe(false);
        expect(seen.has(key), key).toBe(false);
        seen.add(key);
        counts[pool.users[k]]++;
      }
      for (let u = 0; u < dataset.numUsers; u++) expect(counts[u]).toBe(Math.round(ratio * distinct[u]));
    }
    expect(unexposedPool(methodContext(dataset), 1)).toEqual(unexposedPool(ctx, 1));
    expect(unexposedPool(methodContext(dataset, { seed: 2 }), 1).items).not.toEqual(
      unexposedPool(ctx, 1).items,
    );
    expect(() => unexposedPool(ctx, 0)).toThrow(/ratio/);
  });

  it('unexposedPool: caps at the items a user has not seen, and may draw items of the later splits', () => {
    // One user, 6 items; 5 interactions in time order: train = first 3, valid 1, test 1.
    const small = createCascadeDataset({
      name: 'small',
      numUsers: 1,
      numItems: 6,
      numCategories: 1,
      itemCategory: new Int32Array(6),
      denseDim: 0,
      itemDense: new Float32Array(0),
      interactions: {
        user: new Int32Array(5),
        item: Int32Array.from([0, 1, 2, 3, 4]),
        time: Float64Array.from([1, 2, 3, 4, 5]),
        label: Uint8Array.from([1, 0, 1, 1, 0]),
        watchTime: Float32Array.from([5, 1, 5, 5, 1]),
      },
    });
    const ctx = methodContext(small);
    expect(Array.from(ctx.split.train)).toEqual([0, 1, 2]);
    // ratio 5 asks for 15 items; only 3 (3, 4, 5) were not exposed in training.
    const pool = unexposedPool(ctx, 5);
    expect(Array.from(pool.items).sort()).toEqual([3, 4, 5]);
  });

  it('the target domain and its w/o TDG replacement: same sizes per user, unexposed in training', () => {
    const ctx = methodContext(dataset);
    const { keys } = trainPairs(ctx);
    const domain = targetDomain(ctx, TARGET_DOMAIN_DEFAULTS);
    const walk = targetDomainPairs(ctx, TARGET_DOMAIN_DEFAULTS);
    expect(walk).toEqual(csrToPairs(domain.offsets, domain.items));
    expect(walk.users.length).toBeGreaterThan(0);
    const random = randomTargetDomainPairs(ctx, domain);
    expect(random.users).toEqual(walk.users); // grouped by user, same counts
    for (const pairs of [walk, random]) {
      for (let k = 0; k < pairs.users.length; k++)
        expect(keys.has(`${pairs.users[k]}:${pairs.items[k]}`)).toBe(false);
    }
    expect(random.items).not.toEqual(walk.items);
    // Seeded: same context seed, same samples; the radius matters.
    expect(targetDomainPairs(methodContext(dataset), TARGET_DOMAIN_DEFAULTS)).toEqual(walk);
    expect(targetDomainPairs(ctx, { ...TARGET_DOMAIN_DEFAULTS, radius: 3 }).items).not.toEqual(walk.items);
  });

  it('csrToPairs expands per-user lists', () => {
    expect(csrToPairs(Int32Array.from([0, 2, 2, 3]), Int32Array.from([5, 7, 1]))).toEqual({
      users: Int32Array.from([0, 0, 2]),
      items: Int32Array.from([5, 7, 1]),
    });
  });
});
