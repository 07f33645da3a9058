import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import './gradients';
import { gradientReversal } from './grl';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('gradientReversal', () => {
  it('is the identity in the forward pass', () => {
    const x = tf.tensor2d([
      [1, -2, 3],
      [0.5, 4, -1],
    ]);
    const y = gradientReversal(x, 0.7);
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
  });

  it('multiplies the gradient by -lambda compared with the same graph without it', () => {
    const x = tf.tensor1d([0.3, -1.2, 2.0]);
    const w = tf.tensor1d([1.5, -0.5, 0.25]);
    // A nonlinear loss, so the gradient depends on x: sum(sigmoid(w * x)^2).
    const loss = (features: tf.Tensor) => tf.sum(tf.square(tf.sigmoid(tf.mul(w, features))));
    const plain = tf.grad(loss)(x).dataSync();
    for (const lambda of [1, 0.2, 3]) {
      const reversed = tf
        .grad((input: tf.Tensor) => loss(gradientReversal(input, lambda)))(x)
        .dataSync();
      for (let k = 0; k < plain.length; k++) {
        expect(plain[k]).not.toBe(0);
        expect(reversed[k]).toBeCloseTo(-lambda * plain[k], 6);
      }
    }
  });

  it('only reverses what flows through it', () => {
    // d/dx [x * a + grl(x) * b] = a - lambda * b.
    const x = tf.scalar(2);
    const g = tf.grad((input: tf.Tensor) =>
      tf.add(tf.mul(input, 3), tf.mul(gradientReversal(input, 0.5), 4)),
    )(x);
    expect(g.dataSync()[0]).toBeCloseTo(3 - 0.5 * 4, 6);
  });

  it('rejects a negative lambda', () => {
    expect(() => gradientReversal(tf.scalar(1), -1)).toThrow(/grl\.ts: lambda/);
  });
});
