import { afterEach, describe, expect, it } from 'vitest';
import { type RowSlot, createRowSlot } from '../row-helper';
import { createThreadRowHelpers } from './row-helper-thread';

/* A kernel and its helper, self-contained as row kernels must be. */
function mix(row: number, j: number): number {
  return Math.sin(row * 7.3 + j) * Math.sqrt(row + j + 1);
}

function fillRow(
  input: { readonly width: number; readonly failAt: number },
  row: number,
  slot: RowSlot,
): number {
  if (row === input.failAt) throw new Error(`row ${row} refused`);
  let sum = 0;
  for (let j = 0; j < input.width; j++) {
    slot.f64[j] = mix(row, j);
    sum += slot.f64[j];
  }
  slot.i32[2 * input.width] = row * 3;
  return sum;
}

const WIDTH = 64;
const SLOT_WORDS = WIDTH + 1;

function job(rows: number[], failAt = -1) {
  return {
    kernel: fillRow,
    helpers: [mix],
    input: { width: WIDTH, failAt },
    rows: Int32Array.from(rows),
    slotWords: SLOT_WORDS,
    work: 1_000,
  };
}

/** The row as the caller computes it without a helper. */
function inline(row: number): { value: number; f64: number[]; tag: number } {
  const slot = createRowSlot(SLOT_WORDS);
  const value = fillRow({ width: WIDTH, failAt: -1 }, row, slot);
  return { value, f64: Array.from(slot.f64.subarray(0, WIDTH)), tag: slot.i32[2 * WIDTH] };
}

const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning.message);
};
process.on('warning', onWarning);
afterEach(() => {
  warnings.length = 0;
});

describe('thread row helpers', () => {
  it('give every row bit for bit as the caller computes it, in the job order, through a ring smaller than the job', async () => {
    const helpers = createThreadRowHelpers({ minWork: 0, slots: 3 });
    const rows = [5, 1, 9, 2, 14, 3, 8, 0, 11];
    const stream = helpers.start(job(rows));
    expect(stream).not.toBeNull();
    for (const row of rows) {
      const got = stream?.next();
      expect(got, `row ${row}`).toBeTruthy();
      if (!got) return;
      const expected = inline(row);
      expect(got.value).toBe(expected.value);
      expect(Array.from(got.slot.f64.subarray(0, WIDTH))).toEqual(expected.f64);
      expect(got.slot.i32[2 * WIDTH]).toBe(expected.tag);
    }
    expect(stream?.next()).toBeNull();
    await helpers.idle();
    expect(warnings).toEqual([]);
  });

  it('leave small jobs and empty ones to the caller', () => {
    const helpers = createThreadRowHelpers({ minWork: 10_000 });
    expect(helpers.start(job([1, 2, 3]))).toBeNull();
    expect(createThreadRowHelpers({ minWork: 0 }).start(job([]))).toBeNull();
    expect(helpers.started).toBe(0);
  });

  it('leave the rows to the caller, with a warning, when no thread can start', async () => {
    const helpers = createThreadRowHelpers({ minWork: 0 });
    // A function cannot be copied to a thread: the Worker constructor throws.
    const unclonable = { ...job([1, 2]), input: { width: WIDTH, failAt: -1, later: () => 0 } as never };
    expect(helpers.start(unclonable)).toBeNull();
    expect(helpers.started).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.join('\n')).toMatch(/no row helper thread could start/);
  });

  it('give the rows before a failing one, then null (the caller computes the rest), with a warning', async () => {
    const helpers = createThreadRowHelpers({ minWork: 0, slots: 2 });
    const stream = helpers.start(job([4, 6, 7, 8], 7));
    expect(stream?.next()?.value).toBe(inline(4).value);
    expect(stream?.next()?.value).toBe(inline(6).value);
    expect(stream?.next()).toBeNull();
    expect(stream?.next()).toBeNull();
    await helpers.idle();
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.join('\n')).toMatch(/row helper thread stopped \(row 7 refused\)/);
  });

  it('end their thread when the caller closes the stream with rows left', async () => {
    const helpers = createThreadRowHelpers({ minWork: 0, slots: 2 });
    const stream = helpers.start(job(Array.from({ length: 50 }, (_, k) => k)));
    expect(stream?.next()?.value).toBe(inline(0).value);
    stream?.close();
    expect(stream?.next()).toBeNull();
    await helpers.idle();
  });

  it("run as many rows ahead as a job's own slots say, and no more", async () => {
    // Each row the helper computes counts itself in memory shared with this thread.
    const computed = new Int32Array(new SharedArrayBuffer(4));
    const counting = (input: { readonly computed: Int32Array }, row: number, slot: RowSlot): number => {
      Atomics.add(input.computed, 0, 1);
      slot.f64[0] = row;
      return row;
    };
    const helpers = createThreadRowHelpers({ minWork: 0, slots: 2 });
    const stream = helpers.start({
      kernel: counting,
      input: { computed },
      rows: Int32Array.from({ length: 40 }, (_, k) => k),
      slotWords: 1,
      slots: 9,
      work: 1_000,
    });
    const deadline = Date.now() + 10_000;
    while (Atomics.load(computed, 0) < 9 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(Atomics.load(computed, 0)).toBe(9);
    for (let k = 0; k < 12; k++) expect(stream?.next()?.value).toBe(k);
    stream?.close();
    await helpers.idle();
    expect(() => helpers.start({ ...job([1]), slots: 0 })).toThrow(/slots must be >= 1/);
  });

  it('end their thread when the caller stops taking rows', async () => {
    const helpers = createThreadRowHelpers({ minWork: 0, slots: 2, idleMs: 50 });
    const stream = helpers.start(job(Array.from({ length: 50 }, (_, k) => k)));
    expect(stream?.next()?.value).toBe(inline(0).value);
    await helpers.idle();
  });
});
