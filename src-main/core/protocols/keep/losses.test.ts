import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../tf/backend';
import { hybridLoss, pairLoss, pointLoss } from './losses';

beforeAll(async () => {
  await initBackend('wasm');
});

const softplus = (x: number) => Math.log1p(Math.exp(x));
const value = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('KEEP pre-training losses', () => {
  it('Eq. 1: binary cross-entropy averaged over the masked rows only', () => {
    const loss = pointLoss(tf.tensor1d([0, 2, -1]), tf.tensor1d([1, 0, 1]), tf.tensor1d([1, 1, 0]));
    // -log sigmoid(0) = log 2; -log(1 - sigmoid(2)) = softplus(2); row 3 is masked out.
    expect(value(loss)).toBeCloseTo((Math.log(2) + softplus(2)) / 2, 5);
    const empty = pointLoss(tf.tensor1d([3]), tf.tensor1d([1]), tf.tensor1d([0]));
    expect(value(empty)).toBe(0);
  });

  it('Eq. 2: log(1 + exp(-(s_ui - s_uj))) averaged over pairs, with its gradient', () => {
    const loss = pairLoss(tf.tensor1d([2, 0]), tf.tensor1d([1, 1]));
    expect(value(loss)).toBeCloseTo((Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(1))) / 2, 5);
    // d/ds_ui = -sigmoid(s_uj - s_ui) / pairs: pushes the positive up, the negative down.
    const grad = tf.grad((pos: tf.Tensor) => pairLoss(pos as tf.Tensor1D, tf.tensor1d([1, 1])))(
      tf.tensor1d([2, 0]),
    );
    const g = grad.dataSync();
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    expect(g[0]).toBeCloseTo(-sigmoid(-1) / 2, 5);
    expect(g[1]).toBeCloseTo(-sigmoid(1) / 2, 5);
    grad.dispose();
    expect(value(pairLoss(tf.tensor1d([]), tf.tensor1d([])))).toBe(0);
    expect(() => pairLoss(tf.tensor1d([1]), tf.tensor1d([1, 2]))).toThrow(/1 positive but 2 negative/);
  });

  it('Eq. 3: L = L_point + alpha L_pair', () => {
    expect(value(hybridLoss(tf.scalar(0.5), tf.scalar(0.8), 0.25))).toBeCloseTo(0.7, 6);
    expect(value(hybridLoss(tf.scalar(0.5), tf.scalar(0.8), 0))).toBeCloseTo(0.5, 6);
  });
});
