import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import { DEEPFM_HIDDEN_UNITS, DeepFmNetwork, fmSecondOrder } from './deepfm';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Row-major [rows, cols] x [cols, out] plus bias, with optional ReLU, in plain JS. */
function denseForward(x: number[][], kernel: Float32Array, bias: Float32Array, relu: boolean): number[][] {
  const out = bias.length;
  return x.map((row) =>
    Array.from({ length: out }, (_, j) => {
      let s = bias[j];
      row.forEach((v, i) => (s += v * kernel[i * out + j]));
      return relu ? Math.max(0, s) : s;
    }),
  );
}

describe('fmSecondOrder', () => {
  it('equals the sum of pairwise dot products of the field embeddings (hand example)', () => {
    // Fields a = (1, 2), b = (3, -1), c = (0.5, 4):
    // <a,b> = 3 - 2 = 1, <a,c> = 0.5 + 8 = 8.5, <b,c> = 1.5 - 4 = -2.5; sum = 7.
    // Second row: a = (1, 0), b = (0, 1), c = (2, 2): <a,b> = 0, <a,c> = 2, <b,c> = 2; sum = 4.
    const v = tf.tensor3d([
      [
        [1, 2],
        [3, -1],
        [0.5, 4],
      ],
      [
        [1, 0],
        [0, 1],
        [2, 2],
      ],
    ]);
    const fm = fmSecondOrder(v);
    expect(fm.shape).toEqual([2]);
    const values = Array.from(fm.dataSync());
    expect(values[0]).toBeCloseTo(7, 5);
    expect(values[1]).toBeCloseTo(4, 5);
    tf.dispose([v, fm]);
  });

  it('leaves out self-interactions: one field gives 0', () => {
    const v = tf.tensor3d([[[2, 3, -1]]]);
    const fm = fmSecondOrder(v);
    expect(fm.dataSync()[0]).toBeCloseTo(0, 6);
    tf.dispose([v, fm]);
  });
});

describe('DeepFmNetwork', () => {
  it('has the paper-sized DNN by default: fields and dense vector -> 300-200-100 -> 1', () => {
    const net = new DeepFmNetwork({ numFields: 3, embeddingDim: 128, denseDim: 32 }, createRng(1));
    expect(DEEPFM_HIDDEN_UNITS).toEqual([300, 200, 100]);
    expect(net.dnn.layers.map((l) => l.kernel.shape)).toEqual([
      [3 * 128 + 32, 300],
      [300, 200],
      [200, 100],
      [100, 1],
    ]);
    expect(net.dnn.layers.map((l) => l.activation)).toEqual(['relu', 'relu', 'relu', 'linear']);
    expect(net.denseWeights?.shape).toEqual([32, 1]);
    net.dispose();
  });

  it('logit = first order + dense linear + FM + DNN (checked against a plain-JS evaluation)', () => {
    const dim = 2;
    const net = new DeepFmNetwork({ numFields: 3, embeddingDim: dim, denseDim: 2 }, createRng(3), {
      hiddenUnits: [4],
    });
    const rng = createRng(5);
    const batch = 3;
    const fields = Array.from({ length: batch }, () => Array.from({ length: 3 * dim }, () => rng.normal()));
    const first = Array.from({ length: batch }, () => Array.from({ length: 3 }, () => rng.normal()));
    const dense = Array.from({ length: batch }, () => Array.from({ length: 2 }, () => rng.normal()));
    const inputs = {
      fields: tf.tensor2d(fields),
      firstOrder: tf.tensor2d(first),
      dense: tf.tensor2d(dense),
    };
    const logits = net.logits(inputs);
    const got = Array.from(logits.dataSync());

    const [l1, l2] = net.dnn.layers;
    const hidden = denseForward(
      fields.map((row, b) => [...row, ...dense[b]]),
      l1.kernel.dataSync() as Float32Array,
      l1.bias.dataSync() as Float32Array,
      true,
    );
    const deep = denseForward(
      hidden,
      l2.kernel.dataSync() as Float32Array,
      l2.bias.dataSync() as Float32Array,
      false,
    );
    const wx = net.denseWeights!.dataSync();
    for (let b = 0; b < batch; b++) {
      const f = fields[b];
      const v = [f.slice(0, 2), f.slice(2, 4), f.slice(4, 6)];
      const dot = (p: number[], q: number[]) => p[0] * q[0] + p[1] * q[1];
      const fm = dot(v[0], v[1]) + dot(v[0], v[2]) + dot(v[1], v[2]);
      const linear = first[b][0] + first[b][1] + first[b][2] + dense[b][0] * wx[0] + dense[b][1] * wx[1];
      expect(got[b]).toBeCloseTo(linear + fm + deep[b][0], 4);
    }
    tf.dispose([inputs.fields, inputs.firstOrder, inputs.dense, logits]);
    net.dispose();
  });

  it('works without a dense vector and refuses missing first-order weights', () => {
    const net = new DeepFmNetwork({ numFields: 3, embeddingDim: 2, denseDim: 0 }, createRng(3), {
      hiddenUnits: [4],
    });
    expect(net.denseWeights).toBeNull();
    const fields = tf.ones([2, 6]) as tf.Tensor2D;
    const first = tf.zeros([2, 3]) as tf.Tensor2D;
    const logits = net.logits({ fields, firstOrder: first, dense: null });
    expect(logits.shape).toEqual([2]);
    expect(() => net.logits({ fields, firstOrder: null, dense: null })).toThrow(/first-order/);
    tf.dispose([fields, first, logits]);
    net.dispose();
  });
});
