import { describe, expect, it } from 'vitest';
import { type CascadeDataset, createCascadeDataset } from './dataset';
import { splitByGlobalTime, splitByUserTime } from './split';

/** Dataset from (user, time) rows; items are row numbers so rows are easy to trace. */
function fromRows(numUsers: number, rows: [user: number, time: number][]): CascadeDataset {
  const n = rows.length;
  return createCascadeDataset({
    name: 'hand-made',
    numUsers,
    numItems: n,
    numCategories: 1,
    itemCategory: new Int32Array(n),
    denseDim: 0,
    itemDense: new Float32Array(0),
    interactions: {
      user: Int32Array.from(rows, (r) => r[0]),
      item: Int32Array.from(rows, (_, i) => i),
      time: Float64Array.from(rows, (r) => r[1]),
      label: new Uint8Array(n),
      watchTime: new Float32Array(n),
    },
  });
}

function itemsOf(ds: CascadeDataset, rows: Int32Array): number[] {
  return Array.from(rows, (r) => ds.interactions.item[r]);
}

describe('splitByUserTime', () => {
  it('splits each user 6:2:2 in time order with truncated boundaries', () => {
    // User 0: 10 interactions given out of time order; user 1: 5; user 2: 3; user 3: 1; user 4: 2.
    const rows: [number, number][] = [];
    const times0 = [9, 3, 7, 1, 5, 0, 2, 8, 4, 6];
    for (const t of times0) rows.push([0, t]);
    for (let t = 0; t < 5; t++) rows.push([1, 100 + t]);
    for (let t = 0; t < 3; t++) rows.push([2, 200 + t]);
    rows.push([3, 300]);
    rows.push([4, 400], [4, 401]);
    const ds = fromRows(5, rows);
    const split = splitByUserTime(ds);
    const byUser = (idx: Int32Array, u: number) =>
      Array.from(idx)
        .filter((r) => ds.interactions.user[r] === u)
        .map((r) => ds.interactions.time[r]);
    // 10 -> 6/2/2, earliest first.
    expect(byUser(split.train, 0)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(byUser(split.valid, 0)).toEqual([6, 7]);
    expect(byUser(split.test, 0)).toEqual([8, 9]);
    // 5 -> 3/1/1.
    expect(byUser(split.train, 1)).toEqual([100, 101, 102]);
    expect(byUser(split.valid, 1)).toEqual([103]);
    expect(byUser(split.test, 1)).toEqual([104]);
    // 3 -> floor(1.8) = 1, floor(2.4) = 2 -> 1/1/1.
    expect(byUser(split.train, 2)).toEqual([200]);
    expect(byUser(split.valid, 2)).toEqual([201]);
    expect(byUser(split.test, 2)).toEqual([202]);
    // 1 -> 0/0/1 and 2 -> 1/0/1.
    expect(byUser(split.test, 3)).toEqual([300]);
    expect(byUser(split.train, 3)).toEqual([]);
    expect(byUser(split.train, 4)).toEqual([400]);
    expect(byUser(split.valid, 4)).toEqual([]);
    expect(byUser(split.test, 4)).toEqual([401]);
  });

  it('partitions every row exactly once, each part ascending', () => {
    const rows: [number, number][] = Array.from({ length: 57 }, (_, i) => [i % 4, (i * 7) % 13]);
    const ds = fromRows(4, rows);
    const { train, valid, test } = splitByUserTime(ds);
    const all = [...train, ...valid, ...test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 57 }, (_, i) => i));
    for (const part of [train, valid, test]) {
      for (let k = 1; k < part.length; k++) expect(part[k]).toBeGreaterThan(part[k - 1]);
    }
    expect(itemsOf(ds, train).length).toBe(train.length);
  });

  it('keeps the dataset order for equal timestamps and accepts other ratios', () => {
    const ds = fromRows(1, [
      [0, 5],
      [0, 5],
      [0, 5],
      [0, 5],
    ]);
    const split = splitByUserTime(ds, { train: 1, valid: 0, test: 1 });
    expect(itemsOf(ds, split.train)).toEqual([0, 1]);
    expect(itemsOf(ds, split.test)).toEqual([2, 3]);
    expect(() => splitByUserTime(ds, { train: 0, valid: 0, test: 0 })).toThrow(/ratios/);
  });
});

describe('splitByGlobalTime', () => {
  const DAY = 86_400;

  it('takes the last calendar day as test, not the last 24 hours', () => {
    const ds = fromRows(3, [
      [0, 9 * DAY + 5],
      [1, 10 * DAY + 5],
      [2, 10 * DAY + 100],
      // 1 second before midnight: within 24 h of the latest row, but on day 10.
      [0, 11 * DAY - 1],
      [1, 11 * DAY],
      [2, 11 * DAY + 3600],
    ]);
    const split = splitByGlobalTime(ds);
    expect(Array.from(split.train)).toEqual([0, 1, 2, 3]);
    expect(Array.from(split.valid)).toEqual([]);
    expect(Array.from(split.test)).toEqual([4, 5]);
  });

  it('counts WeChat days (dayLength 1) and carves validation days before the test days', () => {
    const days = [1, 1, 2, 5, 12, 13, 13, 14, 14, 14];
    const ds = fromRows(
      2,
      days.map((d, i) => [i % 2, d] as [number, number]),
    );
    const split = splitByGlobalTime(ds, { dayLength: 1, validDays: 1 });
    const timesOf = (rows: Int32Array) => Array.from(rows, (r) => ds.interactions.time[r]);
    expect(timesOf(split.test)).toEqual([14, 14, 14]);
    expect(timesOf(split.valid)).toEqual([13, 13]);
    expect(timesOf(split.train)).toEqual([1, 1, 2, 5, 12]);
    // Two test days: 13 and 14; day 12 is then validation.
    const two = splitByGlobalTime(ds, { dayLength: 1, testDays: 2, validDays: 1 });
    expect(timesOf(two.test)).toEqual([13, 13, 14, 14, 14]);
    expect(timesOf(two.valid)).toEqual([12]);
    // Calendar days without data still count: days 6-11 are empty.
    const gap = splitByGlobalTime(ds, { dayLength: 1, testDays: 1, validDays: 4 });
    expect(timesOf(gap.valid)).toEqual([12, 13, 13]);
  });

  it('partitions every row once, each part ascending, every test row after every train row', () => {
    const rows: [number, number][] = Array.from({ length: 80 }, (_, i) => [i % 5, i * 9000]);
    const ds = fromRows(5, rows);
    const { train, valid, test } = splitByGlobalTime(ds, { validDays: 1 });
    const all = [...train, ...valid, ...test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 80 }, (_, i) => i));
    for (const part of [train, valid, test]) {
      for (let k = 1; k < part.length; k++) expect(part[k]).toBeGreaterThan(part[k - 1]);
    }
    const lastTrain = Math.max(...Array.from(train, (r) => ds.interactions.time[r]));
    const firstTest = Math.min(...Array.from(test, (r) => ds.interactions.time[r]));
    expect(firstTest).toBeGreaterThan(lastTrain);
    expect(test.length).toBeGreaterThan(0);
    expect(valid.length).toBeGreaterThan(0);
  });

  it('refuses a log with nothing before the test days and bad options', () => {
    const oneDay = fromRows(1, [
      [0, 5],
      [0, 6],
    ]);
    expect(() => splitByGlobalTime(oneDay)).toThrow(/nothing is left to train on/);
    expect(() => splitByGlobalTime(oneDay, { dayLength: 0 })).toThrow(/dayLength/);
    expect(() => splitByGlobalTime(oneDay, { testDays: 0 })).toThrow(/testDays/);
    expect(() => splitByGlobalTime(oneDay, { validDays: -1 })).toThrow(/validDays/);
  });
});
