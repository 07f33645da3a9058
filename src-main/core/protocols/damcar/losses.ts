/**
 * Loss functions of DAMCAR (Chen et al., "Mitigating Sample Selection Bias with Robust Domain
 * Adaption in Multimedia Recommendation", ACM MM 2024), Sections 4.2-4.3 and Algorithm 1, as pure
 * functions of tensors. Models and training loops live elsewhere; these only compose the equations.
 *
 * Notation. Source domain S_exp: exposed samples (u, i, y, e = 1). Target domain S_sam: sampled
 * unexposed samples (u, i, e = 0), see graph/random-walk.ts. z = E(u, i) is the encoder output (Eq. 4).
 * Phi is the label generator and Psi the domain classifier, each a single layer with a sigmoid
 * (Section 5.1.5); they see g(z^s) for source samples and z^t for target samples (Eq. 5, 7).
 * All functions here take LOGITS (the pre-sigmoid outputs of Phi, Psi, Ret) and use the numerically
 * stable forms -log sigmoid(x) = softplus(-x) and -log(1 - sigmoid(x)) = softplus(x).
 *
 * Equations as implemented (means are over the samples of the batch in the named set; a set with no
 * sample in the batch contributes 0):
 *   Eq. 6   L_ce   = -mean_{S_exp} [ y^s log yhat^s + (1 - y^s) log(1 - yhat^s) ],  yhat^s = Phi(g(z^s))
 *   Eq. 8   L_dom  = -mean_{S_exp} log dhat^s - mean_{S_sam} log(1 - dhat^t),
 *                    dhat^s = Psi(g(z^s)), dhat^t = Psi(z^t): Psi predicts "source" (label 1 for exposed,
 *                    0 for sampled unexposed); both terms come from Psi. (The authors' code took the
 *                    target term from the teacher's label prediction; not reproduced.)
 *   Eq. 10  L_sup  = -mean_{S_sam} [ y_tea^t log yhat^t + (1 - y_tea^t) log(1 - yhat^t) ],
 *                    yhat^t = Phi(z^t) of the student, y_tea^t the EMA teacher's probability (a constant).
 *   Eq. 11  L_total = L_ce + lambda1 * L_sup - lambda2 * L_dom   (paper defaults in the authors' code:
 *                    lambda1 = 0.5, lambda2 = 0.2; Table 4 grid: lambda1 in 0.5..0.9, lambda2 in 0.1..0.5).
 *           Eq. 11 is the encoder's objective; Psi itself minimises L_dom. With a gradient reversal
 *           layer of scale 1 between the representation and Psi (tf/grl.ts), one minimisation of
 *           L_ce + lambda1 * L_sup + lambda2 * L_dom (`grlObjective`) gives Psi the gradient of
 *           lambda2 * L_dom and the encoder the gradient of Eq. 11. `eq11Total` returns Eq. 11's value.
 *   Eq. 12  y_mpl = 1 for exposed samples with y^s = 1; yhat (the stage-one pseudo-label) otherwise,
 *           i.e. also for exposed negatives (they keep yhat^s, not 0) and for every target sample.
 *   Eq. 13  yhat_ret = Ret(u, i) = sigmoid(retrieval logit).
 *   Eq. 14  L_mpl  = -mean_{S_T} [ y_mpl log yhat_ret + (1 - y_mpl) log(1 - yhat_ret) ],  S_T = S_exp u S_sam
 *   Eq. 15  y_rank = Rank(u, i), the pre-trained ranking model's probability (a constant).
 *   Eq. 16  L_con  = mean_{S_T} (y_rank - yhat_ret)^2
 *   Eq. 17  L_train = L_mpl + lambda3 * L_con   (authors' default lambda3 = 0.3; Table 4 grid 0.1..0.5).
 */
import * as tf from '@tensorflow/tfjs-core';

const FILE = 'src-main/core/protocols/damcar/losses.ts';

function checkSameLength(a: tf.Tensor, b: tf.Tensor, what: string): void {
  if (a.rank !== 1 || b.rank !== 1 || a.shape[0] !== b.shape[0]) {
    throw new Error(
      `${FILE}: ${what} must be two [batch] tensors of equal length, got [${a.shape}] and [${b.shape}]`,
    );
  }
}

function checkWeight(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${FILE}: ${name} must be a finite number >= 0, got ${value}`);
}

/**
 * Mean binary cross-entropy between sigmoid(logits) and (possibly soft) targets, stable form
 * max(x, 0) - x * y + log(1 + exp(-|x|)); 0 for an empty batch.
 * @param logits [batch]
 * @param targets [batch] in [0, 1]
 * @returns [] scalar
 */
export function meanBceWithLogits(logits: tf.Tensor1D, targets: tf.Tensor1D): tf.Scalar {
  checkSameLength(logits, targets, 'logits and targets');
  return tf.tidy(() => {
    if (logits.shape[0] === 0) return tf.scalar(0);
    // softplus(x) - x*y: stable, and unlike relu/abs forms its gradient is right at x = 0.
    return tf.mean(tf.sub(tf.softplus(logits), tf.mul(logits, targets))) as tf.Scalar;
  });
}

/**
 * Eq. 6: label-generator loss on the source domain.
 * @param sourceLabelLogits [nSource] logits of Phi(g(z^s))
 * @param sourceLabels [nSource] ground truth y^s in {0, 1}
 * @returns [] scalar L_ce
 */
export function labelLoss(sourceLabelLogits: tf.Tensor1D, sourceLabels: tf.Tensor1D): tf.Scalar {
  return meanBceWithLogits(sourceLabelLogits, sourceLabels);
}

/**
 * Eq. 8 as written: BCE of the domain classifier with source = 1 and target = 0, each side averaged
 * over its own samples.
 * @param sourceDomainLogits [nSource] logits of Psi(g(z^s)) (after the gradient reversal layer)
 * @param targetDomainLogits [nTarget] logits of Psi(z^t) (after the gradient reversal layer)
 * @returns [] scalar L_dom
 */
export function domainLoss(sourceDomainLogits: tf.Tensor1D, targetDomainLogits: tf.Tensor1D): tf.Scalar {
  if (sourceDomainLogits.rank !== 1 || targetDomainLogits.rank !== 1) {
    throw new Error(
      `${FILE}: domain logits must be [batch] tensors, got [${sourceDomainLogits.shape}] and [${targetDomainLogits.shape}]`,
    );
  }
  return tf.tidy(() => {
    // -log dhat^s = softplus(-x_s);  -log(1 - dhat^t) = softplus(x_t)
    const source =
      sourceDomainLogits.shape[0] > 0 ? tf.mean(tf.softplus(tf.neg(sourceDomainLogits))) : tf.scalar(0);
    const target = targetDomainLogits.shape[0] > 0 ? tf.mean(tf.softplus(targetDomainLogits)) : tf.scalar(0);
    return tf.add(source, target) as tf.Scalar;
  });
}

/**
 * Eq. 10: the EMA teacher's probabilities supervise the student's target-domain pseudo-labels.
 * @param studentTargetLogits [nTarget] logits of the student's Phi(z^t)
 * @param teacherTargetProbs [nTarget] y_tea^t = sigmoid of the teacher's Phi(z^t); a constant target:
 *   tfjs has no stop-gradient, so compute it outside the gradient function or keep the teacher's
 *   variables out of the list passed to tf.variableGrads (create them with trainable = false).
 * @returns [] scalar L_sup
 */
export function teacherSupervisionLoss(
  studentTargetLogits: tf.Tensor1D,
  teacherTargetProbs: tf.Tensor1D,
): tf.Scalar {
  return meanBceWithLogits(studentTargetLogits, teacherTargetProbs);
}

export interface StageOneWeights {
  /** Weight of L_sup (Eq. 11). */
  lambda1: number;
  /** Weight of L_dom (Eq. 11). */
  lambda2: number;
}

export interface StageOneTerms {
  /** [] L_ce (Eq. 6) */
  ce: tf.Scalar;
  /** [] L_sup (Eq. 10) */
  sup: tf.Scalar;
  /** [] L_dom (Eq. 8) */
  dom: tf.Scalar;
}

/**
 * Eq. 11's value: L_ce + lambda1 * L_sup - lambda2 * L_dom (for reporting; to train, minimise
 * `grlObjective` with a gradient reversal layer in front of Psi).
 * @returns [] scalar
 */
export function eq11Total(terms: StageOneTerms, weights: StageOneWeights): tf.Scalar {
  checkWeight(weights.lambda1, 'lambda1');
  checkWeight(weights.lambda2, 'lambda2');
  return tf.tidy(
    () =>
      tf.sub(
        tf.add(terms.ce, tf.mul(terms.sup, weights.lambda1)),
        tf.mul(terms.dom, weights.lambda2),
      ) as tf.Scalar,
  );
}

/**
 * What to minimise in stage one when Psi's input passes through `gradientReversal(·, 1)`:
 * L_ce + lambda1 * L_sup + lambda2 * L_dom. Psi descends lambda2 * L_dom; the encoder, whose L_dom
 * gradient is reversed, descends Eq. 11.
 * @returns [] scalar
 */
export function grlObjective(terms: StageOneTerms, weights: StageOneWeights): tf.Scalar {
  checkWeight(weights.lambda1, 'lambda1');
  checkWeight(weights.lambda2, 'lambda2');
  return tf.tidy(
    () =>
      tf.add(
        tf.add(terms.ce, tf.mul(terms.sup, weights.lambda1)),
        tf.mul(terms.dom, weights.lambda2),
      ) as tf.Scalar,
  );
}

/**
 * Eq. 12, computed once after stage one (Algorithm 1, line 9) over all of S_T.
 * @param pseudoLabels [n] yhat in [0, 1] from the label generator for every sample of S_T
 * @param exposed [n] e: 1 for source (exposed) samples, 0 for target samples
 * @param labels [n] y^s in {0, 1} where exposed; ignored where not exposed
 * @returns [n] y_mpl
 */
export function modifiedPseudoLabels(
  pseudoLabels: Float32Array,
  exposed: Uint8Array,
  labels: Float32Array,
): Float32Array {
  const n = pseudoLabels.length;
  if (exposed.length !== n || labels.length !== n) {
    throw new Error(
      `${FILE}: pseudoLabels (${n}), exposed (${exposed.length}) and labels (${labels.length}) must have equal length`,
    );
  }
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const yhat = pseudoLabels[k];
    if (!(yhat >= 0 && yhat <= 1)) throw new Error(`${FILE}: pseudoLabels[${k}] = ${yhat} is not in [0, 1]`);
    if (exposed[k] !== 0 && exposed[k] !== 1)
      throw new Error(`${FILE}: exposed[${k}] = ${exposed[k]} is not 0 or 1`);
    if (exposed[k] === 1) {
      const y = labels[k];
      if (y !== 0 && y !== 1)
        throw new Error(`${FILE}: labels[${k}] = ${y} of an exposed sample is not 0 or 1`);
      out[k] = y === 1 ? 1 : yhat;
    } else {
      out[k] = yhat;
    }
  }
  return out;
}

export interface HybridTerms {
  /** [] L_mpl (Eq. 14) */
  mpl: tf.Scalar;
  /** [] L_con (Eq. 16) */
  con: tf.Scalar;
  /** [] L_train = L_mpl + lambda3 * L_con (Eq. 17) */
  total: tf.Scalar;
}

/**
 * Eq. 13-17 for one batch of S_T. The caller owns the three returned scalars.
 * @param retrievalLogits [batch] Ret(u, i) before the sigmoid (Eq. 13)
 * @param mplTargets [batch] y_mpl from Eq. 12
 * @param rankingScores [batch] y_rank = Rank(u, i) in [0, 1] (Eq. 15), a constant target (precomputed
 *   by the frozen ranking model; see teacherSupervisionLoss on keeping constants out of the gradient)
 * @param lambda3 weight of L_con (Eq. 17)
 */
export function hybridTrainingTerms(
  retrievalLogits: tf.Tensor1D,
  mplTargets: tf.Tensor1D,
  rankingScores: tf.Tensor1D,
  lambda3: number,
): HybridTerms {
  checkWeight(lambda3, 'lambda3');
  checkSameLength(retrievalLogits, mplTargets, 'retrievalLogits and mplTargets');
  checkSameLength(retrievalLogits, rankingScores, 'retrievalLogits and rankingScores');
  return tf.tidy(() => {
    const mpl = meanBceWithLogits(retrievalLogits, mplTargets);
    const con =
      retrievalLogits.shape[0] > 0
        ? (tf.mean(tf.squaredDifference(rankingScores, tf.sigmoid(retrievalLogits))) as tf.Scalar)
        : tf.scalar(0);
    const total = tf.add(mpl, tf.mul(con, lambda3)) as tf.Scalar;
    return { mpl, con, total };
  });
}
