/**
 * What every importer produces: ids remapped to dense indices, features encoded, interactions
 * ordered in time, and a report of what was skipped or missing. `finalizeImport` applies the
 * filters that reproduce the papers' subsets (date range, user sampling, k-core) and the time
 * order; `writeProcessed` / `readProcessed` store it as binary columns beside a meta.json.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImportFilters, ImportReport } from '../../../contract/api';

// The report and the filters cross to the workbench as they are: one definition, in the contract.
export type { ImportFilters, ImportReport };

/** A categorical feature of users or items, encoded 1..cardinality-1; 0 means missing. */
export interface CategoricalFeature {
  name: string;
  codes: Int32Array;
  cardinality: number;
}

/** A dense vector feature of items (e.g. a multimodal embedding), with which rows had a value. */
export interface DenseFeature {
  name: string;
  /** Modality letter as in the paper's Table 1: V(isual), A(coustic), T(extual), or '' for none. */
  modality: 'V' | 'A' | 'T' | '';
  dim: number;
  /** [items * dim], row-major; rows without a value are zeros. */
  values: Float32Array;
  /** [items], 1 where the item had a value. */
  present: Uint8Array;
}

export interface ProcessedDataset {
  format: 'wechat' | 'tiktok' | 'csv';
  name: string;
  numUsers: number;
  numItems: number;
  /** Raw ids as in the files, indexed by the dense index. */
  userRawIds: (number | string)[];
  itemRawIds: (number | string)[];
  /** Interactions in time order (stable for equal times). */
  user: Int32Array;
  item: Int32Array;
  /** Seconds (or days for WeChat's `date_`), as the source gives them. */
  time: Float64Array;
  /** The label y: finish playing (1) or not (0). */
  label: Uint8Array;
  /** Watch time in seconds where the source has it (the random-walk edge weight v_ui). */
  watchTime: Float32Array;
  userFeatures: CategoricalFeature[];
  itemFeatures: CategoricalFeature[];
  itemDense: DenseFeature[];
  report: ImportReport;
}

/** Rows as parsed, before filtering; ids are indices of the importer's IdMaps. */
export interface RawImport {
  format: ProcessedDataset['format'];
  name: string;
  userRawIds: (number | string)[];
  itemRawIds: (number | string)[];
  user: Int32Array;
  item: Int32Array;
  time: Float64Array;
  label: Uint8Array;
  watchTime: Float32Array;
  /** Indexed by the raw user index. */
  userFeatures: CategoricalFeature[];
  /** Indexed by the raw item index. */
  itemFeatures: CategoricalFeature[];
  /** Indexed by the raw item index. */
  itemDense: DenseFeature[];
  report: ImportReport;
}

export function emptyReport(): ImportReport {
  return { rowsRead: 0, rowsKept: 0, rowsDropped: {}, missingValues: {}, warnings: [] };
}

export function countInto(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Applies the filters, re-indexes densely and orders the interactions in time. */
export function finalizeImport(raw: RawImport, filters: ImportFilters = {}): ProcessedDataset {
  const rows = raw.user.length;
  const keep = new Uint8Array(rows).fill(1);
  const report = { ...raw.report, rowsDropped: { ...raw.report.rowsDropped } };

  if (filters.timeFrom !== undefined || filters.timeTo !== undefined) {
    const from = filters.timeFrom ?? -Infinity;
    const to = filters.timeTo ?? Infinity;
    let dropped = 0;
    for (let r = 0; r < rows; r++) {
      if (raw.time[r] < from || raw.time[r] > to) {
        keep[r] = 0;
        dropped++;
      }
    }
    if (dropped) countInto(report.rowsDropped, 'outside the date range', dropped);
  }

  if (filters.userSampleFraction !== undefined && filters.userSampleFraction < 1) {
    const keepUser = sampleUsers(raw.userRawIds.length, filters.userSampleFraction, filters.sampleSeed ?? 1);
    let dropped = 0;
    for (let r = 0; r < rows; r++) {
      if (keep[r] && !keepUser[raw.user[r]]) {
        keep[r] = 0;
        dropped++;
      }
    }
    if (dropped) countInto(report.rowsDropped, 'user not sampled', dropped);
  }

  const minUser = filters.minUserInteractions ?? 0;
  const minItem = filters.minItemInteractions ?? 0;
  if (minUser > 1 || minItem > 1) {
    const dropped = kCore(
      raw.user,
      raw.item,
      keep,
      raw.userRawIds.length,
      raw.itemRawIds.length,
      minUser,
      minItem,
    );
    if (dropped) countInto(report.rowsDropped, 'k-core filter', dropped);
  }

  // Dense re-indexing of what is left, in order of first appearance in time.
  const order = timeOrder(raw.time, keep);
  const userIndex = new Int32Array(raw.userRawIds.length).fill(-1);
  const itemIndex = new Int32Array(raw.itemRawIds.length).fill(-1);
  const userRawIds: (number | string)[] = [];
  const itemRawIds: (number | string)[] = [];
  const n = order.length;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const time = new Float64Array(n);
  const label = new Uint8Array(n);
  const watchTime = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const r = order[k];
    const u = raw.user[r];
    const i = raw.item[r];
    if (userIndex[u] === -1) {
      userIndex[u] = userRawIds.length;
      userRawIds.push(raw.userRawIds[u]);
    }
    if (itemIndex[i] === -1) {
      itemIndex[i] = itemRawIds.length;
      itemRawIds.push(raw.itemRawIds[i]);
    }
    user[k] = userIndex[u];
    item[k] = itemIndex[i];
    time[k] = raw.time[r];
    label[k] = raw.label[r];
    watchTime[k] = raw.watchTime[r];
  }
  report.rowsKept = n;
  return {
    format: raw.format,
    name: raw.name,
    numUsers: userRawIds.length,
    numItems: itemRawIds.length,
    userRawIds,
    itemRawIds,
    user,
    item,
    time,
    label,
    watchTime,
    userFeatures: raw.userFeatures.map((f) => remapCategorical(f, userIndex, userRawIds.length)),
    itemFeatures: raw.itemFeatures.map((f) => remapCategorical(f, itemIndex, itemRawIds.length)),
    itemDense: raw.itemDense.map((f) => remapDense(f, itemIndex, itemRawIds.length)),
    report,
  };
}

function remapCategorical(feature: CategoricalFeature, index: Int32Array, size: number): CategoricalFeature {
  const codes = new Int32Array(size);
  for (let old = 0; old < index.length; old++) {
    if (index[old] >= 0) codes[index[old]] = feature.codes[old] ?? 0;
  }
  return { name: feature.name, codes, cardinality: feature.cardinality };
}

function remapDense(feature: DenseFeature, index: Int32Array, size: number): DenseFeature {
  const values = new Float32Array(size * feature.dim);
  const present = new Uint8Array(size);
  for (let old = 0; old < index.length; old++) {
    const now = index[old];
    if (now < 0 || !feature.present[old]) continue;
    present[now] = 1;
    values.set(feature.values.subarray(old * feature.dim, (old + 1) * feature.dim), now * feature.dim);
  }
  return { ...feature, values, present };
}

/** Seeded Bernoulli choice of users (splitmix32), independent of the file's order. */
function sampleUsers(users: number, fraction: number, seed: number): Uint8Array {
  const keep = new Uint8Array(users);
  for (let u = 0; u < users; u++) {
    let z = (seed * 0x9e3779b9 + u * 0x85ebca6b) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z ^= z >>> 15;
    keep[u] = (z >>> 0) / 4294967296 < fraction ? 1 : 0;
  }
  return keep;
}

/**
 * Drops rows until every kept user has >= minUser rows and every kept item >= minItem rows.
 * Returns the number of rows dropped.
 */
export function kCore(
  user: Int32Array,
  item: Int32Array,
  keep: Uint8Array,
  numUsers: number,
  numItems: number,
  minUser: number,
  minItem: number,
): number {
  let dropped = 0;
  for (;;) {
    const userCount = new Int32Array(numUsers);
    const itemCount = new Int32Array(numItems);
    for (let r = 0; r < user.length; r++) {
      if (!keep[r]) continue;
      userCount[user[r]]++;
      itemCount[item[r]]++;
    }
    let changed = 0;
    for (let r = 0; r < user.length; r++) {
      if (keep[r] && (userCount[user[r]] < minUser || itemCount[item[r]] < minItem)) {
        keep[r] = 0;
        changed++;
      }
    }
    dropped += changed;
    if (changed === 0) return dropped;
  }
}

/**
 * Indices of the kept rows in time order, stable for equal times. Integer times spanning less than
 * 2^32 are radix-sorted (linear time, 10 million rows in well under a second); others fall back to
 * a comparison sort.
 */
export function timeOrder(time: Float64Array, keep: Uint8Array): Uint32Array {
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  let integral = true;
  for (let r = 0; r < time.length; r++) {
    if (!keep[r]) continue;
    count++;
    const t = time[r];
    if (t < min) min = t;
    if (t > max) max = t;
    if (integral && !Number.isInteger(t)) integral = false;
  }
  const rowsKept = new Uint32Array(count);
  for (let r = 0, k = 0; r < time.length; r++) if (keep[r]) rowsKept[k++] = r;
  if (count === 0) return rowsKept;
  if (!integral || max - min >= 2 ** 32) {
    return Uint32Array.from(Array.from(rowsKept).sort((a, b) => time[a] - time[b] || a - b));
  }
  const keys = new Uint32Array(count);
  for (let k = 0; k < count; k++) keys[k] = time[rowsKept[k]] - min;
  // Two stable counting passes over 16-bit digits: low half, then high half.
  let order = rowsKept;
  let orderKeys = keys;
  for (let shift = 0; shift < 32; shift += 16) {
    const buckets = new Uint32Array(65537);
    for (let k = 0; k < count; k++) buckets[((orderKeys[k] >>> shift) & 0xffff) + 1]++;
    if (buckets[1] === count && shift > 0) break;
    for (let b = 1; b < buckets.length; b++) buckets[b] += buckets[b - 1];
    const nextOrder = new Uint32Array(count);
    const nextKeys = new Uint32Array(count);
    for (let k = 0; k < count; k++) {
      const digit = (orderKeys[k] >>> shift) & 0xffff;
      const at = buckets[digit]++;
      nextOrder[at] = order[k];
      nextKeys[at] = orderKeys[k];
    }
    order = nextOrder;
    orderKeys = nextKeys;
  }
  return order;
}

/* ----------------------------------------------------------------------------------------------
 * Storage: meta.json + one binary file per column
 * -------------------------------------------------------------------------------------------- */

interface StoredMeta {
  version: 1;
  format: ProcessedDataset['format'];
  name: string;
  numUsers: number;
  numItems: number;
  interactions: number;
  userRawIds: (number | string)[];
  itemRawIds: (number | string)[];
  userFeatures: { name: string; cardinality: number; file: string }[];
  itemFeatures: { name: string; cardinality: number; file: string }[];
  itemDense: {
    name: string;
    modality: DenseFeature['modality'];
    dim: number;
    file: string;
    presentFile: string;
  }[];
  report: ImportReport;
}

function bytesOf(array: Int32Array | Float32Array | Float64Array | Uint8Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * Writes the dataset into `dir` atomically: everything goes into a sibling temp folder that is
 * renamed at the end, so a failed or killed write never leaves a half dataset behind. `extraFiles`
 * (e.g. a profile.json) are written into the same temp folder, so they arrive with the columns.
 */
export async function writeProcessed(
  dir: string,
  dataset: ProcessedDataset,
  extraFiles: Record<string, string> = {},
): Promise<void> {
  // Unique per call: two imports in one process (worker threads share the pid) never collide.
  const temp = `${dir}${PARTIAL_SUFFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    const write = (file: string, array: Int32Array | Float32Array | Float64Array | Uint8Array) =>
      writeFile(join(temp, file), bytesOf(array));
    await write('user.i32', dataset.user);
    await write('item.i32', dataset.item);
    await write('time.f64', dataset.time);
    await write('label.u8', dataset.label);
    await write('watch_time.f32', dataset.watchTime);
    const meta: StoredMeta = {
      version: 1,
      format: dataset.format,
      name: dataset.name,
      numUsers: dataset.numUsers,
      numItems: dataset.numItems,
      interactions: dataset.user.length,
      userRawIds: dataset.userRawIds,
      itemRawIds: dataset.itemRawIds,
      userFeatures: [],
      itemFeatures: [],
      itemDense: [],
      report: dataset.report,
    };
    for (const [k, f] of dataset.userFeatures.entries()) {
      const file = `user_feature_${k}.i32`;
      await write(file, f.codes);
      meta.userFeatures.push({ name: f.name, cardinality: f.cardinality, file });
    }
    for (const [k, f] of dataset.itemFeatures.entries()) {
      const file = `item_feature_${k}.i32`;
      await write(file, f.codes);
      meta.itemFeatures.push({ name: f.name, cardinality: f.cardinality, file });
    }
    for (const [k, f] of dataset.itemDense.entries()) {
      const file = `item_dense_${k}.f32`;
      const presentFile = `item_dense_${k}_present.u8`;
      await write(file, f.values);
      await write(presentFile, f.present);
      meta.itemDense.push({ name: f.name, modality: f.modality, dim: f.dim, file, presentFile });
    }
    for (const [file, text] of Object.entries(extraFiles)) await writeFile(join(temp, file), text);
    await writeFile(join(temp, 'meta.json'), JSON.stringify(meta));
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/** Marks a temp folder of writeProcessed: `<dir>.partial-<pid>-<random>`. */
export const PARTIAL_SUFFIX = '.partial-';

/** Copies into a fresh, aligned ArrayBuffer: Node's pooled buffers may be unaligned for Float64. */
function aligned(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

function parseMeta(dir: string, text: () => string): StoredMeta {
  try {
    return JSON.parse(text()) as StoredMeta;
  } catch (error) {
    throw new Error(
      `${join(dir, 'meta.json')}: cannot read the processed dataset (${(error as Error).message})`,
    );
  }
}

/** The column files meta.json names. */
function columnFiles(meta: StoredMeta): string[] {
  return [
    'user.i32',
    'item.i32',
    'time.f64',
    'label.u8',
    'watch_time.f32',
    ...meta.userFeatures.map((f) => f.file),
    ...meta.itemFeatures.map((f) => f.file),
    ...meta.itemDense.flatMap((f) => [f.file, f.presentFile]),
  ];
}

/** Builds the dataset from meta.json and its column files, already read as aligned buffers. */
function assemble(dir: string, meta: StoredMeta, column: (file: string) => ArrayBuffer): ProcessedDataset {
  const user = new Int32Array(column('user.i32'));
  if (user.length !== meta.interactions) {
    throw new Error(
      `${join(dir, 'user.i32')}: holds ${user.length} rows, meta.json says ${meta.interactions}`,
    );
  }
  return {
    format: meta.format,
    name: meta.name,
    numUsers: meta.numUsers,
    numItems: meta.numItems,
    userRawIds: meta.userRawIds,
    itemRawIds: meta.itemRawIds,
    user,
    item: new Int32Array(column('item.i32')),
    time: new Float64Array(column('time.f64')),
    label: new Uint8Array(column('label.u8')),
    watchTime: new Float32Array(column('watch_time.f32')),
    userFeatures: meta.userFeatures.map((f) => ({
      name: f.name,
      cardinality: f.cardinality,
      codes: new Int32Array(column(f.file)),
    })),
    itemFeatures: meta.itemFeatures.map((f) => ({
      name: f.name,
      cardinality: f.cardinality,
      codes: new Int32Array(column(f.file)),
    })),
    itemDense: meta.itemDense.map((f) => ({
      name: f.name,
      modality: f.modality,
      dim: f.dim,
      values: new Float32Array(column(f.file)),
      present: new Uint8Array(column(f.presentFile)),
    })),
    report: meta.report,
  };
}

function readFailure(dir: string, file: string, error: unknown): Error {
  return new Error(
    `${join(dir, file)}: cannot read the processed dataset (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
  );
}

export async function readProcessed(dir: string): Promise<ProcessedDataset> {
  const metaText = await readFile(join(dir, 'meta.json'), 'utf8').catch((error: unknown) => {
    throw readFailure(dir, 'meta.json', error);
  });
  const meta = parseMeta(dir, () => metaText);
  const buffers = new Map<string, ArrayBuffer>();
  for (const file of columnFiles(meta)) {
    const bytes = await readFile(join(dir, file)).catch((error: unknown) => {
      throw readFailure(dir, file, error);
    });
    buffers.set(file, aligned(bytes));
  }
  return assemble(dir, meta, (file) => buffers.get(file) as ArrayBuffer);
}

/**
 * The same as readProcessed, blocking: for the training worker, whose dataset step is synchronous
 * (it runs off the main thread, so blocking costs nothing there).
 */
export function readProcessedSync(dir: string): ProcessedDataset {
  const read = (file: string): Buffer => {
    try {
      return readFileSync(join(dir, file));
    } catch (error) {
      throw readFailure(dir, file, error);
    }
  };
  const meta = parseMeta(dir, () => read('meta.json').toString('utf8'));
  return assemble(dir, meta, (file) => aligned(read(file)));
}
