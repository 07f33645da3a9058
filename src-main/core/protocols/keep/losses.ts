/**
 * KEEP's pre-training losses (KEEP, CIKM 2022, section 4.2.2), on logits s = s_ui.
 *
 *   Eq. 1  L^point = sum_{(u,i,c)} -c log sigmoid(s_ui) - (1 - c) log(1 - sigmoid(s_ui))
 *   Eq. 2  L^pair  = sum_{(u,i,j)} log(1 + exp(-(s_ui - s_uj)))     (i, j: the same user, i with label 1, j with 0)
 *   Eq. 3  L       = L^point + alpha * L^pair
 *
 * The paper writes sums; here each term is a mean over its own samples (rows of the task's data
 * for Eq. 1, pairs for Eq. 2), so alpha weighs two per-sample averages and a batch's size does
 * not change the balance. A task with no pairs in a batch contributes 0 to Eq. 2.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../../tf/gradients';

/**
 * Eq. 1 over the rows where `mask` is 1 (conversion and add-to-cart are trained on clicked
 * impressions only), as a mean over those rows; 0 when the mask is empty.
 * softplus(s) - c s = -c log sigmoid(s) - (1 - c) log(1 - sigmoid(s)).
 * @param logits [batch]
 * @param labels [batch] 0/1
 * @param mask [batch] 0/1
 * @returns scalar
 */
export function pointLoss(logits: tf.Tensor1D, labels: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const perRow = tf.sub(tf.softplus(logits), tf.mul(logits, labels));
    const count = tf.maximum(tf.sum(mask), 1);
    return tf.div(tf.sum(tf.mul(perRow, mask)), count) as tf.Scalar;
  });
}

/**
 * Eq. 2, mean over pairs: log(1 + exp(-(s_ui - s_uj))) = softplus(s_uj - s_ui).
 * @param positiveLogits [pairs] s_ui (the item with label 1)
 * @param negativeLogits [pairs] s_uj (the same user's item with label 0)
 * @returns scalar (0 without pairs)
 */
export function pairLoss(positiveLogits: tf.Tensor1D, negativeLogits: tf.Tensor1D): tf.Scalar {
  if (positiveLogits.shape[0] !== negativeLogits.shape[0])
    throw new Error(
      `pairLoss: ${positiveLogits.shape[0]} positive but ${negativeLogits.shape[0]} negative logits`,
    );
  if (positiveLogits.shape[0] === 0) return tf.scalar(0);
  return tf.tidy(() => tf.mean(tf.softplus(tf.sub(negativeLogits, positiveLogits))) as tf.Scalar);
}

/** Eq. 3: L = L^point + alpha * L^pair. */
export function hybridLoss(point: tf.Scalar, pair: tf.Scalar, alpha: number): tf.Scalar {
  return tf.tidy(() => tf.add(point, tf.mul(pair, alpha)) as tf.Scalar);
}
