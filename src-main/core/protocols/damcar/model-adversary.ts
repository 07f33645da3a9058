/**
 * The adversary shared by DAMCAR's label generator (model.ts) and the AR baseline (method-ar.ts):
 * a domain classifier Psi minimises the domain loss (DAMCAR Eq. 8) while the feature extractor
 * maximises it through gradient reversal (tf/grl.ts).
 *
 * With a linear Psi on unbounded (ReLU or linear) features, "maximise Eq. 8" has no finite
 * optimum: the extractor can grow its features so that Psi's logits become arbitrarily wrong.
 * Under Adagrad at lr 0.01 (the papers' optimiser) this diverges within a few steps on the
 * simulator (measured: L_dom ~ 1e3 and the label loss ~ 1e2 after 10 steps). So two forms:
 *   'unbounded'  the plain GRL, Eq. 11 literally;
 *   'bounded'    Psi's update is unchanged (Eq. 8 on features held fixed), but the extractor gets
 *                Eq. 8's reversed gradient only for the samples Psi still classifies right: each
 *                logit is clipped at 0 on the fooled side (`boundedDomainLoss`). The extractor
 *                drives Psi to chance on every sample, making the domains "indistinguishable" as
 *                the DAMCAR paper puts it, and has no reason to go further. Ours: the paper does
 *                not describe it.
 *   'ramped'     the plain GRL with the reversal coefficient of DANN (Ganin et al., JMLR 2016,
 *                section 5.2.2), lambda_p = 2 / (1 + exp(-10 p)) - 1 over the training progress
 *                p in [0, 1]: 0 at the start, 0.987 at p = 0.5, 0.9999 at the end. The classifier
 *                learns Eq. 8 at full weight; the extractor's reversed gradient is scaled by
 *                lambda_p, the standard stabiliser of gradient reversal in that literature.
 * The DAMCAR authors' code is stable for another reason: its target-domain domain loss reads the
 * teacher's output instead of the domain head, so that term has no gradient (a defect we do not copy).
 *
 * The default, 'bounded', was chosen by measurement (DAMCAR with the authors' DSSM on the default
 * output of shared/fidelity/gen_wechat_like.py, seeds 1-3, per-epoch L_dom and R@100 on the test
 * split's feeds, with our DeepFM as the ranking model, the default then; README "Fidelity"):
 *   unbounded  L_dom 65-278 in epoch 1 (L_ce 14-65: the label head is wrecked), then ~0.01 (the
 *              classifier wins: the domains end perfectly separable); R@100 0.0702 +- 0.0211
 *   ramped     L_dom 2.9-7.4 in epochs 1-2, then 0.03-1.7; R@100 0.1078 +- 0.0236
 *   bounded    L_dom 1.40-1.58 every epoch, at chance (2 ln 2 = 1.39: "indistinguishable", the
 *              paper's aim), L_ce falling 0.59 -> 0.52; R@100 0.0899 +- 0.0001
 * against the authors' code's 0.1008 +- 0.0159 (10 seeds, 0.0741-0.1241). Only 'bounded' is
 * stable over seeds and reaches the paper's stated end state; 'ramped' scores higher on average
 * but swings as much as theirs. The model.ts tests pin the literal form's divergence.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ChoiceParamSpec } from '../../../contract/api';
import { type Mlp, denseLayer } from '../../tf/dense';
import { gradientReversal } from '../../tf/grl';
import { domainLoss } from './losses';

/** How the feature extractor opposes the domain classifier (see the file comment). */
export type AdversaryMode = 'bounded' | 'unbounded' | 'ramped';

export const ADVERSARY_MODES: readonly AdversaryMode[] = ['bounded', 'unbounded', 'ramped'];

/**
 * DANN's reversal coefficient at training progress p (Ganin et al. 2016, Eq. 14 of section 5.2.2):
 * 2 / (1 + exp(-gamma p)) - 1 with gamma = 10.
 * @param progress p in [0, 1]: the share of the training steps done
 */
export function reversalCoefficient(progress: number): number {
  const p = Math.min(1, Math.max(0, progress));
  return 2 / (1 + Math.exp(-10 * p)) - 1;
}

/**
 * Identity forward, zero gradient backward (tfjs has no stop-gradient op).
 * @param x [...] any shape
 * @returns [...] the same values
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.clone(input as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return op(x) as T;
}

/**
 * Eq. 8 as the bounded adversary's encoder sees it: source logits clipped below at 0 and target
 * logits clipped above at 0, so a sample Psi already gets wrong (source called target or vice
 * versa) adds a constant and no gradient; the others add exactly their Eq. 8 term.
 * @param sourceDomainLogits [nSource]
 * @param targetDomainLogits [nTarget]
 * @returns [] scalar
 */
export function boundedDomainLoss(
  sourceDomainLogits: tf.Tensor1D,
  targetDomainLogits: tf.Tensor1D,
): tf.Scalar {
  return tf.tidy(() =>
    domainLoss(
      tf.maximum(sourceDomainLogits, 0) as tf.Tensor1D,
      tf.minimum(targetDomainLogits, 0) as tf.Tensor1D,
    ),
  );
}

/**
 * Logits of the source and the target rows from one application of `apply` to both stacked, split
 * back (empty for an absent side). `apply` treats rows independently (dense layers, gradient
 * reversal, stop-gradient), so this is `apply` on each side; but its matmuls see one shape per
 * batch size instead of one per source/target split, which changes every step, and native
 * TensorFlow's oneDNN kernels keep a primitive for every shape they see
 * (docs/performance-history.md, "Memory").
 * @param apply maps [n, dim] to [n, 1]
 * @param source [nSource, dim] or null
 * @param target [nTarget, dim] or null
 * @returns [nSource], [nTarget]
 */
export function sideLogits(
  apply: (h: tf.Tensor2D) => tf.Tensor2D,
  source: tf.Tensor2D | null,
  target: tf.Tensor2D | null,
): [tf.Tensor1D, tf.Tensor1D] {
  const logitsOf = (h: tf.Tensor2D): tf.Tensor1D => tf.reshape(apply(h), [-1]);
  if (!source || !target) {
    const empty = tf.tensor1d([]);
    if (source) return [logitsOf(source), empty];
    return [empty, target ? logitsOf(target) : empty];
  }
  const numSource = source.shape[0];
  const logits = logitsOf(tf.concat([source, target], 0));
  const [sourceLogits, targetLogits] = tf.split(logits, [numSource, logits.shape[0] - numSource]);
  return [sourceLogits as tf.Tensor1D, targetLogits as tf.Tensor1D];
}

/**
 * The domain loss with the adversary's gradients in one scalar: its value is Eq. 8 of
 * `classifier` (logits) on the two feature sets; minimising it (times a weight lambda) trains the
 * classifier on Eq. 8 and gives the features the reversed gradient of Eq. 8 ('unbounded'), of Eq. 8
 * scaled by reversalCoefficient(progress) ('ramped') or of `boundedDomainLoss` ('bounded'), times
 * lambda.
 * @param classifier maps [n, dim] features to [n, 1] logits
 * @param source [nSource, dim] source features, or null when the batch has none
 * @param target [nTarget, dim] target features, or null when the batch has none
 * @param progress share of the training steps done, in [0, 1] (read by 'ramped' only)
 * @returns [] scalar
 */
export function adversarialDomainLoss(
  classifier: Mlp,
  source: tf.Tensor2D | null,
  target: tf.Tensor2D | null,
  mode: AdversaryMode,
  progress = 1,
): tf.Scalar {
  if (mode === 'unbounded' || mode === 'ramped') {
    const coefficient = mode === 'ramped' ? reversalCoefficient(progress) : 1;
    const reversed = (h: tf.Tensor2D) => classifier.apply(gradientReversal(h, coefficient));
    return domainLoss(...sideLogits(reversed, source, target));
  }
  // The classifier learns Eq. 8 on features it cannot move ...
  const own = (h: tf.Tensor2D) => classifier.apply(stopGradient(h));
  const classifierLoss = domainLoss(...sideLogits(own, source, target));
  // ... and the features get the bounded term's reversed gradient through a copy of the
  // classifier that does not move.
  const frozen = (h: tf.Tensor2D): tf.Tensor2D =>
    classifier.layers.reduce(
      (x, layer) => denseLayer(x, stopGradient(layer.kernel), stopGradient(layer.bias), layer.activation),
      gradientReversal(h, 1),
    );
  const extractorLoss = boundedDomainLoss(...sideLogits(frozen, source, target));
  return tf.add(classifierLoss, tf.sub(extractorLoss, stopGradient(extractorLoss))) as tf.Scalar;
}

/** The `adversary` parameter of DAMCAR and AR (default 'bounded'). */
export const ADVERSARY_PARAM: ChoiceParamSpec = {
  kind: 'choice',
  key: 'adversary',
  label: 'Adversary',
  help:
    "'unbounded' = plain gradient reversal, Eq. 11 literally: the feature extractor maximises the domain loss " +
    "without limit (diverges with Adagrad at lr 0.01). 'ramped' = the same with DANN's reversal coefficient " +
    "2 / (1 + exp(-10 p)) - 1 over training progress p (Ganin et al. 2016). 'bounded' (ours) = the domain " +
    'classifier learns as before, but the extractor only pushes it to chance on each sample, not beyond.',
  default: 'bounded',
  options: [
    { value: 'bounded', label: 'bounded: push the classifier to chance (ours)' },
    { value: 'unbounded', label: 'unbounded: plain GRL (Eq. 11)' },
    { value: 'ramped', label: 'ramped: GRL with DANN schedule' },
  ],
};
