/** Loss functions on logits, written for few ops per call. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Binary cross-entropy on logits, mean over the batch:
 *   l(x, y) = softplus(x) - x * y  =  -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]
 * Targets may be soft (in [0, 1]). softplus is evaluated stably by the backends, and its
 * gradient sigmoid(x) - y is exact everywhere (the max(x, 0) + log1p(exp(-|x|)) form has a wrong
 * subgradient at x = 0 in tfjs, where step(0) = sign(0) = 0).
 * @param logits [batch]
 * @param targets [batch]
 * @returns scalar
 */
export function sigmoidBce(logits: tf.Tensor1D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(tf.softplus(logits), tf.mul(logits, targets))));
}
