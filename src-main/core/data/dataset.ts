/**
 * The engine's in-memory dataset: columns in typed arrays, interactions ordered by time.
 *
 * Every source produces the same object: the simulator (simulator.ts) builds it directly, and
 * stored or imported datasets (columns in binary files) go through `createCascadeDataset`, which
 * checks the columns and puts the interactions in time order. Ground truth (simulated data only)
 * sits in its own field; training code receives a `TrainingData` view without it.
 */

/** Exposure log, one row per (user, item) exposure, parallel columns, ascending time. */
export interface InteractionColumns {
  user: Int32Array;
  item: Int32Array;
  /** Seconds since the start of the log (any monotone clock works; only the order matters). */
  time: Float64Array;
  /** 1 = finished playing (the papers' y), 0 = not. */
  label: Uint8Array;
  /** Seconds watched; 0 for skips. The random-walk edge weight of DAMCAR's Eq. 1-2. */
  watchTime: Float32Array;
}

/**
 * What is known about every (user, item) pair in simulated data. Evaluation reads it; training
 * never receives it (see `TrainingData`).
 */
export interface GroundTruth {
  /** How the true positives were decided, for captions and reports. */
  readonly description: string;
  /** True probability that `user` finishes `item` if it were exposed. */
  preference(user: number, item: number): number;
  /** Items never exposed to `user` in the whole log that are true positives, ascending. */
  unexposedPositives(user: number): Int32Array;
}

/** Users, items and the items' features: what every model sizes its embedding tables from. */
export interface ItemCatalogue {
  numUsers: number;
  numItems: number;
  numCategories: number;
  /** Category of each item, in [0, numCategories). Length numItems. */
  itemCategory: Int32Array;
  /** Dimension of the dense multimodal item vector (0 = none). */
  denseDim: number;
  /** Dense multimodal vectors, row-major [numItems, denseDim]. */
  itemDense: Float32Array;
  /**
   * Further categorical item features that an imported dataset carries (WeChat: author, song and
   * singer; TikTok: author, music and city), the ones the DAMCAR authors' DSSM embeds beside the
   * item id. Absent on simulated data, whose only categorical item feature is the category.
   */
  itemFields?: readonly ItemField[];
}

/** A categorical item feature: codes in [0, cardinality), 0 where the value is missing. */
export interface ItemField {
  name: string;
  cardinality: number;
  /** [numItems] */
  codes: Int32Array;
}

/** The catalogue fields of a dataset (the same arrays, not copies), e.g. for a model's options. */
export function catalogueOf(data: ItemCatalogue): ItemCatalogue {
  return {
    numUsers: data.numUsers,
    numItems: data.numItems,
    numCategories: data.numCategories,
    itemCategory: data.itemCategory,
    denseDim: data.denseDim,
    itemDense: data.itemDense,
    ...(data.itemFields ? { itemFields: data.itemFields } : {}),
  };
}

export interface CascadeDataset extends ItemCatalogue {
  name: string;
  interactions: InteractionColumns;
  /** Simulated data only. */
  groundTruth?: GroundTruth;
}

/** The dataset as training code sees it: the same columns, no ground truth. */
export type TrainingData = Omit<CascadeDataset, 'groundTruth'>;

/** Strips the ground truth at run time too, so a cast cannot reach it. */
export function trainingView(dataset: CascadeDataset): TrainingData {
  return { name: dataset.name, ...catalogueOf(dataset), interactions: dataset.interactions };
}

export interface CascadeDatasetInput {
  name: string;
  numUsers: number;
  numItems: number;
  numCategories: number;
  itemCategory: Int32Array;
  denseDim: number;
  itemDense: Float32Array;
  itemFields?: readonly ItemField[];
  interactions: InteractionColumns;
  groundTruth?: GroundTruth;
}

/** Error for malformed dataset columns; `field` names the column, e.g. `interactions.item`. */
export class DatasetError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'DatasetError';
    this.field = field;
  }
}

function checkCount(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new DatasetError(field, `must be an integer >= ${min}, got ${value}`);
  }
}

function checkIds(field: string, ids: Int32Array, limit: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0 || id >= limit) throw new DatasetError(field, `row ${i} is ${id}, outside [0, ${limit})`);
  }
}

/**
 * Checks the columns (lengths, id ranges, labels, finite times) and returns a dataset whose
 * interactions are in ascending time order. Rows with equal times keep their input order, so a
 * caller that already sorted (the simulator) gets its arrays back untouched.
 */
export function createCascadeDataset(input: CascadeDatasetInput): CascadeDataset {
  checkCount('numUsers', input.numUsers, 1);
  checkCount('numItems', input.numItems, 1);
  checkCount('numCategories', input.numCategories, 1);
  checkCount('denseDim', input.denseDim, 0);
  if (input.itemCategory.length !== input.numItems) {
    throw new DatasetError(
      'itemCategory',
      `has ${input.itemCategory.length} rows, expected ${input.numItems}`,
    );
  }
  checkIds('itemCategory', input.itemCategory, input.numCategories);
  if (input.itemDense.length !== input.numItems * input.denseDim) {
    throw new DatasetError(
      'itemDense',
      `has ${input.itemDense.length} values, expected numItems * denseDim = ${input.numItems * input.denseDim}`,
    );
  }
  for (let i = 0; i < input.itemDense.length; i++) {
    if (!Number.isFinite(input.itemDense[i])) {
      throw new DatasetError(
        'itemDense',
        `value ${i} (item ${Math.floor(i / input.denseDim)}) is not finite`,
      );
    }
  }
  for (const field of input.itemFields ?? []) {
    const name = `itemFields.${field.name}`;
    checkCount(`${name}.cardinality`, field.cardinality, 1);
    if (field.codes.length !== input.numItems)
      throw new DatasetError(name, `has ${field.codes.length} rows, expected ${input.numItems}`);
    checkIds(name, field.codes, field.cardinality);
  }
  const cols = input.interactions;
  const n = cols.user.length;
  for (const [name, column] of Object.entries(cols) as [string, { length: number }][]) {
    if (column.length !== n) {
      throw new DatasetError(`interactions.${name}`, `has ${column.length} rows, expected ${n} (as user)`);
    }
  }
  checkIds('interactions.user', cols.user, input.numUsers);
  checkIds('interactions.item', cols.item, input.numItems);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(cols.time[i])) throw new DatasetError('interactions.time', `row ${i} is not finite`);
    if (cols.label[i] > 1)
      throw new DatasetError('interactions.label', `row ${i} is ${cols.label[i]}, not 0/1`);
    const w = cols.watchTime[i];
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new DatasetError('interactions.watchTime', `row ${i} is ${w}, expected a finite value >= 0`);
    }
    if (i > 0 && cols.time[i] < cols.time[i - 1]) sorted = false;
  }
  const interactions = sorted ? cols : sortByTime(cols);
  return {
    name: input.name,
    numUsers: input.numUsers,
    numItems: input.numItems,
    numCategories: input.numCategories,
    itemCategory: input.itemCategory,
    denseDim: input.denseDim,
    itemDense: input.itemDense,
    ...(input.itemFields ? { itemFields: input.itemFields } : {}),
    interactions,
    ...(input.groundTruth ? { groundTruth: input.groundTruth } : {}),
  };
}

/** Stable reorder of all columns by ascending time. */
function sortByTime(cols: InteractionColumns): InteractionColumns {
  const n = cols.user.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Typed-array sort with a comparator is stable in ES2019+.
  order.sort((a, b) => cols.time[a] - cols.time[b] || a - b);
  const out: InteractionColumns = {
    user: new Int32Array(n),
    item: new Int32Array(n),
    time: new Float64Array(n),
    label: new Uint8Array(n),
    watchTime: new Float32Array(n),
  };
  for (let r = 0; r < n; r++) {
    const i = order[r];
    out.user[r] = cols.user[i];
    out.item[r] = cols.item[i];
    out.time[r] = cols.time[i];
    out.label[r] = cols.label[i];
    out.watchTime[r] = cols.watchTime[i];
  }
  return out;
}

export interface DatasetStats {
  name: string;
  users: number;
  items: number;
  categories: number;
  denseDim: number;
  interactions: number;
  /** Interactions with label 1 (finished). */
  positives: number;
  positiveRate: number;
  /** Users with at least one interaction. */
  activeUsers: number;
  /** Items exposed at least once. */
  exposedItems: number;
  interactionsPerUser: { min: number; mean: number; max: number };
  /** Share of all exposures that went to the 10% most exposed items. */
  top10PercentItemShare: number;
  /** Interactions with watch time 0. */
  skips: number;
  meanWatchTime: number;
  hasGroundTruth: boolean;
}

export function datasetStats(dataset: TrainingData | CascadeDataset): DatasetStats {
  const cols = dataset.interactions;
  const n = cols.user.length;
  const perUser = new Int32Array(dataset.numUsers);
  const perItem = new Int32Array(dataset.numItems);
  let positives = 0;
  let skips = 0;
  let watchSum = 0;
  for (let i = 0; i < n; i++) {
    perUser[cols.user[i]]++;
    perItem[cols.item[i]]++;
    positives += cols.label[i];
    if (cols.watchTime[i] === 0) skips++;
    watchSum += cols.watchTime[i];
  }
  let activeUsers = 0;
  let minPerUser = Infinity;
  let maxPerUser = 0;
  for (let u = 0; u < dataset.numUsers; u++) {
    if (perUser[u] > 0) activeUsers++;
    minPerUser = Math.min(minPerUser, perUser[u]);
    maxPerUser = Math.max(maxPerUser, perUser[u]);
  }
  let exposedItems = 0;
  for (let i = 0; i < dataset.numItems; i++) if (perItem[i] > 0) exposedItems++;
  const sortedItemCounts = Int32Array.from(perItem).sort().reverse();
  const topCount = Math.max(1, Math.ceil(dataset.numItems / 10));
  let topSum = 0;
  for (let i = 0; i < topCount; i++) topSum += sortedItemCounts[i];
  return {
    name: dataset.name,
    users: dataset.numUsers,
    items: dataset.numItems,
    categories: dataset.numCategories,
    denseDim: dataset.denseDim,
    interactions: n,
    positives,
    positiveRate: n > 0 ? positives / n : 0,
    activeUsers,
    exposedItems,
    interactionsPerUser: {
      min: dataset.numUsers > 0 ? minPerUser : 0,
      mean: dataset.numUsers > 0 ? n / dataset.numUsers : 0,
      max: maxPerUser,
    },
    top10PercentItemShare: n > 0 ? topSum / n : 0,
    skips,
    meanWatchTime: n > 0 ? watchSum / n : 0,
    hasGroundTruth: 'groundTruth' in dataset && dataset.groundTruth !== undefined,
  };
}

/**
 * Items grouped by user in compressed-row form: the items of user `u` are
 * `items.subarray(offsets[u], offsets[u + 1])`.
 */
export interface UserItemLists {
  offsets: Int32Array;
  items: Int32Array;
}

/**
 * Groups the given interaction rows by user, keeping the rows' order within each user (counting
 * sort). With `onlyPositive`, keeps rows with label 1.
 */
export function groupItemsByUser(
  dataset: TrainingData,
  rows: Int32Array,
  options: { onlyPositive?: boolean; unique?: boolean } = {},
): UserItemLists {
  const cols = dataset.interactions;
  const offsets = new Int32Array(dataset.numUsers + 1);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    if (options.onlyPositive && cols.label[i] !== 1) continue;
    offsets[cols.user[i] + 1]++;
  }
  for (let u = 0; u < dataset.numUsers; u++) offsets[u + 1] += offsets[u];
  const cursor = offsets.slice(0, dataset.numUsers);
  const items = new Int32Array(offsets[dataset.numUsers]);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    if (options.onlyPositive && cols.label[i] !== 1) continue;
    items[cursor[cols.user[i]]++] = cols.item[i];
  }
  if (!options.unique) return { offsets, items };
  // Drop repeated (user, item) rows, keeping first occurrences.
  const seen = new Int32Array(dataset.numItems).fill(-1);
  const uniqueOffsets = new Int32Array(dataset.numUsers + 1);
  const uniqueItems = new Int32Array(items.length);
  let w = 0;
  for (let u = 0; u < dataset.numUsers; u++) {
    for (let k = offsets[u]; k < offsets[u + 1]; k++) {
      const item = items[k];
      if (seen[item] === u) continue;
      seen[item] = u;
      uniqueItems[w++] = item;
    }
    uniqueOffsets[u + 1] = w;
  }
  return { offsets: uniqueOffsets, items: uniqueItems.slice(0, w) };
}
