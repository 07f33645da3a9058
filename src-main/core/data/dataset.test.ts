import { describe, expect, it } from 'vitest';
import {
  type CascadeDatasetInput,
  DatasetError,
  createCascadeDataset,
  datasetStats,
  groupItemsByUser,
  trainingView,
} from './dataset';

function input(overrides: Partial<CascadeDatasetInput> = {}): CascadeDatasetInput {
  return {
    name: 'hand-made',
    numUsers: 3,
    numItems: 4,
    numCategories: 2,
    itemCategory: Int32Array.from([0, 1, 1, 0]),
    denseDim: 2,
    itemDense: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]),
    interactions: {
      user: Int32Array.from([0, 1, 0, 2, 0]),
      item: Int32Array.from([1, 2, 3, 1, 1]),
      time: Float64Array.from([5, 1, 3, 3, 9]),
      label: Uint8Array.from([1, 0, 1, 0, 1]),
      watchTime: Float32Array.from([10, 0, 7, 2, 12]),
    },
    ...overrides,
  };
}

function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (error instanceof DatasetError) return error.field;
    throw error;
  }
  throw new Error('expected a DatasetError');
}

describe('createCascadeDataset', () => {
  it('sorts interactions by time, keeping the order of equal times', () => {
    const ds = createCascadeDataset(input());
    expect(Array.from(ds.interactions.time)).toEqual([1, 3, 3, 5, 9]);
    // Rows 2 (user 0) and 3 (user 2) share time 3 and keep their input order.
    expect(Array.from(ds.interactions.user)).toEqual([1, 0, 2, 0, 0]);
    expect(Array.from(ds.interactions.item)).toEqual([2, 3, 1, 1, 1]);
    expect(Array.from(ds.interactions.label)).toEqual([0, 1, 0, 1, 1]);
    expect(Array.from(ds.interactions.watchTime)).toEqual([0, 7, 2, 10, 12]);
  });

  it('returns already sorted columns untouched', () => {
    const sorted = input();
    sorted.interactions.time = Float64Array.from([1, 2, 3, 4, 5]);
    const ds = createCascadeDataset(sorted);
    expect(ds.interactions).toBe(sorted.interactions);
  });

  it('names the bad column', () => {
    const base = input();
    expect(fieldOf(() => createCascadeDataset(input({ numUsers: 0 })))).toBe('numUsers');
    expect(fieldOf(() => createCascadeDataset(input({ itemCategory: Int32Array.from([0, 1, 2, 0]) })))).toBe(
      'itemCategory',
    );
    expect(fieldOf(() => createCascadeDataset(input({ itemDense: new Float32Array(7) })))).toBe('itemDense');
    expect(
      fieldOf(() =>
        createCascadeDataset(input({ itemDense: Float32Array.from([0, 1, 2, NaN, 4, 5, 6, 7]) })),
      ),
    ).toBe('itemDense');
    for (const [column, value] of [
      ['user', Int32Array.from([0, 1, 0, 3, 0])],
      ['item', Int32Array.from([1, 2, -1, 1, 1])],
      ['time', Float64Array.from([1, 2, Infinity, 4, 5])],
      ['label', Uint8Array.from([1, 0, 2, 0, 1])],
      ['watchTime', Float32Array.from([1, -2, 0, 0, 0])],
      ['label', Uint8Array.from([1, 0])],
    ] as const) {
      const bad = input({ interactions: { ...base.interactions, [column]: value } });
      expect(fieldOf(() => createCascadeDataset(bad))).toBe(`interactions.${column}`);
    }
  });
});

describe('datasetStats', () => {
  it('counts interactions, positives, skips and concentration', () => {
    const stats = datasetStats(createCascadeDataset(input()));
    expect(stats).toMatchObject({
      users: 3,
      items: 4,
      categories: 2,
      denseDim: 2,
      interactions: 5,
      positives: 3,
      positiveRate: 0.6,
      activeUsers: 3,
      exposedItems: 3,
      interactionsPerUser: { min: 1, mean: 5 / 3, max: 3 },
      skips: 1,
      meanWatchTime: 31 / 5,
      hasGroundTruth: false,
    });
    // Top 10% of 4 items = 1 item (item 1, three exposures).
    expect(stats.top10PercentItemShare).toBeCloseTo(3 / 5, 10);
  });
});

describe('groupItemsByUser', () => {
  it('groups rows by user in row order, optionally positives only and distinct', () => {
    const ds = createCascadeDataset(input());
    const all = Int32Array.from([0, 1, 2, 3, 4]);
    const grouped = groupItemsByUser(ds, all);
    expect(Array.from(grouped.offsets)).toEqual([0, 3, 4, 5]);
    expect(Array.from(grouped.items)).toEqual([3, 1, 1, 2, 1]);
    const positives = groupItemsByUser(ds, all, { onlyPositive: true, unique: true });
    expect(Array.from(positives.offsets)).toEqual([0, 2, 2, 2]);
    expect(Array.from(positives.items)).toEqual([3, 1]);
    const some = groupItemsByUser(ds, Int32Array.from([4, 0]));
    expect(Array.from(some.offsets)).toEqual([0, 1, 2, 2]);
    expect(Array.from(some.items)).toEqual([1, 2]);
  });
});

describe('trainingView', () => {
  it('drops the ground truth', () => {
    const ds = createCascadeDataset({
      ...input(),
      groundTruth: { description: 'x', preference: () => 0.5, unexposedPositives: () => new Int32Array(0) },
    });
    expect(datasetStats(ds).hasGroundTruth).toBe(true);
    const view = trainingView(ds);
    expect(Object.keys(view)).not.toContain('groundTruth');
    expect(datasetStats(view).hasGroundTruth).toBe(false);
  });
});
