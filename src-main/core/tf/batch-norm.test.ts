import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { NATIVE_TENSORFLOW_TESTED, nativeTitle } from './native-test-support';
import { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, BatchNorm, batchNormTraining } from './batch-norm';

beforeAll(async () => {
  await initBackend('wasm');
});

// Two units, four rows: column 0 has mean 2.5 and biased variance 1.25; column 1 mean 0, var 5.
const X = [
  [1, -3],
  [2, -1],
  [3, 1],
  [4, 3],
];

describe('BatchNorm (PyTorch BatchNorm1d)', () => {
  it('training mode normalises by the batch (biased variance) and updates the running statistics (unbiased)', () => {
    const bn = new BatchNorm(2);
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => Array.from(bn.apply(tf.tensor2d(X), true).dataSync()));
    expect(tf.memory().numTensors).toBe(before);
    const expected = X.flatMap(([a, b]) => [
      (a - 2.5) / Math.sqrt(1.25 + BATCH_NORM_EPSILON),
      b / Math.sqrt(5 + BATCH_NORM_EPSILON),
    ]);
    y.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 5));
    const m = BATCH_NORM_MOMENTUM;
    expect(Array.from(bn.runningMean.dataSync())).toEqual([expect.closeTo(m * 2.5, 6), expect.closeTo(0, 6)]);
    // Unbiased batch variance: 1.25 * 4 / 3 and 5 * 4 / 3.
    const rv = Array.from(bn.runningVar.dataSync());
    expect(rv[0]).toBeCloseTo((1 - m) * 1 + (m * (1.25 * 4)) / 3, 6);
    expect(rv[1]).toBeCloseTo((1 - m) * 1 + (m * (5 * 4)) / 3, 6);
    bn.dispose();
  });

  it('evaluation mode uses the running statistics and changes nothing', () => {
    const bn = new BatchNorm(2);
    bn.runningMean.assign(tf.tensor1d([1, -1]));
    bn.runningVar.assign(tf.tensor1d([4, 0.25]));
    bn.gamma.assign(tf.tensor1d([2, 1]));
    bn.beta.assign(tf.tensor1d([0.5, 0]));
    const y = tf.tidy(() => Array.from(bn.apply(tf.tensor2d(X), false).dataSync()));
    const expected = X.flatMap(([a, b]) => [
      (2 * (a - 1)) / Math.sqrt(4 + BATCH_NORM_EPSILON) + 0.5,
      (b + 1) / Math.sqrt(0.25 + BATCH_NORM_EPSILON),
    ]);
    y.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 4));
    expect(Array.from(bn.runningMean.dataSync())).toEqual([1, -1]);
    // The same rows in training mode give other values (batch statistics).
    const train = tf.tidy(() => Array.from(bn.apply(tf.tensor2d(X), true).dataSync()));
    expect(train[0]).not.toBeCloseTo(y[0], 2);
    bn.dispose();
  });

  it("training mode's gradient matches finite differences (through the batch mean and variance)", () => {
    const bn = new BatchNorm(2);
    bn.gamma.assign(tf.tensor1d([1.5, 0.7]));
    const weights = tf.tensor2d([
      [0.3, -1.2],
      [2.0, 0.4],
      [-0.5, 1.1],
      [0.9, 0.2],
    ]);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(tf.square(bn.apply(x as tf.Tensor2D, true)), weights));
    const x = tf.tensor2d(X);
    const grad = tf.tidy(() => Array.from(tf.grad(loss)(x).dataSync()));
    const flat = X.flat();
    const h = 1e-2;
    const valueAt = (values: number[]) => tf.tidy(() => loss(tf.tensor2d(values, [4, 2])).dataSync()[0]);
    flat.forEach((_, k) => {
      const plus = [...flat];
      const minus = [...flat];
      plus[k] += h;
      minus[k] -= h;
      expect(grad[k]).toBeCloseTo((valueAt(plus) - valueAt(minus)) / (2 * h), 2);
    });
    tf.dispose([x, weights]);
    bn.dispose();
  });

  it('the hand-written gradient equals autodiff of the plain formula for x, gamma and beta', () => {
    const plain = (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => {
      const mean = tf.mean(x, 0);
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), 0);
      return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, BATCH_NORM_EPSILON))), gamma), beta);
    };
    const x = tf.tensor2d([0.3, -1, 2, 0.5, 1.5, -0.2, 0.8, 0.1, -0.7, 1.1, 0.4, -1.3], [4, 3]);
    const gamma = tf.tensor1d([1.2, 0.6, -0.9]);
    const beta = tf.tensor1d([0.1, -0.3, 0.2]);
    const weights = tf.tensor2d([1, -2, 0.5, 0.3, 1.1, -0.4, 2, 0.2, 0.7, -1, 0.6, 1.4], [4, 3]);
    const lossOf = (f: typeof plain) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.square(f(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D)), weights));
    const expected = tf
      .grads(lossOf(plain))([x, gamma, beta])
      .map((t) => Array.from(t.dataSync()));
    const got = tf
      .grads(lossOf(batchNormTraining))([x, gamma, beta])
      .map((t) => Array.from(t.dataSync()));
    got.forEach((values, k) =>
      values.forEach((v, j) => expect(v, `input ${k}[${j}]`).toBeCloseTo(expected[k][j], 4)),
    );
    const y = Array.from(batchNormTraining(x, gamma, beta).dataSync());
    Array.from(plain(x, gamma, beta).dataSync()).forEach((v, j) => expect(y[j]).toBeCloseTo(v, 5));
  });
});

describe.skipIf(!NATIVE_TENSORFLOW_TESTED)(nativeTitle('BatchNorm on native TensorFlow'), () => {
  afterAll(async () => {
    await initBackend('wasm');
  });

  it("TensorFlow's fused kernels give the tfjs-op path's output, gradients and running statistics", async () => {
    expect((await initBackend('tensorflow')).backend).toBe('tensorflow');
    const x = tf.tidy(() =>
      tf.add(tf.mul(tf.randomNormal([16, 5], 0, 1, 'float32', 4), 3), 1),
    ) as tf.Tensor2D;
    const dy = tf.randomNormal([16, 5], 0, 1, 'float32', 5);
    const bn = new BatchNorm(5);
    tf.tidy(() => {
      bn.gamma.assign(tf.tensor1d([1, 2, 0.5, -1, 3]));
      bn.beta.assign(tf.tensor1d([0, 0.1, -0.2, 0.3, 1]));
    });
    const before = tf.memory().numTensors;
    const [native, reference] = [
      (a: tf.Tensor, _g: tf.Tensor, _b: tf.Tensor) => bn.apply(a as tf.Tensor2D, true),
      (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        batchNormTraining(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D),
    ].map((forward) =>
      tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(forward(a, g, b), dy)),
        )([x, bn.gamma, bn.beta]);
        return [value, ...grads].map((t) => Array.from(t.dataSync()));
      }),
    );
    expect(tf.memory().numTensors).toBe(before);
    native.forEach((values, k) => values.forEach((v, j) => expect(v).toBeCloseTo(reference[k][j], 4)));
    // The fused forward's moments moved the running statistics as batchMoments would.
    const moments = tf.moments(x, 0);
    const n = 16;
    const m = BATCH_NORM_MOMENTUM;
    const mean = Array.from(moments.mean.dataSync());
    const variance = Array.from(moments.variance.dataSync());
    Array.from(bn.runningMean.dataSync()).forEach((v, j) => expect(v).toBeCloseTo(m * mean[j], 5));
    Array.from(bn.runningVar.dataSync()).forEach((v, j) =>
      expect(v).toBeCloseTo(1 - m + (m * variance[j] * n) / (n - 1), 4),
    );
    tf.dispose([x, dy, moments.mean, moments.variance]);
    bn.dispose();
  });
});
