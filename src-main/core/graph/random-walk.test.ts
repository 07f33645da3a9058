import { describe, expect, it } from 'vitest';
import {
  countsFromOffsets,
  generateTargetDomain,
  sampleUniformUnexposed,
  type RadiusUnit,
  type VisitComparison,
  type WatchLog,
} from './random-walk';

/** Small seeded PRNG local to the test (mulberry32), so the test does not depend on another module. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns the scripted values in order, then 0 forever; counts the calls. */
function scripted(values: number[]): { random: () => number; calls: () => number } {
  let n = 0;
  return { random: () => (n < values.length ? values[n++] : (n++, 0)), calls: () => n };
}

function watchLog(numUsers: number, numItems: number, rows: Array<[number, number, number]>): WatchLog {
  return {
    numUsers,
    numItems,
    users: Int32Array.from(rows.map((r) => r[0])),
    items: Int32Array.from(rows.map((r) => r[1])),
    watchTime: Float32Array.from(rows.map((r) => r[2])),
  };
}

function targetsOf(result: { offsets: Int32Array; items: Int32Array }, u: number): number[] {
  return Array.from(result.items.subarray(result.offsets[u], result.offsets[u + 1]));
}

/**
 * Straightforward reference of Eq. 1-3 written independently of the CSR implementation: nodes are
 * string keys ('u3', 'i3'), neighbours are scanned linearly with normalised probabilities, and hops
 * are numbered 1..R (odd hops land on items). It consumes random numbers in the documented order.
 */
function referenceTargetDomain(
  log: WatchLog,
  radius: number,
  walks: number,
  random: () => number,
  comparison: VisitComparison,
  radiusUnit: RadiusUnit,
): { targets: Map<number, Map<number, number>>; threshold: Map<number, number> } {
  const neighbours = new Map<string, Array<{ node: string; weight: number }>>();
  const exposed = new Set<string>();
  for (let k = 0; k < log.users.length; k++) {
    const u = `u${log.users[k]}`;
    const i = `i${log.items[k]}`;
    exposed.add(`${u}-${i}`);
    const w = log.watchTime[k];
    if (w <= 0) continue;
    if (!neighbours.has(u)) neighbours.set(u, []);
    if (!neighbours.has(i)) neighbours.set(i, []);
    neighbours.get(u)!.push({ node: i, weight: w });
    neighbours.get(i)!.push({ node: u, weight: w });
  }
  const step = (node: string): string => {
    const list = neighbours.get(node)!;
    const total = list.reduce((s, e) => s + e.weight, 0);
    const r = random();
    let cumulative = 0;
    for (const e of list) {
      cumulative += e.weight / total; // Eq. 1 (from a user) or Eq. 2 (from an item)
      if (r < cumulative) return e.node;
    }
    return list[list.length - 1].node;
  };
  const hops = radiusUnit === 'hop' ? radius : 2 * radius - 1;
  const targets = new Map<number, Map<number, number>>();
  const threshold = new Map<number, number>();
  for (let u = 0; u < log.numUsers; u++) {
    const start = `u${u}`;
    if (!neighbours.has(start)) continue;
    const visits = new Map<number, number>();
    for (let h = 0; h < walks; h++) {
      let node = start;
      for (let hop = 1; hop <= hops; hop++) {
        if (hop % 2 === 1) {
          node = step(node);
          const item = Number(node.slice(1));
          visits.set(item, (visits.get(item) ?? 0) + 1);
        } else if (hop < hops) {
          node = step(node);
        }
      }
    }
    const exposedVisits = [...visits].filter(([i]) => exposed.has(`${start}-i${i}`)).map(([, c]) => c);
    const mean = exposedVisits.reduce((s, c) => s + c, 0) / exposedVisits.length;
    threshold.set(u, mean);
    const kept = new Map<number, number>();
    for (const [i, c] of visits) {
      if (exposed.has(`${start}-i${i}`)) continue;
      if (comparison === 'gte' ? c >= mean : c > mean) kept.set(i, c);
    }
    targets.set(u, kept);
  }
  return { targets, threshold };
}

function randomLog(seed: number, numUsers: number, numItems: number, rows: number): WatchLog {
  const random = mulberry32(seed);
  const data: Array<[number, number, number]> = [];
  for (let k = 0; k < rows; k++) {
    // Skewed item popularity gives both popular hubs and rarely seen items; ~20% zero watch time.
    const item = Math.floor(Math.pow(random(), 2) * numItems);
    const watch = random() < 0.2 ? 0 : 1 + Math.floor(random() * 60);
    data.push([Math.floor(random() * numUsers), item, watch]);
  }
  return watchLog(numUsers, numItems, data);
}

describe('generateTargetDomain (DAMCAR Eq. 1-3)', () => {
  // Edges (watch > 0): u0-i0 (2); u1-i0 (2), u1-i1 (6), u1-i3 (2); u2-i2 (4).
  // u0 is also exposed to i1 with watch time 0: an exposure, but not an edge.
  // From u0: hop 1 always i0; i0 -> u0 if r < 0.5 else u1; u1 -> i0 (r < .2), i1 (r < .8), else i3.
  const handLog = watchLog(3, 4, [
    [0, 0, 2],
    [0, 1, 0],
    [1, 0, 2],
    [1, 1, 6],
    [1, 3, 2],
    [2, 2, 4],
  ]);
  // u0, R = 3 hops (2 item visits per walk), H = 3: i0 -> u1 -> i1 | i0 -> u1 -> i3 | i0 -> u1 -> i3.
  const script = [0.9, 0.6, 0.5, 0.1, 0.7, 0.9, 0.2, 0.8, 0.95];

  it('keeps the unexposed item whose visits equal the mean of visited exposed items (gte)', () => {
    // T(u0, .) = {i0: 3, i1: 1, i3: 2}; I_u0 = {i0, i1} (i1 exposed with watch 0), mean = 2.
    const { random } = scripted(script);
    const result = generateTargetDomain(handLog, { radius: 3, walksPerUser: 3, random });
    expect(targetsOf(result, 0)).toEqual([3]);
    expect(Array.from(result.visits.subarray(result.offsets[0], result.offsets[1]))).toEqual([2]);
    expect(result.threshold[0]).toBe(2);
    // After the script the source returns 0: u1 always walks u1 -> i0 -> u0 -> i0, u2 stays on i2.
    expect(targetsOf(result, 1)).toEqual([]);
    expect(result.threshold[1]).toBe(6);
    expect(result.threshold[2]).toBe(6);
    expect(result.itemVisits).toBe(3 * 3 * 2);
  });

  it("drops the item at exactly the mean with comparison 'gt'", () => {
    const { random } = scripted(script);
    const result = generateTargetDomain(handLog, { radius: 3, walksPerUser: 3, random, comparison: 'gt' });
    expect(targetsOf(result, 0)).toEqual([]);
    expect(result.threshold[0]).toBe(2);
  });

  it('keeps an item above the mean under both comparisons', () => {
    // Walks i0 -> u1 -> i3 three times, then i0 -> u1 -> i1 (H = 4): T = {i0: 4, i1: 1, i3: 3};
    // I_u0 = {i0, i1}, mean (4 + 1) / 2 = 2.5 < 3, so i3 is kept under 'gte' and 'gt'.
    const walksScript = [0.9, 0.6, 0.9, 0.9, 0.6, 0.9, 0.9, 0.6, 0.9, 0.9, 0.6, 0.5];
    for (const comparison of ['gte', 'gt'] as const) {
      const { random } = scripted(walksScript);
      const result = generateTargetDomain(handLog, { radius: 3, walksPerUser: 4, random, comparison });
      expect(targetsOf(result, 0)).toEqual([3]);
      expect(result.threshold[0]).toBe(2.5);
    }
  });

  it('takes the first neighbour whose cumulative weight exceeds r * total, not one that equals it', () => {
    // i0's users: u0 (2), u1 (2); r = 0.5 gives r * total = 2 = u0's cumulative weight, so the hop
    // goes to u1, then u1 -> i3 (0.9 * 10 = 9 < 10): T = {i0: 1, i3: 1}, mean over {i0} is 1.
    const { random } = scripted([0.9, 0.5, 0.9]);
    const result = generateTargetDomain(handLog, { radius: 3, walksPerUser: 1, random });
    expect(targetsOf(result, 0)).toEqual([3]);
    expect(result.threshold[0]).toBe(1);
  });

  it('reads R as hops: ceil(R / 2) item visits per walk, and R round trips with radiusUnit round-trip', () => {
    const log = watchLog(1, 1, [[0, 0, 5]]);
    const hop25 = scripted([]);
    const r25 = generateTargetDomain(log, { radius: 25, walksPerUser: 1, random: hop25.random });
    expect(r25.threshold[0]).toBe(13); // hops 1, 3, ..., 25 land on the item
    expect(hop25.calls()).toBe(25); // 13 user -> item hops and 12 item -> user hops
    const hop4 = scripted([]);
    const r4 = generateTargetDomain(log, { radius: 4, walksPerUser: 2, random: hop4.random });
    expect(r4.threshold[0]).toBe(2 * 2);
    expect(hop4.calls()).toBe(2 * 3); // the trailing item -> user hop of each walk is not sampled
    const trips = scripted([]);
    const r3 = generateTargetDomain(log, {
      radius: 3,
      walksPerUser: 1,
      random: trips.random,
      radiusUnit: 'round-trip',
    });
    expect(r3.threshold[0]).toBe(3);
    expect(trips.calls()).toBe(5);
  });

  it('keeps users and items in separate namespaces', () => {
    // u0 watched only i1 and u1 watched only i0. With one namespace, node "1" (u1 and i1) would link
    // u0's component to i0; with separate namespaces u0 can only ever reach i1.
    const log = watchLog(2, 2, [
      [0, 1, 3],
      [1, 0, 3],
    ]);
    const result = generateTargetDomain(log, { radius: 25, walksPerUser: 50, random: mulberry32(7) });
    expect(targetsOf(result, 0)).toEqual([]);
    expect(targetsOf(result, 1)).toEqual([]);
    expect(result.threshold[0]).toBe(50 * 13); // every visit of u0 is on i1
    expect(result.threshold[1]).toBe(50 * 13);
  });

  it('excludes zero-watch-time rows from the graph: such a user takes no walk', () => {
    const log = watchLog(2, 2, [
      [0, 0, 0],
      [0, 1, 0],
      [1, 0, 4],
    ]);
    const source = scripted([]);
    const result = generateTargetDomain(log, { radius: 3, walksPerUser: 2, random: source.random });
    expect(Number.isNaN(result.threshold[0])).toBe(true);
    expect(targetsOf(result, 0)).toEqual([]);
    expect(source.calls()).toBe(2 * 3); // only u1 walked
  });

  it('matches an independent reference walk on a random graph, for both comparisons and radius units', () => {
    const log = randomLog(11, 30, 40, 260);
    const settings: Array<[VisitComparison, RadiusUnit, number]> = [
      ['gte', 'hop', 7],
      ['gt', 'hop', 8],
      ['gte', 'round-trip', 4],
    ];
    let keptAny = 0;
    for (const [comparison, radiusUnit, radius] of settings) {
      const result = generateTargetDomain(log, {
        radius,
        walksPerUser: 9,
        random: mulberry32(5),
        comparison,
        radiusUnit,
      });
      const reference = referenceTargetDomain(log, radius, 9, mulberry32(5), comparison, radiusUnit);
      for (let u = 0; u < log.numUsers; u++) {
        const expected = reference.targets.get(u);
        if (!expected) {
          expect(Number.isNaN(result.threshold[u])).toBe(true);
          expect(targetsOf(result, u)).toEqual([]);
          continue;
        }
        expect(result.threshold[u]).toBeCloseTo(reference.threshold.get(u)!, 12);
        const items = [...expected.keys()].sort((a, b) => a - b);
        expect(targetsOf(result, u)).toEqual(items);
        const visits = Array.from(result.visits.subarray(result.offsets[u], result.offsets[u + 1]));
        expect(visits).toEqual(items.map((i) => expected.get(i)));
        keptAny += items.length;
      }
    }
    expect(keptAny).toBeGreaterThan(10); // the comparison exercised real target items
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const log = randomLog(2, 50, 60, 500);
    const a = generateTargetDomain(log, { radius: 9, walksPerUser: 10, random: mulberry32(1) });
    const b = generateTargetDomain(log, { radius: 9, walksPerUser: 10, random: mulberry32(1) });
    const c = generateTargetDomain(log, { radius: 9, walksPerUser: 10, random: mulberry32(2) });
    expect(Array.from(b.offsets)).toEqual(Array.from(a.offsets));
    expect(Array.from(b.items)).toEqual(Array.from(a.items));
    expect(Array.from(b.visits)).toEqual(Array.from(a.visits));
    expect(Array.from(c.items)).not.toEqual(Array.from(a.items));
  });

  it('never returns an item exposed to the user', () => {
    const log = randomLog(4, 40, 50, 600);
    const result = generateTargetDomain(log, { radius: 11, walksPerUser: 20, random: mulberry32(9) });
    const exposed = new Set<string>();
    for (let k = 0; k < log.users.length; k++) exposed.add(`${log.users[k]}:${log.items[k]}`);
    expect(result.items.length).toBeGreaterThan(0);
    for (let u = 0; u < log.numUsers; u++) {
      for (const item of targetsOf(result, u)) expect(exposed.has(`${u}:${item}`)).toBe(false);
    }
  });

  it('rejects bad input with the field named', () => {
    const log = watchLog(2, 2, [[0, 0, 1]]);
    const random = mulberry32(1);
    expect(() =>
      generateTargetDomain({ ...log, items: Int32Array.from([2]) }, { radius: 3, walksPerUser: 1, random }),
    ).toThrow(/random-walk\.ts: log\.items\[0\] = 2 is outside/);
    expect(() =>
      generateTargetDomain(
        { ...log, watchTime: Float32Array.from([Number.NaN]) },
        { radius: 3, walksPerUser: 1, random },
      ),
    ).toThrow(/log\.watchTime\[0\]/);
    expect(() => generateTargetDomain(log, { radius: 0, walksPerUser: 1, random })).toThrow(
      /options\.radius/,
    );
  });
});

describe('sampleUniformUnexposed (w/o TDG ablation)', () => {
  it('draws the requested number of distinct unexposed items per user, sorted', () => {
    const log = randomLog(8, 20, 30, 200);
    const counts = Int32Array.from({ length: 20 }, (_, u) => (u % 4 === 0 ? 0 : 3 + (u % 5)));
    counts[1] = 0;
    // Make one user take (almost) all of its unexposed items to exercise the dense path.
    const exposedOf2 = new Set<number>();
    for (let k = 0; k < log.users.length; k++) if (log.users[k] === 2) exposedOf2.add(log.items[k]);
    counts[2] = 30 - exposedOf2.size;
    const result = sampleUniformUnexposed(log, counts, mulberry32(3));
    expect(Array.from(countsFromOffsets(result.offsets))).toEqual(Array.from(counts));
    for (let u = 0; u < 20; u++) {
      const items = targetsOf(result, u);
      expect(new Set(items).size).toBe(items.length);
      expect(items).toEqual([...items].sort((a, b) => a - b));
      for (const item of items) {
        for (let k = 0; k < log.users.length; k++) {
          if (log.users[k] === u) expect(log.items[k]).not.toBe(item);
        }
      }
    }
    expect(targetsOf(result, 2).length).toBe(30 - exposedOf2.size);
  });

  it('is uniform over the unexposed items on both sampling paths', () => {
    // 4000 users, each exposed to items 0 and 1 of 10; sparse path draws 1, dense path draws 6 of 8.
    const users = 4000;
    const rows: Array<[number, number, number]> = [];
    for (let u = 0; u < users; u++) rows.push([u, 0, 1], [u, 1, 0]);
    const log = watchLog(users, 10, rows);
    for (const want of [1, 6]) {
      const result = sampleUniformUnexposed(log, new Int32Array(users).fill(want), mulberry32(want));
      const frequency = new Array<number>(10).fill(0);
      for (const item of result.items) frequency[item]++;
      expect(frequency[0]).toBe(0);
      expect(frequency[1]).toBe(0);
      const expected = (users * want) / 8;
      for (let item = 2; item < 10; item++)
        expect(Math.abs(frequency[item] - expected)).toBeLessThan(0.1 * expected);
    }
  });

  it('fails clearly when a user has fewer unexposed items than requested', () => {
    const log = watchLog(1, 3, [
      [0, 0, 1],
      [0, 1, 1],
    ]);
    expect(() => sampleUniformUnexposed(log, Int32Array.from([2]), mulberry32(1))).toThrow(
      /countPerUser\[0\] = 2 exceeds the 1 items not exposed to user 0/,
    );
  });

  it('takes the per-user sizes of a target domain', () => {
    const log = randomLog(6, 40, 50, 600);
    const targets = generateTargetDomain(log, { radius: 11, walksPerUser: 20, random: mulberry32(4) });
    const sample = sampleUniformUnexposed(log, countsFromOffsets(targets.offsets), mulberry32(4));
    expect(Array.from(sample.offsets)).toEqual(Array.from(targets.offsets));
  });
});
