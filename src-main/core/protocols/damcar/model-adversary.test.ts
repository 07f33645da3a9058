import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../random';
import { initBackend } from '../../tf/backend';
import { Mlp } from '../../tf/dense';
import {
  type AdversaryMode,
  adversarialDomainLoss,
  boundedDomainLoss,
  reversalCoefficient,
  sideLogits,
  stopGradient,
} from './model-adversary';
import { domainLoss } from './losses';

beforeAll(async () => {
  await initBackend('wasm');
});

function values(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync());
}

describe('adversary', () => {
  it('boundedDomainLoss: Eq. 8 terms for samples Psi gets right, constant for fooled ones', () => {
    const source = tf.tensor1d([2, -1.5, 0.5]); // the second is fooled (called target)
    const target = tf.tensor1d([1.2, -0.7]); // the first is fooled (called source)
    const [gs, gt] = tf.grads((s: tf.Tensor, t: tf.Tensor) =>
      boundedDomainLoss(s as tf.Tensor1D, t as tf.Tensor1D),
    )([source, target]);
    const [ps, pt] = tf.grads((s: tf.Tensor, t: tf.Tensor) => domainLoss(s as tf.Tensor1D, t as tf.Tensor1D))(
      [source, target],
    );
    const [bs, bt, qs, qt] = [gs, gt, ps, pt].map(values);
    expect(Math.abs(bs[1])).toBe(0);
    expect(Math.abs(bt[0])).toBe(0);
    for (const k of [0, 2]) expect(bs[k]).toBeCloseTo(qs[k], 6);
    expect(bt[1]).toBeCloseTo(qt[1], 6);
    // Value: fooled samples count as Psi at chance.
    const value = boundedDomainLoss(source, target).dataSync()[0];
    const sp = (x: number) => Math.log1p(Math.exp(x));
    expect(value).toBeCloseTo((sp(-2) + sp(0) + sp(-0.5)) / 3 + (sp(0) + sp(-0.7)) / 2, 5);
    tf.dispose([source, target, gs, gt, ps, pt]);
  });

  it('stopGradient passes values and blocks gradients', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(v), v), v)))(x);
    // d/dx [c * x + x] with c = x held constant = x + 1.
    expect(values(grad)).toEqual(Float32Array.from([2, 3, 4]));
    tf.dispose([x, grad]);
  });

  it('adversarialDomainLoss: Eq. 8 value; the classifier descends Eq. 8, the features ascend it (bounded: to chance)', () => {
    const rng = createRng(5);
    const classifier = new Mlp(4, [1], createRng(9));
    const source = tf.tensor2d(
      Array.from({ length: 12 }, () => rng.normal()),
      [3, 4],
    );
    const target = tf.tensor2d(
      Array.from({ length: 8 }, () => rng.normal()),
      [2, 4],
    );
    const logits = (h: tf.Tensor) => tf.reshape(classifier.apply(h as tf.Tensor2D), [-1]) as tf.Tensor1D;
    const vars = classifier.variables();
    const gradsOf = (loss: (s: tf.Tensor, t: tf.Tensor) => tf.Scalar) =>
      tf.tidy(() => {
        const f = (s: tf.Tensor, t: tf.Tensor, ...w: tf.Tensor[]) => {
          void w;
          return loss(s, t);
        };
        return tf
          .grads(f)([source, target, ...vars])
          .map(values);
      });
    const plain = gradsOf((s, t) => domainLoss(logits(s), logits(t)));
    const bounded = gradsOf((s, t) => boundedDomainLoss(logits(s), logits(t)));
    for (const mode of ['unbounded', 'bounded'] as AdversaryMode[]) {
      const value = tf.tidy(() => adversarialDomainLoss(classifier, source, target, mode).dataSync()[0]);
      const expected = tf.tidy(() => domainLoss(logits(source), logits(target)).dataSync()[0]);
      expect(value, mode).toBeCloseTo(expected, 6);
      const got = gradsOf((s, t) =>
        adversarialDomainLoss(classifier, s as tf.Tensor2D, t as tf.Tensor2D, mode),
      );
      // Classifier: the plain Eq. 8 gradient in both modes.
      for (let k = 2; k < got.length; k++)
        got[k].forEach((g, j) => expect(g, `${mode} w${k}[${j}]`).toBeCloseTo(plain[k][j], 5));
      // Features: reversed, of Eq. 8 or of its bounded form.
      const reference = mode === 'unbounded' ? plain : bounded;
      for (const k of [0, 1])
        got[k].forEach((g, j) => expect(g, `${mode} x${k}[${j}]`).toBeCloseTo(-reference[k][j], 5));
    }
    // The bound is active on these random inputs (so the two modes really differ).
    expect(bounded[0]).not.toEqual(plain[0]);
    // A missing domain is allowed.
    const onlySource = tf.tidy(
      () => adversarialDomainLoss(classifier, source, null, 'bounded').dataSync()[0],
    );
    expect(Number.isFinite(onlySource)).toBe(true);
    tf.dispose([source, target]);
    classifier.dispose();
  });
});

describe('sideLogits', () => {
  it('is the classifier on each side, values and gradients, with absent sides empty', () => {
    const classifier = new Mlp(4, [5, 1], createRng(3));
    const source = tf.randomNormal([3, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const target = tf.randomNormal([2, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const apply = (h: tf.Tensor2D): tf.Tensor2D => classifier.apply(h);
    const weighted = (s: tf.Tensor1D, t: tf.Tensor1D): tf.Scalar =>
      tf.add(tf.sum(tf.mul(s, [1, -2, 3])), tf.sum(tf.mul(t, [0.5, 4])));
    const lossOf =
      (stacked: boolean) =>
      (s: tf.Tensor, t: tf.Tensor): tf.Scalar => {
        const [a, b] = stacked
          ? sideLogits(apply, s as tf.Tensor2D, t as tf.Tensor2D)
          : [
              tf.reshape(apply(s as tf.Tensor2D), [-1]) as tf.Tensor1D,
              tf.reshape(apply(t as tf.Tensor2D), [-1]) as tf.Tensor1D,
            ];
        return weighted(a, b);
      };
    const [sl, tl] = sideLogits(apply, source, target);
    expect(sl.shape).toEqual([3]);
    expect(tl.shape).toEqual([2]);
    const expected = tf.grads(lossOf(false))([source, target]).map(values);
    const got = tf.grads(lossOf(true))([source, target]).map(values);
    got.forEach((g, k) => g.forEach((v, j) => expect(v, `input ${k}[${j}]`).toBeCloseTo(expected[k][j], 6)));
    const kernel = classifier.layers[0].kernel;
    const kernelGrad = (stacked: boolean): Float32Array =>
      values(tf.variableGrads(() => lossOf(stacked)(source, target), [kernel]).grads[kernel.name]);
    const reference = kernelGrad(false);
    kernelGrad(true).forEach((v, j) => expect(v, `kernel[${j}]`).toBeCloseTo(reference[j], 6));
    const close = (got: tf.Tensor, want: tf.Tensor): void =>
      values(got).forEach((v, j) => expect(v).toBeCloseTo(values(want)[j], 6));
    close(sideLogits(apply, source, null)[0], sl);
    close(sideLogits(apply, null, target)[1], tl);
    close(sl, tf.reshape(apply(source), [-1]));
    close(tl, tf.reshape(apply(target), [-1]));
    expect(sideLogits(apply, source, null)[1].shape).toEqual([0]);
    expect(sideLogits(apply, null, null).map((t) => t.shape)).toEqual([[0], [0]]);
    classifier.dispose();
  });
});

describe('ramped reversal (DANN schedule)', () => {
  it('reversalCoefficient is 2 / (1 + exp(-10 p)) - 1: 0, 0.98661, 0.99991 at p = 0, 0.5, 1', () => {
    expect(reversalCoefficient(0)).toBe(0);
    expect(reversalCoefficient(0.5)).toBeCloseTo(0.986614, 6);
    expect(reversalCoefficient(1)).toBeCloseTo(0.9999092, 7);
    expect(reversalCoefficient(0.1)).toBeCloseTo(2 / (1 + Math.exp(-1)) - 1, 9);
  });

  it("scales only the features' reversed gradient by the coefficient; the classifier learns Eq. 8 in full", () => {
    const rng = createRng(6);
    const classifier = new Mlp(3, [1], createRng(2));
    const source = tf.tensor2d(
      Array.from({ length: 9 }, () => rng.normal()),
      [3, 3],
    );
    const target = tf.tensor2d(
      Array.from({ length: 6 }, () => rng.normal()),
      [2, 3],
    );
    const vars = classifier.variables();
    const gradsAt = (mode: AdversaryMode, progress: number) =>
      tf.tidy(() =>
        tf
          .grads((s: tf.Tensor, t: tf.Tensor, ...w: tf.Tensor[]) => {
            void w;
            return adversarialDomainLoss(classifier, s as tf.Tensor2D, t as tf.Tensor2D, mode, progress);
          })([source, target, ...vars])
          .map(values),
      );
    const literal = gradsAt('unbounded', 0.3);
    const ramped = gradsAt('ramped', 0.3);
    const start = gradsAt('ramped', 0);
    const c = reversalCoefficient(0.3);
    for (const k of [0, 1]) {
      ramped[k].forEach((g, j) => expect(g).toBeCloseTo(c * literal[k][j], 5));
      start[k].forEach((g) => expect(g).toBeCloseTo(0, 7));
    }
    for (let k = 2; k < literal.length; k++)
      ramped[k].forEach((g, j) => expect(g).toBeCloseTo(literal[k][j], 6));
    tf.dispose([source, target]);
    classifier.dispose();
  });
});
