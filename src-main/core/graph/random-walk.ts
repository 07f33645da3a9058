/**
 * DAMCAR target-domain generation (Chen et al., ACM MM 2024, Section 4.1, Eq. 1-3) and the random
 * sampler of its "w/o TDG" ablation (Section 5.3).
 *
 * Graph. A bipartite graph over the exposed pairs whose watch time is > 0. Users and items live in
 * separate namespaces (user 3 and item 3 are different nodes; the authors' code keyed both by raw id
 * in one dictionary, which merges them). Every interaction row with watch time > 0 contributes one
 * edge; repeated (user, item) rows are parallel edges, which gives exactly the transition
 * probabilities of one edge carrying the summed watch time.
 *   Eq. 1  P(u -> i) = v_ui / sum_{i' in I(u)} v_ui'   (watch time normalised over the user's items)
 *   Eq. 2  P(i -> u) = v_ui / sum_{u' in U(i)} v_u'i   (watch time normalised over the item's users)
 *
 * Walks. For every user u, H independent walks start at u (the restart: each walk begins at u again)
 * and follow u -> i -> u' -> i' -> ... The paper calls R a radius: "when the next hop exceeds the
 * radius R, the process returns to the starting node". We therefore read R as the number of hops
 * (edge traversals) a walk may take, so hop 1 is u -> i, hop 2 is i -> u', and so on; hops 1, 3, 5, ...
 * land on items and are the visits counted in T(u, i). A walk of radius R thus makes ceil(R / 2)
 * item visits (13 for the paper's WeChat R = 25). The option `radiusUnit: 'round-trip'` instead reads R
 * as the number of user -> item -> user round trips, i.e. R item visits per walk. The item -> user hop
 * after the last counted item visit would never be counted, so it is not sampled.
 *
 * Eq. 3. With I_u the visited items exposed to u (any exposure, watch time 0 included) and I*_u the
 * visited items never exposed to u, keep (u, i*) when T(u, i*) >= (1/|I_u|) sum_{i in I_u} T(u, i)
 * (`comparison: 'gte'`, the paper's wording) or > (`'gt'`). The mean is compared in exact integer
 * arithmetic: T * |I_u| >= sum T. A user with no edge of watch time > 0 gets no walk and no targets.
 *
 * Sampling a hop draws r = random() in [0, 1) and takes the first neighbour, in input row order,
 * whose cumulative watch time exceeds r * total (binary search over per-node prefix sums).
 *
 * Speed (hand-written, measured): at WeChat size (17,000 users, 22 million hops) a hop costs about
 * 300 ns, almost all of it waiting for memory (the prefix sums of 1.6 million edges, read at random
 * nodes). A user's H walks are independent given their draws, so all of a user's draws are taken
 * first, in the stream's order (walk by walk, as one walk after another would take them), and the
 * H walks then advance together, hop by hop, which lets the reads of different walks overlap; the
 * binary search selects instead of branching. The same draws pick the same neighbours, so the
 * target domain is the same (a test compares it with an independent walk that takes its draws one
 * walk after another). WeChat size, 3 alternating pairs: 3.7-5.7 s against 7.3-9.6 s (1.7-2.2x).
 */

/** Exposure log: one row per exposed (user, item) pair, in three aligned columns. */
export interface ExposureLog {
  numUsers: number;
  numItems: number;
  /** [rows] user index in [0, numUsers). */
  users: Int32Array;
  /** [rows] item index in [0, numItems). */
  items: Int32Array;
}

/** Exposure log with the engagement weight v_ui of Eq. 1-2 (the watch time). */
export interface WatchLog extends ExposureLog {
  /** [rows] watch time >= 0; rows with 0 are exposures but not graph edges. */
  watchTime: Float32Array;
}

export type VisitComparison = 'gte' | 'gt';
export type RadiusUnit = 'hop' | 'round-trip';

export interface TargetDomainOptions {
  /** R: radius of each walk (see `radiusUnit`). Paper: 25 on WeChat, 30 on TikTok. */
  radius: number;
  /** H: walks per user, each restarting at the user. Paper: 50 on WeChat, 60 on TikTok. */
  walksPerUser: number;
  /** Source of uniform numbers in [0, 1); pass a seeded generator for reproducible samples. */
  random: () => number;
  /** Eq. 3 comparison of T(u, i*) with the mean; default 'gte' as the paper writes it. */
  comparison?: VisitComparison;
  /** 'hop' (default): R counts edge traversals. 'round-trip': R counts u -> i -> u cycles. */
  radiusUnit?: RadiusUnit;
}

/** Per-user target-domain items in CSR form. */
export interface TargetDomain {
  /** [numUsers + 1] row u spans items[offsets[u] .. offsets[u + 1]). */
  offsets: Int32Array;
  /** [total] unexposed items kept by Eq. 3, ascending item index within a user. */
  items: Int32Array;
  /** [total] T(u, i*) for each kept item. */
  visits: Int32Array;
  /** [numUsers] Eq. 3 threshold: mean visits of the user's visited exposed items (NaN: no walk). */
  threshold: Float64Array;
  /** Item visits counted over all users (H * item visits per walk * users with edges). */
  itemVisits: number;
}

/** Per-user item lists in CSR form (the "w/o TDG" ablation's sample). */
export interface UserItemLists {
  /** [numUsers + 1] */
  offsets: Int32Array;
  /** [total] ascending item index within a user. */
  items: Int32Array;
}

const FILE = 'src-main/core/graph/random-walk.ts';

function fail(message: string): never {
  throw new Error(`${FILE}: ${message}`);
}

function checkPositiveInteger(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1) fail(`${field} must be a positive integer, got ${value}`);
}

function validateExposureLog(log: ExposureLog, what: string): void {
  checkPositiveInteger(log.numUsers, `${what}.numUsers`);
  checkPositiveInteger(log.numItems, `${what}.numItems`);
  const rows = log.users.length;
  if (log.items.length !== rows) {
    fail(`${what}.items has ${log.items.length} rows but ${what}.users has ${rows}`);
  }
  for (let k = 0; k < rows; k++) {
    const u = log.users[k];
    if (u < 0 || u >= log.numUsers)
      fail(`${what}.users[${k}] = ${u} is outside [0, numUsers=${log.numUsers})`);
    const i = log.items[k];
    if (i < 0 || i >= log.numItems)
      fail(`${what}.items[${k}] = ${i} is outside [0, numItems=${log.numItems})`);
  }
}

function validateWatchLog(log: WatchLog): void {
  validateExposureLog(log, 'log');
  const rows = log.users.length;
  if (log.watchTime.length !== rows) {
    fail(`log.watchTime has ${log.watchTime.length} rows but log.users has ${rows}`);
  }
  for (let k = 0; k < rows; k++) {
    const w = log.watchTime[k];
    if (!(w >= 0) || !Number.isFinite(w)) fail(`log.watchTime[${k}] = ${w} must be a finite number >= 0`);
  }
}

/** One side of the bipartite graph: neighbours of each node and per-node prefix sums of weights. */
interface WeightedAdjacency {
  /** [nodes + 1] */
  offsets: Int32Array;
  /** [edges] neighbour index in the other namespace, in input row order. */
  neighbours: Int32Array;
  /** [edges] cumulative weight from the node's first edge up to and including this edge. */
  cumulative: Float64Array;
}

/** Counting sort of the rows with `keep[k]` by `from[k]` (stable, so input order is kept). */
function buildAdjacency(
  numNodes: number,
  from: Int32Array,
  to: Int32Array,
  weight: Float32Array,
  keepRow: (k: number) => boolean,
): WeightedAdjacency {
  const offsets = new Int32Array(numNodes + 1);
  for (let k = 0; k < from.length; k++) if (keepRow(k)) offsets[from[k] + 1]++;
  for (let n = 0; n < numNodes; n++) offsets[n + 1] += offsets[n];
  const edges = offsets[numNodes];
  const neighbours = new Int32Array(edges);
  const rawWeight = new Float64Array(edges);
  const cursor = offsets.slice(0, numNodes);
  for (let k = 0; k < from.length; k++) {
    if (!keepRow(k)) continue;
    const slot = cursor[from[k]]++;
    neighbours[slot] = to[k];
    rawWeight[slot] = weight[k];
  }
  const cumulative = new Float64Array(edges);
  for (let n = 0; n < numNodes; n++) {
    let sum = 0;
    for (let e = offsets[n]; e < offsets[n + 1]; e++) {
      sum += rawWeight[e];
      cumulative[e] = sum;
    }
  }
  return { offsets, neighbours, cumulative };
}

/**
 * Samples a neighbour of a node with probability proportional to its edge weight (Eq. 1 or 2):
 * the first edge whose cumulative weight exceeds r * total. Edges have weight > 0, so the prefix
 * sums are strictly increasing and the search never lands on a zero-probability edge.
 */
function sampleNeighbour(adjacency: WeightedAdjacency, node: number, r: number): number {
  const { offsets, neighbours, cumulative } = adjacency;
  const start = offsets[node];
  const last = offsets[node + 1] - 1;
  const target = r * cumulative[last];
  // The answer lies in [lo, lo + count); `last` also absorbs r * total rounding up to total.
  let lo = start;
  let count = last - start + 1;
  while (count > 1) {
    const half = count >>> 1;
    lo = cumulative[lo + half - 1] > target ? lo : lo + half;
    count -= half;
  }
  return neighbours[lo];
}

/** Exposure lists per user (all rows, watch time 0 included), for "is this item exposed to u". */
function buildExposureLists(log: ExposureLog): UserItemLists {
  const offsets = new Int32Array(log.numUsers + 1);
  for (let k = 0; k < log.users.length; k++) offsets[log.users[k] + 1]++;
  for (let u = 0; u < log.numUsers; u++) offsets[u + 1] += offsets[u];
  const items = new Int32Array(offsets[log.numUsers]);
  const cursor = offsets.slice(0, log.numUsers);
  for (let k = 0; k < log.users.length; k++) items[cursor[log.users[k]]++] = log.items[k];
  return { offsets, items };
}

/** Growable Int32 buffer for CSR outputs whose size is unknown in advance. */
class IntBuffer {
  data = new Int32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Generates DAMCAR's target domain S_sam (Eq. 1-3): for each user, the unexposed items that the
 * user's random walks visit at least as often as (or, with 'gt', more often than) the mean visited
 * exposed item.
 */
export function generateTargetDomain(log: WatchLog, options: TargetDomainOptions): TargetDomain {
  validateWatchLog(log);
  checkPositiveInteger(options.radius, 'options.radius');
  checkPositiveInteger(options.walksPerUser, 'options.walksPerUser');
  const comparison = options.comparison ?? 'gte';
  if (comparison !== 'gte' && comparison !== 'gt')
    fail(`options.comparison must be 'gte' or 'gt', got ${comparison}`);
  const radiusUnit = options.radiusUnit ?? 'hop';
  if (radiusUnit !== 'hop' && radiusUnit !== 'round-trip') {
    fail(`options.radiusUnit must be 'hop' or 'round-trip', got ${radiusUnit}`);
  }
  const itemVisitsPerWalk = radiusUnit === 'hop' ? Math.ceil(options.radius / 2) : options.radius;
  const walks = options.walksPerUser;
  const random = options.random;
  const { numUsers, numItems } = log;

  const hasWatch = (k: number): boolean => log.watchTime[k] > 0;
  const userToItem = buildAdjacency(numUsers, log.users, log.items, log.watchTime, hasWatch);
  const itemToUser = buildAdjacency(numItems, log.items, log.users, log.watchTime, hasWatch);
  const exposure = buildExposureLists(log);

  const visits = new Int32Array(numItems);
  // Marks the current user's exposed items with u + 1, so no per-user clearing is needed.
  const exposedTo = new Int32Array(numItems);
  const visited = new Int32Array(walks * itemVisitsPerWalk);
  const drawsPerWalk = 2 * itemVisitsPerWalk - 1;
  const drawsPerUser = walks * drawsPerWalk;
  const draws = new Float64Array(drawsPerUser);
  const current = new Int32Array(walks);
  const offsets = new Int32Array(numUsers + 1);
  const threshold = new Float64Array(numUsers).fill(Number.NaN);
  const outItems = new IntBuffer();
  const outVisits = new IntBuffer();
  const kept: number[] = [];
  let itemVisits = 0;

  for (let u = 0; u < numUsers; u++) {
    offsets[u] = outItems.length;
    if (userToItem.offsets[u] === userToItem.offsets[u + 1]) continue;
    for (let e = exposure.offsets[u]; e < exposure.offsets[u + 1]; e++) exposedTo[exposure.items[e]] = u + 1;

    let distinct = 0;
    // Every draw of the user's walks in the stream's order (walk h's hops at h * drawsPerWalk:
    // item, user, item, ..., item), then the walks advanced together, hop by hop (see the header).
    for (let k = 0; k < drawsPerUser; k++) draws[k] = random();
    for (let h = 0; h < walks; h++) current[h] = u;
    for (let step = 0; step < itemVisitsPerWalk; step++) {
      const last = step + 1 === itemVisitsPerWalk;
      for (let h = 0, d = 2 * step; h < walks; h++, d += drawsPerWalk) {
        const item = sampleNeighbour(userToItem, current[h], draws[d]);
        if (visits[item] === 0) visited[distinct++] = item;
        visits[item]++;
        if (!last) current[h] = sampleNeighbour(itemToUser, item, draws[d + 1]);
      }
    }
    itemVisits += walks * itemVisitsPerWalk;

    let exposedCount = 0;
    let exposedVisitSum = 0;
    for (let k = 0; k < distinct; k++) {
      const item = visited[k];
      if (exposedTo[item] === u + 1) {
        exposedCount++;
        exposedVisitSum += visits[item];
      }
    }
    // The first hop always reaches an exposed item, so exposedCount >= 1 here.
    threshold[u] = exposedVisitSum / exposedCount;
    kept.length = 0;
    for (let k = 0; k < distinct; k++) {
      const item = visited[k];
      if (exposedTo[item] === u + 1) continue;
      const scaled = visits[item] * exposedCount;
      if (comparison === 'gte' ? scaled >= exposedVisitSum : scaled > exposedVisitSum) kept.push(item);
    }
    kept.sort((a, b) => a - b);
    for (const item of kept) {
      outItems.push(item);
      outVisits.push(visits[item]);
    }
    for (let k = 0; k < distinct; k++) visits[visited[k]] = 0;
  }
  offsets[numUsers] = outItems.length;
  return { offsets, items: outItems.toArray(), visits: outVisits.toArray(), threshold, itemVisits };
}

/**
 * "w/o TDG" ablation (Section 5.3): for each user, `countPerUser[u]` distinct items never exposed to
 * the user, drawn uniformly at random without replacement. Pass the per-user sizes of a
 * `generateTargetDomain` result (see `countsFromOffsets`) to sample "the same number".
 * @param countPerUser [numUsers] how many unexposed items to draw for each user.
 */
export function sampleUniformUnexposed(
  log: ExposureLog,
  countPerUser: Int32Array,
  random: () => number,
): UserItemLists {
  validateExposureLog(log, 'log');
  const { numUsers, numItems } = log;
  if (countPerUser.length !== numUsers) {
    fail(`countPerUser has ${countPerUser.length} entries but log.numUsers is ${numUsers}`);
  }
  const exposure = buildExposureLists(log);
  const exposedTo = new Int32Array(numItems);
  const chosenBy = new Int32Array(numItems);
  const offsets = new Int32Array(numUsers + 1);
  for (let u = 0; u < numUsers; u++) {
    const want = countPerUser[u];
    if (!Number.isInteger(want) || want < 0) fail(`countPerUser[${u}] = ${want} must be an integer >= 0`);
    offsets[u + 1] = offsets[u] + want;
  }
  const items = new Int32Array(offsets[numUsers]);
  const pool = new Int32Array(numItems);

  for (let u = 0; u < numUsers; u++) {
    const want = countPerUser[u];
    if (want === 0) continue;
    let exposedDistinct = 0;
    for (let e = exposure.offsets[u]; e < exposure.offsets[u + 1]; e++) {
      const item = exposure.items[e];
      if (exposedTo[item] !== u + 1) exposedDistinct++;
      exposedTo[item] = u + 1;
    }
    const available = numItems - exposedDistinct;
    if (want > available) {
      fail(`countPerUser[${u}] = ${want} exceeds the ${available} items not exposed to user ${u}`);
    }
    const out = items.subarray(offsets[u], offsets[u + 1]);
    if (2 * want <= available) {
      // Rejection sampling: each draw succeeds with probability >= 1/2.
      let n = 0;
      while (n < want) {
        const item = Math.min(numItems - 1, Math.floor(random() * numItems));
        if (exposedTo[item] === u + 1 || chosenBy[item] === u + 1) continue;
        chosenBy[item] = u + 1;
        out[n++] = item;
      }
    } else {
      // Dense case: partial Fisher-Yates over the explicit list of unexposed items.
      let size = 0;
      for (let item = 0; item < numItems; item++) if (exposedTo[item] !== u + 1) pool[size++] = item;
      for (let n = 0; n < want; n++) {
        const pick = n + Math.min(size - n - 1, Math.floor(random() * (size - n)));
        const item = pool[pick];
        pool[pick] = pool[n];
        pool[n] = item;
        out[n] = item;
      }
    }
    out.sort();
  }
  return { offsets, items };
}

/** [numUsers] list sizes of a CSR offsets array [numUsers + 1]. */
export function countsFromOffsets(offsets: Int32Array): Int32Array {
  const counts = new Int32Array(Math.max(0, offsets.length - 1));
  for (let u = 0; u < counts.length; u++) counts[u] = offsets[u + 1] - offsets[u];
  return counts;
}
