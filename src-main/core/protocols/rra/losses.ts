/**
 * RRA's loss constructors (KDD 2023, Sec. 4.3) and serving fusion (Sec. 4.4), as tensor functions.
 *
 * Notation: s = ranking logits, ŝ = retrieval logits (inner products of a user embedding with show
 * embeddings), y = click, w_dwm = DWM weight of a click, w_ctr = the multi-class weight of an
 * impression (1 when clicked, alpha otherwise). Every loss is a mean over the batch's
 * impressions (or, for DMTL, its binary samples).
 */
import * as tf from '@tensorflow/tfjs-core';
import '../../tf/gradients';

/** Logit that removes a show from a softmax (exp underflows to exactly 0). */
export const OUTSIDE_SUPPORT = -1e9;

/** Sum of `values` over the entries where `mask` is 1, divided by `count` (a plain mean without a mask). */
function maskedMean(values: tf.Tensor, mask: tf.Tensor | null, count: number | null): tf.Scalar {
  if (!mask) return tf.mean(values);
  return tf.div(tf.sum(tf.mul(mask, values)), Math.max(1, count ?? 1));
}

/**
 * Eq. 1 (L_rank^ctr, and L_mask^ctr on retrieval logits): binary log loss of the click,
 *   -y log sigmoid(s) - (1 - y) log(1 - sigmoid(s)) = softplus(s) - y s,
 * averaged over the samples: all entries, or the entries where `mask` is 1 (divided by `count`).
 * The mask form serves the retrieval side, whose logits come as [requests, shows] and whose
 * samples (the impressed shows) are entries of that matrix.
 * @param logits any shape, e.g. [n] ranking logits or [requests, shows] retrieval logits
 * @param clicks same shape, 0/1
 * @param mask same shape, 1 on the samples (optional)
 */
export function clickLoss(
  logits: tf.Tensor,
  clicks: tf.Tensor,
  mask: tf.Tensor | null = null,
  count: number | null = null,
): tf.Scalar {
  return tf.tidy(() => maskedMean(tf.sub(tf.softplus(logits), tf.mul(logits, clicks)), mask, count));
}

/**
 * Eq. 2 (L_rank^dwm, and L_mask^dwm on retrieval logits): the click log loss with the positive
 * term weighted by the DWM weight,
 *   -w_dwm y log sigmoid(s) - (1 - y) log(1 - sigmoid(s)) = w_dwm y softplus(-s) + (1 - y) softplus(s),
 * averaged as in clickLoss. Its optimum has odds sigmoid(s) / (1 - sigmoid(s)) = E[w_dwm y] / P(y = 0):
 * the logit grows with the expected watch time (YouTube's weighted logistic regression, the paper's [4]).
 * @param logits any shape
 * @param clicks same shape, 0/1
 * @param dwmWeights same shape, w_dwm (any value where y = 0: it is multiplied by y)
 * @param mask same shape, 1 on the samples (optional)
 */
export function dwmLoss(
  logits: tf.Tensor,
  clicks: tf.Tensor,
  dwmWeights: tf.Tensor,
  mask: tf.Tensor | null = null,
  count: number | null = null,
): tf.Scalar {
  return tf.tidy(() => {
    const positive = tf.mul(tf.mul(dwmWeights, clicks), tf.softplus(tf.neg(logits)));
    const negative = tf.mul(tf.sub(1, clicks), tf.softplus(logits));
    return maskedMean(tf.add(positive, negative), mask, count);
  });
}

/**
 * Eq. 3 (weights w_ctr) and Eq. 4 (weights w_dwm): weighted multi-class softmax cross-entropy over
 * each request's candidate set,
 *   L = -(1 / count) sum_b sum_i W[b, i] log softmax(ŝ[b] + support[b])_i,
 * where row b is one request, `support` is 0 on the shows the softmax runs over (all candidates
 * for the paper's all-negative strategy, or a sampled set; log-count corrections go here too) and
 * OUTSIDE_SUPPORT elsewhere, and W holds the weight of each impressed show (0 elsewhere). One row
 * thus carries the terms of all impressions of its request, which share the softmax.
 * @param logits [requests, shows] retrieval logits ŝ
 * @param support [requests, shows]
 * @param weights [requests, shows]
 * @param count number of impressions the mean runs over
 */
export function weightedSoftmaxLoss(
  logits: tf.Tensor2D,
  support: tf.Tensor2D,
  weights: tf.Tensor2D,
  count: number,
): tf.Scalar {
  return tf.tidy(() => {
    const logProb = tf.logSoftmax(tf.add(logits, support));
    return tf.div(tf.neg(tf.sum(tf.mul(weights, logProb))), Math.max(1, count));
  });
}

/**
 * Eq. 5-6 (L_kd^ctr, L_kd^dwm): cross-entropy distillation of the ranking model's probability
 * sigmoid(s) into the retrieval logit ŝ of the same impression,
 *   -sigmoid(s) log sigmoid(ŝ) - (1 - sigmoid(s)) log(1 - sigmoid(ŝ)) = softplus(ŝ) - sigmoid(s) ŝ,
 * averaged as in clickLoss. The teacher enters as constant probabilities (computed by a
 * forward-only pass of the ranking model, or a frozen teacher's), so no gradient reaches it:
 * distillation trains the retrieval side only.
 * @param studentLogits any shape, retrieval logits ŝ
 * @param teacherProbs same shape, sigmoid(s)
 * @param mask same shape, 1 on the samples (optional)
 */
export function distillationLoss(
  studentLogits: tf.Tensor,
  teacherProbs: tf.Tensor,
  mask: tf.Tensor | null = null,
  count: number | null = null,
): tf.Scalar {
  return clickLoss(studentLogits, teacherProbs, mask, count);
}

/**
 * Eq. 7: ŝ_serve = w_serve ŝ_ctr + (1 - w_serve) ŝ_dwm, elementwise.
 */
export function fuseScores(ctr: ArrayLike<number>, dwm: ArrayLike<number>, wServe: number): Float32Array {
  if (ctr.length !== dwm.length)
    throw new Error(`fuseScores: ${ctr.length} CTR scores, ${dwm.length} DWM scores`);
  return Float32Array.from({ length: ctr.length }, (_, k) => wServe * ctr[k] + (1 - wServe) * dwm[k]);
}

/**
 * Eq. 8: u_serve = w_serve u_ctr + (1 - w_serve) u_dwm. Scores are inner products with the show
 * embeddings, so ranking by <u_serve, v> equals ranking by Eq. 7.
 * @param uCtr [users * dim]
 * @param uDwm [users * dim]
 */
export function fuseUserEmbeddings(uCtr: Float32Array, uDwm: Float32Array, wServe: number): Float32Array {
  return fuseScores(uCtr, uDwm, wServe);
}
