import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../tf/backend';
import {
  OUTSIDE_SUPPORT,
  clickLoss,
  distillationLoss,
  dwmLoss,
  fuseScores,
  fuseUserEmbeddings,
  weightedSoftmaxLoss,
} from './losses';

beforeAll(async () => {
  await initBackend('wasm');
});

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const value = (t: tf.Scalar): number => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('Eq. 1: binary click loss', () => {
  it('is -y log σ(s) - (1 - y) log(1 - σ(s)), averaged', () => {
    const s = [1.2, -0.4, 0.3];
    const y = [1, 0, 1];
    const expected = s.reduce((acc, x, k) => acc - (y[k] ? Math.log(sig(x)) : Math.log(1 - sig(x))), 0) / 3;
    expect(value(clickLoss(tf.tensor1d(s), tf.tensor1d(y)))).toBeCloseTo(expected, 5);
  });

  it('with a mask averages the masked entries over `count` (L_mask on retrieval logits)', () => {
    const logits = tf.tensor2d([
      [0.5, -1, 2],
      [1, 0.2, -0.3],
    ]);
    const clicks = tf.tensor2d([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    const mask = tf.tensor2d([
      [1, 1, 0],
      [0, 0, 1],
    ]);
    const expected = (-Math.log(sig(0.5)) - Math.log(1 - sig(-1)) - Math.log(sig(-0.3))) / 3;
    expect(value(clickLoss(logits, clicks, mask, 3))).toBeCloseTo(expected, 5);
  });
});

describe('Eq. 2: DWM-weighted binary loss', () => {
  it('weights only the positive term by w_dwm', () => {
    const s = [0.7, -0.2, 1.5];
    const y = [1, 0, 1];
    const w = [2.5, 9, 0.4];
    const expected = (-2.5 * Math.log(sig(0.7)) - Math.log(1 - sig(-0.2)) - 0.4 * Math.log(sig(1.5))) / 3;
    expect(value(dwmLoss(tf.tensor1d(s), tf.tensor1d(y), tf.tensor1d(w)))).toBeCloseTo(expected, 5);
  });

  it('has its optimum where the odds equal the expected weighted clicks over non-clicks', async () => {
    // Two positives (weights 3 and 1) and one negative at one logit: odds* = (3 + 1) / 1.
    const logit = tf.variable(tf.scalar(0));
    const y = tf.tensor1d([1, 1, 0]);
    const w = tf.tensor1d([3, 1, 0]);
    const optimizer = tf.train.sgd(0.5);
    for (let k = 0; k < 400; k++) {
      optimizer.minimize(() => dwmLoss(tf.mul(tf.ones([3]), logit) as tf.Tensor1D, y, w));
    }
    expect(Math.exp((await logit.data())[0])).toBeCloseTo(4, 2);
    logit.dispose();
    optimizer.dispose();
  });
});

describe('Eq. 3-4: weighted multi-class softmax over the candidate set', () => {
  it('sums -W log softmax over each row restricted to its support, divided by the impression count', () => {
    const logits = [
      [1, 2, 0.5, -1],
      [0.3, -0.2, 0.8, 1.1],
    ];
    const support = [
      [0, 0, 0, OUTSIDE_SUPPORT],
      [0, 0, OUTSIDE_SUPPORT, 0],
    ];
    // Row 0: impressions on shows 1 (clicked, weight 1) and 2 (not clicked, alpha = 0.5).
    // Row 1: impression on show 3 (clicked).
    const weights = [
      [0, 1, 0.5, 0],
      [0, 0, 0, 1],
    ];
    const logSoftmax = (row: number[], keep: boolean[], i: number): number => {
      const z = row.reduce((acc, x, k) => acc + (keep[k] ? Math.exp(x) : 0), 0);
      return row[i] - Math.log(z);
    };
    const keep0 = [true, true, true, false];
    const keep1 = [true, true, false, true];
    const expected =
      -(
        1 * logSoftmax(logits[0], keep0, 1) +
        0.5 * logSoftmax(logits[0], keep0, 2) +
        logSoftmax(logits[1], keep1, 3)
      ) / 3;
    const loss = weightedSoftmaxLoss(tf.tensor2d(logits), tf.tensor2d(support), tf.tensor2d(weights), 3);
    expect(value(loss)).toBeCloseTo(expected, 5);
  });

  it('with w_ctr = 0 ignores non-clicked impressions (the vanilla retrieval task)', () => {
    const logits = tf.tensor2d([[0.1, 0.9, -0.5]]);
    const support = tf.zeros([1, 3]) as tf.Tensor2D;
    const clicksOnly = weightedSoftmaxLoss(logits, support, tf.tensor2d([[1, 0, 0]]), 2);
    const withImpression = weightedSoftmaxLoss(logits, support, tf.tensor2d([[1, 0.5, 0]]), 2);
    const z = Math.exp(0.1) + Math.exp(0.9) + Math.exp(-0.5);
    expect(value(clicksOnly)).toBeCloseTo(-(0.1 - Math.log(z)) / 2, 5);
    expect(value(withImpression)).toBeGreaterThan(-(0.1 - Math.log(z)) / 2);
  });
});

describe('Eq. 5-6: distillation', () => {
  it('is the cross-entropy of σ(ŝ) against the teacher probability σ(s)', () => {
    const student = [0.4, -1.1];
    const teacher = [sig(2), sig(-0.5)];
    const expected =
      (-(teacher[0] * Math.log(sig(0.4)) + (1 - teacher[0]) * Math.log(1 - sig(0.4))) -
        (teacher[1] * Math.log(sig(-1.1)) + (1 - teacher[1]) * Math.log(1 - sig(-1.1)))) /
      2;
    expect(value(distillationLoss(tf.tensor1d(student), tf.tensor1d(teacher)))).toBeCloseTo(expected, 5);
  });

  it('has gradient (σ(ŝ) - σ(s)) / n with respect to the student logits', () => {
    const teacher = tf.tensor1d([sig(1), sig(-2)]);
    const grad = tf.grad((x: tf.Tensor) => distillationLoss(x, teacher))(tf.tensor1d([0.3, 0.7]));
    const g = grad.dataSync();
    expect(g[0]).toBeCloseTo((sig(0.3) - sig(1)) / 2, 5);
    expect(g[1]).toBeCloseTo((sig(0.7) - sig(-2)) / 2, 5);
  });
});

describe('Eq. 7-8: serving fusion', () => {
  it('mixes the CTR and DWM scores with w_serve', () => {
    expect(Array.from(fuseScores([1, 2], [3, -1], 0.25))).toEqual([
      0.25 * 1 + 0.75 * 3,
      0.25 * 2 + 0.75 * -1,
    ]);
  });

  it('fusing user embeddings (Eq. 8) gives the same scores as fusing the scores (Eq. 7)', () => {
    const uCtr = Float32Array.from([0.5, -1, 2]);
    const uDwm = Float32Array.from([1.5, 0.25, -0.5]);
    const v = [0.2, 0.4, -0.3];
    const dot = (u: ArrayLike<number>): number => u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    const w = 0.3;
    const fromEmbedding = dot(fuseUserEmbeddings(uCtr, uDwm, w));
    const fromScores = fuseScores([dot(uCtr)], [dot(uDwm)], w)[0];
    expect(fromEmbedding).toBeCloseTo(fromScores, 5);
    expect(fromEmbedding).not.toBeCloseTo(dot(uCtr), 2);
  });
});
