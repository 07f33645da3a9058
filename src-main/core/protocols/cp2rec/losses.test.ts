import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../tf/backend';
import { cp2recLoss, inversePropensityWeights, orthogonalityLoss, stopGradient, weightedBce } from './losses';

beforeAll(async () => {
  await initBackend('wasm');
});

function value(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

describe('weightedBce', () => {
  it('is the self-normalised weighted mean of softplus(x) - x y (hand values)', () => {
    // l0 = softplus(0) - 0 = ln 2, l1 = softplus(2) - 0 = ln(1 + e^2); (l0 + 3 l1) / 4.
    const expected = (Math.log(2) + 3 * Math.log(1 + Math.exp(2))) / 4;
    const loss = tf.tidy(() => weightedBce(tf.tensor1d([0, 2]), tf.tensor1d([1, 0]), Float32Array.of(1, 3)));
    expect(value(loss)).toBeCloseTo(expected, 5);
  });

  it('masks rows with weight 0 and is 0 when every weight is 0', () => {
    const masked = tf.tidy(() =>
      weightedBce(tf.tensor1d([0, 5]), tf.tensor1d([1, 1]), Float32Array.of(1, 0)),
    );
    expect(value(masked)).toBeCloseTo(Math.log(2), 5);
    const none = tf.tidy(() => weightedBce(tf.tensor1d([0, 5]), tf.tensor1d([1, 1]), Float32Array.of(0, 0)));
    expect(value(none)).toBe(0);
  });

  it('has gradient w (sigmoid(x) - y) / sum w', () => {
    const x = tf.tensor1d([0.3, -1.2]);
    const g = tf.grad((logits: tf.Tensor) =>
      weightedBce(logits as tf.Tensor1D, tf.tensor1d([1, 0]), Float32Array.of(2, 1)),
    )(x);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const got = Array.from(g.dataSync());
    expect(got[0]).toBeCloseTo((2 * (s(0.3) - 1)) / 3, 5);
    expect(got[1]).toBeCloseTo((1 * s(-1.2)) / 3, 5);
    x.dispose();
    g.dispose();
  });
});

describe('orthogonalityLoss', () => {
  it('is the mean squared column correlation (hand values)', () => {
    const perfect = tf.tidy(() =>
      orthogonalityLoss(tf.tensor2d([[1], [2], [3]]), tf.tensor2d([[2], [4], [6]])),
    );
    expect(value(perfect)).toBeCloseTo(1, 4);
    // centred [-1, 0, 1] and [0, -1, 1]: correlation 1 / 2, squared 1 / 4.
    const half = tf.tidy(() => orthogonalityLoss(tf.tensor2d([[1], [2], [3]]), tf.tensor2d([[1], [0], [2]])));
    expect(value(half)).toBeCloseTo(0.25, 4);
    const orthogonal = tf.tidy(() =>
      orthogonalityLoss(tf.tensor2d([[1], [2], [3]]), tf.tensor2d([[1], [-2], [1]])),
    );
    expect(value(orthogonal)).toBeCloseTo(0, 6);
    // Two interest columns against one bias column: mean of (1^2, 0.5^2).
    const mixed = tf.tidy(() =>
      orthogonalityLoss(
        tf.tensor2d([
          [2, 1],
          [4, 2],
          [6, 3],
        ]),
        tf.tensor2d([[0], [-1], [1]]),
      ),
    );
    expect(value(mixed)).toBeCloseTo((0.25 + 0.25) / 2, 4);
  });

  it('is invariant to rescaling either representation', () => {
    const zf = [
      [0.3, -1],
      [1.2, 0.4],
      [-0.5, 0.9],
      [0.1, 0.2],
    ];
    const zb = [
      [1, 0.5],
      [0.2, -0.3],
      [-0.7, 0.8],
      [0.4, 0.1],
    ];
    const base = value(tf.tidy(() => orthogonalityLoss(tf.tensor2d(zf), tf.tensor2d(zb))));
    const scaled = value(
      tf.tidy(() => orthogonalityLoss(tf.mul(tf.tensor2d(zf), 7), tf.mul(tf.tensor2d(zb), 0.1))),
    );
    expect(base).toBeGreaterThan(0.01);
    expect(scaled).toBeCloseTo(base, 4);
  });

  it('has the finite-difference gradient w.r.t. the interest side and none w.r.t. the (detached) bias side', () => {
    const zf = [0.3, -1, 1.2, 0.4, -0.5, 0.9, 0.1, 0.2, 0.7, -0.3];
    const zb = [1, 0.5, 0.2, -0.3, -0.7, 0.8, 0.4, 0.1, -0.2, 0.6];
    const lossAt = (f: number[]) =>
      value(tf.tidy(() => orthogonalityLoss(tf.tensor2d(f, [5, 2]), tf.tensor2d(zb, [5, 2]))));
    const [gf, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      orthogonalityLoss(a as tf.Tensor2D, b as tf.Tensor2D),
    )([tf.tensor2d(zf, [5, 2]), tf.tensor2d(zb, [5, 2])]);
    const analytic = Array.from(gf.dataSync());
    const h = 1e-2;
    for (let k = 0; k < zf.length; k++) {
      const plus = zf.slice();
      const minus = zf.slice();
      plus[k] += h;
      minus[k] -= h;
      expect(analytic[k]).toBeCloseTo((lossAt(plus) - lossAt(minus)) / (2 * h), 2);
    }
    expect(Array.from(gb.dataSync()).every((g) => g === 0)).toBe(true);
    expect(analytic.some((g) => Math.abs(g) > 1e-3)).toBe(true);
    gf.dispose();
    gb.dispose();
  });
});

describe('stopGradient', () => {
  it('passes values and blocks the gradient', () => {
    const x = tf.tensor1d([1, 2]);
    const y = tf.tidy(() => stopGradient(x));
    expect(Array.from(y.dataSync())).toEqual([1, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.square(stopGradient(v)), v)))(x);
    expect(Array.from(g.dataSync())).toEqual([1, 1]);
    tf.dispose([x, y, g]);
  });
});

describe('inversePropensityWeights', () => {
  it('normalises count^-eta to mean 1 and clips (hand values)', () => {
    const counts = Float64Array.of(1, 4, 16);
    const items = Int32Array.of(0, 1, 2, 2);
    // raw 1, 1/2, 1/4, 1/4 with mean 1/2.
    expect(Array.from(inversePropensityWeights(items, counts, 0.5, 100))).toEqual([2, 1, 0.5, 0.5]);
    expect(Array.from(inversePropensityWeights(items, counts, 0.5, 1.5))).toEqual([1.5, 1, 0.5, 0.5]);
    expect(Array.from(inversePropensityWeights(items, counts, 0, 10))).toEqual([1, 1, 1, 1]);
  });

  it('rejects items without training exposures and bad settings', () => {
    expect(() => inversePropensityWeights(Int32Array.of(0), Float64Array.of(0), 0.5, 10)).toThrow(/item 0/);
    expect(() => inversePropensityWeights(Int32Array.of(0), Float64Array.of(1), -1, 10)).toThrow(/eta/);
    expect(() => inversePropensityWeights(Int32Array.of(0), Float64Array.of(1), 1, 0.5)).toThrow(/maxWeight/);
  });
});

describe('cp2recLoss', () => {
  it('combines (1 - lambda) L_b(full) + lambda L_aux(interest) + alpha L_orth', () => {
    const out = tf.tidy(() => {
      const zf = tf.tensor2d([[1], [2], [3]]);
      const zb = tf.tensor2d([[1], [0], [2]]);
      const { total, terms } = cp2recLoss(
        {
          fullLogit: tf.tensor1d([1, -1, 0]),
          interestLogit: tf.tensor1d([0, 0, 2]),
          interestRepresentation: zf,
          biasRepresentation: zb,
          labels: tf.tensor1d([1, 0, 1]),
          biasedRowWeights: Float32Array.of(1, 1, 1),
          auxiliaryRowWeights: Float32Array.of(0, 1, 1),
        },
        { biased: 0.7, auxiliary: 0.3, orthogonality: 2 },
      );
      return tf.concat([tf.reshape(total, [1]), terms]);
    });
    const [total, biased, aux, orth] = Array.from(out.dataSync());
    out.dispose();
    const sp = (x: number) => Math.log(1 + Math.exp(x));
    const expectedBiased = (sp(1) - 1 + sp(-1) + sp(0) - 0) / 3;
    const expectedAux = (sp(0) + sp(2) - 2) / 2;
    expect(biased).toBeCloseTo(expectedBiased, 5);
    expect(aux).toBeCloseTo(expectedAux, 5);
    expect(orth).toBeCloseTo(0.25, 4);
    expect(total).toBeCloseTo(0.7 * expectedBiased + 0.3 * expectedAux + 2 * 0.25, 4);
  });

  it('skips the orthogonality term without a bias representation and the auxiliary term at weight 0', () => {
    const out = tf.tidy(() => {
      const { terms } = cp2recLoss(
        {
          fullLogit: tf.tensor1d([1, -1]),
          interestLogit: tf.tensor1d([3, 3]),
          interestRepresentation: tf.tensor2d([[1], [2]]),
          biasRepresentation: null,
          labels: tf.tensor1d([1, 0]),
          biasedRowWeights: Float32Array.of(1, 1),
          auxiliaryRowWeights: Float32Array.of(1, 1),
        },
        { biased: 1, auxiliary: 0, orthogonality: 5 },
      );
      return terms;
    });
    const [, aux, orth] = Array.from(out.dataSync());
    out.dispose();
    expect(aux).toBe(0);
    expect(orth).toBe(0);
  });
});
