/**
 * Gradient reversal layer (Ganin & Lempitsky, 2015), used by DAMCAR (Chen et al., ACM MM 2024,
 * Section 4.2, Eq. 7-8 and 11) between the encoder's representation and the domain classifier Psi:
 * the forward pass is the identity, the backward pass multiplies the incoming gradient by -lambda.
 * Minimising the domain loss through it trains Psi to separate the domains while pushing the encoder
 * to make them indistinguishable (the "- lambda_2 * L_dom" of Eq. 11 as seen by the encoder).
 */
import * as tf from '@tensorflow/tfjs-core';

const FILE = 'src-main/core/tf/grl.ts';

/**
 * Identity forward, gradient times -lambda backward.
 * @param x [...] any shape (typically [batch, dim] representations).
 * @param lambda reversal scale >= 0; 1 reverses the gradient unscaled.
 * @returns [...] same shape and values as x.
 */
export function gradientReversal<T extends tf.Tensor>(x: T, lambda = 1): T {
  if (!Number.isFinite(lambda) || lambda < 0) {
    throw new Error(`${FILE}: lambda must be a finite number >= 0, got ${lambda}`);
  }
  const reverse = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc) => {
    const tensor = input as tf.Tensor;
    return {
      value: tf.clone(tensor),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, -lambda),
    };
  });
  return reverse(x) as T;
}
