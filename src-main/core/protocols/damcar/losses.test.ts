import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '../../tf/gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradientReversal } from '../../tf/grl';
import {
  domainLoss,
  eq11Total,
  grlObjective,
  hybridTrainingTerms,
  labelLoss,
  meanBceWithLogits,
  modifiedPseudoLabels,
  teacherSupervisionLoss,
} from './losses';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const LN3 = Math.log(3); // sigmoid(ln 3) = 0.75, sigmoid(-ln 3) = 0.25
const value = (t: tf.Tensor): number => t.dataSync()[0];
const t1 = (values: number[]): tf.Tensor1D => tf.tensor1d(values);

describe('DAMCAR stage-one losses (Eq. 6, 8, 10, 11)', () => {
  it('Eq. 6: BCE of the label generator on source samples', () => {
    // -(ln 0.5 + ln(1 - 0.75)) / 2 = (ln 2 + ln 4) / 2 = 1.0397208
    expect(value(labelLoss(t1([0, LN3]), t1([1, 0])))).toBeCloseTo(1.0397208, 5);
  });

  it('Eq. 8: source labelled 1, target labelled 0, each side averaged over its own samples', () => {
    // Source dhat = [0.75, 0.5], target dhat = [0.25]:
    // -(ln 0.75 + ln 0.5) / 2 - ln(1 - 0.25) = 0.4904146 + 0.2876821 = 0.7780967.
    // (Swapped domain labels give 2.4260151; one mean over all three samples gives 0.4228371.)
    expect(value(domainLoss(t1([LN3, 0]), t1([-LN3])))).toBeCloseTo(0.7780967, 5);
  });

  it('Eq. 8: a side with no sample in the batch contributes 0', () => {
    expect(value(domainLoss(t1([LN3]), t1([])))).toBeCloseTo(-Math.log(0.75), 5);
    expect(value(domainLoss(t1([]), t1([-LN3])))).toBeCloseTo(-Math.log(0.75), 5);
  });

  it('Eq. 10: the teacher probability is a soft BCE target for the student', () => {
    // -(0.2 ln 0.5 + 0.8 ln 0.5 + 0.9 ln 0.75 + 0.1 ln 0.25) / 2 = 0.5453452
    expect(value(teacherSupervisionLoss(t1([0, LN3]), t1([0.2, 0.9])))).toBeCloseTo(0.5453452, 5);
  });

  it('Eq. 11: L_ce + lambda1 * L_sup - lambda2 * L_dom, and the GRL objective with + lambda2', () => {
    const terms = { ce: tf.scalar(1.0397208), sup: tf.scalar(0.5453452), dom: tf.scalar(0.7780967) };
    const weights = { lambda1: 0.5, lambda2: 0.2 };
    // 1.0397208 + 0.5 * 0.5453452 - 0.2 * 0.7780967 = 1.1567741
    expect(value(eq11Total(terms, weights))).toBeCloseTo(1.1567741, 5);
    // 1.0397208 + 0.5 * 0.5453452 + 0.2 * 0.7780967 = 1.4680127
    expect(value(grlObjective(terms, weights))).toBeCloseTo(1.4680127, 5);
  });

  it('with a GRL in front of Psi, minimising grlObjective gives the encoder the gradient of Eq. 11 and Psi that of lambda2 * L_dom', () => {
    const xs = tf.tensor2d([
      [0.5, -1.0],
      [1.5, 0.3],
      [-0.4, 0.8],
    ]);
    const ys = t1([1, 0, 1]);
    const xt = tf.tensor2d([
      [0.2, 0.9],
      [-1.1, 0.4],
    ]);
    const teacher = t1([0.7, 0.1]);
    const weights = { lambda1: 0.6, lambda2: 0.3 };
    // Encoder: z = tanh(x * W); Phi logit = z . a; Psi logit = z . c (g omitted: identity).
    const terms = (W: tf.Tensor, a: tf.Tensor, c: tf.Tensor, reverse: boolean) => {
      const zs = tf.tanh(tf.mul(xs, W));
      const zt = tf.tanh(tf.mul(xt, W));
      const toPsi = (z: tf.Tensor) => (reverse ? gradientReversal(z, 1) : z);
      const logits = (z: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(z, v), 1) as tf.Tensor1D;
      return {
        ce: labelLoss(logits(zs, a), ys),
        sup: teacherSupervisionLoss(logits(zt, a), teacher),
        dom: domainLoss(logits(toPsi(zs), c), logits(toPsi(zt), c)),
      };
    };
    const W = t1([0.8, -0.6]);
    const a = t1([1.2, 0.4]);
    const c = t1([-0.7, 0.9]);
    const [gW, , gc] = tf.grads((w: tf.Tensor, av: tf.Tensor, cv: tf.Tensor) =>
      grlObjective(terms(w, av, cv, true), weights),
    )([W, a, c]);
    const [eq11W] = tf.grads((w: tf.Tensor, av: tf.Tensor, cv: tf.Tensor) =>
      eq11Total(terms(w, av, cv, false), weights),
    )([W, a, c]);
    const domC = tf.grad((cv: tf.Tensor) => tf.mul(terms(W, a, cv, false).dom, weights.lambda2))(c);
    const gWv = gW.dataSync();
    const eq11Wv = eq11W.dataSync();
    for (let k = 0; k < 2; k++) expect(gWv[k]).toBeCloseTo(eq11Wv[k], 5);
    const gcv = gc.dataSync();
    const domCv = domC.dataSync();
    for (let k = 0; k < 2; k++) {
      expect(Math.abs(domCv[k])).toBeGreaterThan(1e-4);
      expect(gcv[k]).toBeCloseTo(domCv[k], 5);
    }
  });

  it('does not leak tensors', () => {
    const logits = t1([0.1, -0.2]);
    const targets = t1([1, 0]);
    const before = tf.memory().numTensors;
    const loss = meanBceWithLogits(logits, targets);
    const dom = domainLoss(logits, targets);
    expect(tf.memory().numTensors).toBe(before + 2);
    loss.dispose();
    dom.dispose();
  });
});

describe('Eq. 12 modified pseudo-labels', () => {
  it('sets exposed positives to 1 and keeps the pseudo-label everywhere else', () => {
    const pseudo = Float32Array.from([0.3, 0.6, 0.2, 0.9]);
    const exposed = Uint8Array.from([1, 1, 0, 0]);
    // exposed positive -> 1; exposed negative -> its pseudo-label (not 0); unexposed -> pseudo-label,
    // whatever its label field holds.
    const labels = Float32Array.from([1, 0, 1, 0]);
    expect(Array.from(modifiedPseudoLabels(pseudo, exposed, labels))).toEqual([
      1,
      pseudo[1],
      pseudo[2],
      pseudo[3],
    ]);
  });

  it('rejects a non-binary label on an exposed sample and mismatched lengths', () => {
    expect(() =>
      modifiedPseudoLabels(Float32Array.from([0.5]), Uint8Array.from([1]), Float32Array.from([0.5])),
    ).toThrow(/damcar\/losses\.ts: labels\[0\] = 0\.5/);
    expect(() =>
      modifiedPseudoLabels(Float32Array.from([0.5]), Uint8Array.from([1, 0]), new Float32Array(1)),
    ).toThrow(/equal length/);
  });
});

describe('Eq. 13-17 hybrid training loss', () => {
  it('is BCE against y_mpl plus lambda3 times the squared gap to the ranking score', () => {
    // yhat_ret = [0.5, 0.75], y_mpl = [1, 0.4], y_rank = [0.2, 0.9]
    // L_mpl = -(ln 0.5 + 0.4 ln 0.75 + 0.6 ln 0.25) / 2 = 0.8199983
    // L_con = ((0.2 - 0.5)^2 + (0.9 - 0.75)^2) / 2 = 0.05625
    // L_train = 0.8199983 + 0.3 * 0.05625 = 0.8368733
    const terms = hybridTrainingTerms(t1([0, LN3]), t1([1, 0.4]), t1([0.2, 0.9]), 0.3);
    expect(value(terms.mpl)).toBeCloseTo(0.8199983, 5);
    expect(value(terms.con)).toBeCloseTo(0.05625, 6);
    expect(value(terms.total)).toBeCloseTo(0.8368733, 5);
  });

  it('has the gradient of Eq. 17 with respect to the retrieval logits', () => {
    // d/dx [BCE(y, s(x)) + l3 (r - s(x))^2] / n = [(s - y) + l3 * 2 (s - r) s (1 - s)] / n
    const logits = t1([0, LN3]);
    const mpl = [1, 0.4];
    const rank = [0.2, 0.9];
    const g = tf
      .grad((x: tf.Tensor) => hybridTrainingTerms(x as tf.Tensor1D, t1(mpl), t1(rank), 0.3).total)(logits)
      .dataSync();
    const s = [0.5, 0.75];
    for (let k = 0; k < 2; k++) {
      const expected = (s[k] - mpl[k] + 0.3 * 2 * (s[k] - rank[k]) * s[k] * (1 - s[k])) / 2;
      expect(g[k]).toBeCloseTo(expected, 5);
    }
  });

  it('rejects mismatched batch sizes', () => {
    expect(() => hybridTrainingTerms(t1([0, 1]), t1([1]), t1([0, 1]), 0.3)).toThrow(
      /retrievalLogits and mplTargets/,
    );
  });
});
