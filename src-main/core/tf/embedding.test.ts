import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { initBackend } from './backend';
import { EmbeddingTable } from './embedding';

beforeAll(async () => {
  await initBackend('cpu');
});

function table(rows: number, dim: number, lr = 0.1): EmbeddingTable {
  return new EmbeddingTable(rows, dim, createRng(1), { learningRate: lr, initStd: 0.5 });
}

describe('EmbeddingTable', () => {
  it('initialises from the seed with the requested spread', () => {
    const a = new EmbeddingTable(100, 8, createRng(5), { learningRate: 0.1, initStd: 0.2 });
    const b = new EmbeddingTable(100, 8, createRng(5), { learningRate: 0.1, initStd: 0.2 });
    expect(a.weights).toEqual(b.weights);
    let sumSq = 0;
    for (const w of a.weights) sumSq += w * w;
    expect(Math.sqrt(sumSq / a.weights.length)).toBeCloseTo(0.2, 1);
    expect(Array.from(a.accumulators).every((v) => v === 0)).toBe(true);
  });

  it('gathers rows in id order, repeats included', () => {
    const t = table(4, 3);
    const rows = t.gather(Int32Array.from([2, 0, 2]));
    expect(rows.shape).toEqual([3, 3]);
    const got = rows.dataSync();
    const w = t.weights;
    expect(Array.from(got)).toEqual([...w.slice(6, 9), ...w.slice(0, 3), ...w.slice(6, 9)]);
    rows.dispose();
    expect(() => t.gather(Int32Array.from([4]))).toThrow(/outside/);
  });

  it('applies PyTorch sparse Adagrad: coalesce repeats, G += g^2, w -= lr g / (sqrt(G) + eps)', () => {
    const t = table(3, 2, 0.1);
    const before = Float32Array.from(t.weights);
    // Row 1 appears twice: its gradients (0.3, -0.4) and (0.1, 0.2) sum to (0.4, -0.2).
    t.applyGradient(Int32Array.from([1, 2, 1]), Float32Array.from([0.3, -0.4, 2, 0, 0.1, 0.2]));
    // Row 1: G = (0.16, 0.04); step = 0.1 * g / sqrt(G) = 0.1 * sign(g) on the first update.
    expect(t.accumulators[2]).toBeCloseTo(0.16, 6);
    expect(t.accumulators[3]).toBeCloseTo(0.04, 6);
    expect(t.weights[2]).toBeCloseTo(before[2] - 0.1, 6);
    expect(t.weights[3]).toBeCloseTo(before[3] + 0.1, 6);
    // Row 2: g = (2, 0): the zero entry stays put (0 / (0 + eps) = 0).
    expect(t.weights[4]).toBeCloseTo(before[4] - 0.1, 6);
    expect(t.weights[5]).toBe(before[5]);
    expect(t.accumulators[4]).toBeCloseTo(4, 6);
    // Row 0 untouched.
    expect(t.weights[0]).toBe(before[0]);
    expect(t.weights[1]).toBe(before[1]);

    // Second update of row 1 with g = (0.3, 0): G = (0.25, 0.04); step = 0.1 * 0.3 / 0.5 = 0.06.
    const mid = Float32Array.from(t.weights);
    t.applyGradient(Int32Array.from([1]), Float32Array.from([0.3, 0]));
    expect(t.accumulators[2]).toBeCloseTo(0.25, 6);
    expect(t.weights[2]).toBeCloseTo(mid[2] - 0.06, 6);
    expect(t.weights[3]).toBe(mid[3]);
  });

  it('reads gradient blocks at an offset and rejects short gradients', () => {
    const t = table(2, 2, 0.5);
    const before = Float32Array.from(t.weights);
    t.applyGradient(Int32Array.from([0]), Float32Array.from([9, 9, 1, -1]), 2);
    expect(t.weights[0]).toBeCloseTo(before[0] - 0.5, 6);
    expect(t.weights[1]).toBeCloseTo(before[1] + 0.5, 6);
    expect(() => t.applyGradient(Int32Array.from([0, 1]), new Float32Array(3))).toThrow(/gradient has/);
  });

  it('keeps no tensors alive', () => {
    const t = table(5, 4);
    const before = tf.memory().numTensors;
    const rows = t.gather(Int32Array.from([1, 2]));
    rows.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('EmbeddingTable.applyGradient with bad ids', () => {
  it('rejects an out-of-range id without corrupting later updates', () => {
    const t = table(3, 1, 0.1);
    expect(() => t.applyGradient(Int32Array.from([1, 3]), Float32Array.from([1, 1]))).toThrow(/outside/);
    const before = Float32Array.from(t.weights);
    t.applyGradient(Int32Array.from([1, 1]), Float32Array.from([1, 2]));
    // Only row 1 moves, by lr * sign(1 + 2).
    expect(t.weights[1]).toBeCloseTo(before[1] - 0.1, 6);
    expect(t.weights[0]).toBe(before[0]);
    expect(t.accumulators[1]).toBeCloseTo(9, 6);
  });
});

describe('EmbeddingTable.applyGradientWithL2', () => {
  /** Dense Adagrad on loss + l2 * sum(W^2), written out for every element (the reference). */
  function reference(
    weights: Float32Array,
    accumulators: Float32Array,
    dim: number,
    ids: number[],
    grad: number[],
    l2: number,
    lr: number,
  ): { w: number[]; acc: number[] } {
    const g = Array.from(weights, (w) => 2 * l2 * w);
    ids.forEach((id, b) => {
      for (let k = 0; k < dim; k++) g[id * dim + k] += grad[b * dim + k];
    });
    const acc = Array.from(accumulators, (a, k) => a + g[k] * g[k]);
    const w = Array.from(weights, (x, k) => x - (lr * g[k]) / (Math.sqrt(acc[k]) + 1e-10));
    return { w, acc };
  }

  it('moves every row by its L2 gradient and the batch rows by their summed loss gradient too', () => {
    const t = table(4, 2, 0.1);
    const ids = [2, 0, 2];
    const grad = [0.5, -1, 0.25, 0.75, -0.125, 2];
    for (let step = 0; step < 3; step++) {
      const expected = reference(t.weights, t.accumulators, 2, ids, grad, 0.01, 0.1);
      t.applyGradientWithL2(Int32Array.from(ids), Float32Array.from([9, ...grad]), 1, 0.01);
      for (let k = 0; k < 8; k++) {
        expect(t.weights[k]).toBeCloseTo(expected.w[k], 6);
        expect(t.accumulators[k]).toBeCloseTo(expected.acc[k], 6);
      }
    }
  });

  it('holds the same floats as a pass over every row at every step, though rows outside the batch settle when read', () => {
    const rows = 12;
    const dim = 3;
    const rng = createRng(7);
    const lazy = table(rows, dim, 0.05);
    // The eager pass (every row, every step, float32 storage): the arithmetic of the pass that
    // applyGradientWithL2 replaced.
    const w = Float32Array.from(lazy.weights);
    const acc = Float32Array.from(lazy.accumulators);
    const eagerStep = (ids: Int32Array, grad: Float32Array, l2: number, lr: number) => {
      const batch = new Float64Array(rows * dim);
      const seen = new Uint8Array(rows);
      ids.forEach((id, b) => {
        seen[id] = 1;
        for (let k = 0; k < dim; k++)
          batch[id * dim + k] = Math.fround(batch[id * dim + k] + grad[b * dim + k]);
      });
      for (let k = 0; k < rows * dim; k++) {
        const g = 2 * l2 * w[k] + (seen[Math.floor(k / dim)] ? batch[k] : 0);
        const G = acc[k] + g * g;
        acc[k] = G;
        w[k] -= (lr * g) / (Math.sqrt(G) + 1e-10);
      }
    };
    const eagerPlain = (ids: Int32Array, grad: Float32Array, lr: number) => {
      ids.forEach((id, b) => {
        for (let k = 0; k < dim; k++) {
          const j = id * dim + k;
          const g = grad[b * dim + k];
          acc[j] += g * g;
          w[j] -= (lr * g) / (Math.sqrt(acc[j]) + 1e-10);
        }
      });
    };
    let lr = 0.05;
    for (let step = 0; step < 40; step++) {
      // Rows 10 and 11 are never in a batch; ids repeat within a batch.
      const ids = Int32Array.from({ length: 5 }, () => rng.int(10));
      const grad = Float32Array.from({ length: ids.length * dim }, () => rng.normal(0, 1));
      if (step === 25) {
        lr = 0.02;
        lazy.learningRate = lr;
      }
      if (step % 9 === 4) {
        // A plain sparse step in between (no L2): only its rows move.
        lazy.applyGradient(Int32Array.from([ids[0]]), grad.subarray(0, dim));
        eagerPlain(Int32Array.from([ids[0]]), grad.subarray(0, dim), lr);
      }
      lazy.applyGradientWithL2(ids, grad, 0, step < 30 ? 0.01 : 0.03);
      eagerStep(ids, grad, step < 30 ? 0.01 : 0.03, lr);
      if (step % 7 === 3) {
        // Reading rows settles them: the same values as the eager pass holds now.
        const out = new Float32Array(2 * dim);
        lazy.gatherInto(Int32Array.from([ids[1], 10]), out);
        expect(Array.from(out)).toEqual([
          ...w.subarray(ids[1] * dim, ids[1] * dim + dim),
          ...w.subarray(10 * dim, 11 * dim),
        ]);
      }
    }
    expect(Array.from(lazy.row(11))).toEqual(Array.from(w.subarray(11 * dim, 12 * dim)));
    expect(Array.from(lazy.weights)).toEqual(Array.from(w));
    expect(Array.from(lazy.accumulators)).toEqual(Array.from(acc));
  });

  it('rejects an out-of-range id and leaves later updates exact', () => {
    const t = table(3, 1, 0.1);
    expect(() => t.applyGradientWithL2(Int32Array.from([1, 5]), Float32Array.from([1, 1]), 0, 0.01)).toThrow(
      /outside/,
    );
    const expected = reference(t.weights, t.accumulators, 1, [0], [1], 0.01, 0.1);
    t.applyGradientWithL2(Int32Array.from([0]), Float32Array.from([1]), 0, 0.01);
    for (let k = 0; k < 3; k++) expect(t.weights[k]).toBeCloseTo(expected.w[k], 6);
  });
});
