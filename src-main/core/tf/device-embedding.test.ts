import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { initBackend } from './backend';
import { DeviceEmbeddingTable } from './device-embedding';
import { EmbeddingTable } from './embedding';

function worstRelativeError(actual: Float32Array, expected: Float32Array): number {
  let worst = 0;
  for (let k = 0; k < actual.length; k++)
    worst = Math.max(worst, Math.abs(actual[k] - expected[k]) / (1e-6 + Math.abs(expected[k])));
  return worst;
}

describe.each(['cpu', 'wasm'] as const)('DeviceEmbeddingTable on the %s backend', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  const rows = 12;
  const dim = 5;
  const options = { learningRate: 0.05, initStd: 0.3 };

  it('starts from the same rows as the host table for the same rng', async () => {
    const host = new EmbeddingTable(rows, dim, createRng(4), options);
    const device = new DeviceEmbeddingTable(rows, dim, createRng(4), options);
    try {
      const { weights, accumulators } = await device.read();
      expect(Array.from(weights)).toEqual(Array.from(host.weights));
      expect(Array.from(accumulators)).toEqual(Array.from(host.accumulators));
      const ids = Int32Array.from([3, 0, 3, 11]);
      const gathered = device.gather(tf.tensor1d(ids, 'int32'));
      expect(Array.from(await gathered.data())).toEqual(Array.from(host.gather(ids).dataSync()));
      gathered.dispose();
    } finally {
      device.dispose();
    }
  });

  it('matches the host sparse Adagrad over several updates with repeated ids', async () => {
    const host = new EmbeddingTable(rows, dim, createRng(9), options);
    const device = DeviceEmbeddingTable.fromHost(host);
    const rng = createRng(2);
    const touched = new Set<number>();
    const before = tf.memory().numTensors;
    try {
      for (let step = 0; step < 5; step++) {
        // Rows 0-7 only (8-11 stay untouched); 10 ids from 8 rows always repeat some.
        const ids = Int32Array.from({ length: 10 }, () => rng.int(8));
        ids[1] = ids[0];
        ids.forEach((id) => touched.add(id));
        const grad = Float32Array.from({ length: ids.length * dim }, () => rng.normal());
        host.applyGradient(ids, grad);
        tf.tidy(() => device.applyGradient(tf.tensor1d(ids, 'int32'), tf.tensor2d(grad, [ids.length, dim])));
      }
      expect(tf.memory().numTensors).toBe(before);
      const { weights, accumulators } = await device.read();
      expect(worstRelativeError(weights, host.weights)).toBeLessThan(1e-5);
      expect(worstRelativeError(accumulators, host.accumulators)).toBeLessThan(1e-5);
      // The update moved every touched row (the first step of an entry moves it by lr * sign(g))
      // and left the others exactly as they were.
      const initial = new EmbeddingTable(rows, dim, createRng(9), options).weights;
      for (let r = 0; r < rows; r++) {
        const row = Array.from(weights.subarray(r * dim, r * dim + dim));
        const start = Array.from(initial.subarray(r * dim, r * dim + dim));
        if (touched.has(r)) expect(row, `row ${r}`).not.toEqual(start);
        else expect(row, `row ${r}`).toEqual(start);
      }
    } finally {
      device.dispose();
    }
  });

  it('sums repeated ids before the update (coalescing), as PyTorch sparse Adagrad does', async () => {
    const device = new DeviceEmbeddingTable(2, 1, Float32Array.from([0, 0]), { learningRate: 1 });
    try {
      // Row 0 gets 3 + 4 = 7: G = 49, w = -7 / 7 = -1. Updating twice (3 then 4) would give
      // G = 25 and w = -1 - 4/5 = -1.8. Row 1 is untouched.
      tf.tidy(() => device.applyGradient(tf.tensor1d([0, 0], 'int32'), tf.tensor2d([3, 4], [2, 1])));
      const { weights, accumulators } = await device.read();
      expect(weights[0]).toBeCloseTo(-1, 6);
      expect(accumulators[0]).toBeCloseTo(49, 4);
      expect(Array.from(weights.subarray(1))).toEqual([0]);
      expect(Array.from(accumulators.subarray(1))).toEqual([0]);
    } finally {
      device.dispose();
    }
  });

  it('rejects bad sizes with the numbers named', () => {
    expect(() => new DeviceEmbeddingTable(0, 2, createRng(1), options)).toThrow(/rows must be an integer/);
    expect(() => new DeviceEmbeddingTable(2, 2, new Float32Array(3), options)).toThrow(
      /hold 3 values, expected 4/,
    );
    const device = new DeviceEmbeddingTable(2, 2, createRng(1), options);
    try {
      expect(() =>
        tf.tidy(() => device.applyGradient(tf.tensor1d([0], 'int32'), tf.zeros([2, 2]) as tf.Tensor2D)),
      ).toThrow(/does not match ids \[1\] x dim 2/);
    } finally {
      device.dispose();
    }
  });
});
