/**
 * CP2Rec's loss terms (my reading of the abstract; the paper's equations are not available, so the
 * names below are this module's, not equation numbers):
 *
 *   biased loss      L_b   = weighted BCE of the full logit s_f + s_b against the logged label,
 *   auxiliary loss   L_aux = weighted BCE of the interest-only logit s_f: inverse-propensity weights
 *                            from the popularity proxy ('ips') or a 0/1 mask of the randomised-exposure
 *                            rows ('random'),
 *   orthogonality    L_orth = mean_{j,k} corr(z_f[:, j], z_b[:, k])^2 over the batch, with z_b detached,
 *   total            L = (1 - lambda) L_b + lambda L_aux + alpha L_orth.
 *
 * Weighted BCE is self-normalised: sum_r w_r l_r / sum_r w_r over the batch (0 when no row has
 * weight), so a 0/1 mask gives the mean over the masked rows and IPS weights give SNIPS.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../../tf/gradients';

/** Added to the column norms of the orthogonality loss so a constant column does not divide by 0. */
export const ORTHOGONALITY_EPSILON = 1e-6;

/**
 * Self-normalised weighted binary cross-entropy on logits:
 *   sum_r w_r (softplus(x_r) - x_r y_r) / sum_r w_r, and 0 when sum_r w_r = 0.
 * @param logits [batch]
 * @param targets [batch] in [0, 1]
 * @param weights [batch] >= 0 (plain data, no gradient)
 * @returns scalar
 */
export function weightedBce(logits: tf.Tensor1D, targets: tf.Tensor1D, weights: Float32Array): tf.Scalar {
  let total = 0;
  for (const w of weights) total += w;
  return tf.tidy(() => {
    if (total <= 0) return tf.mul(tf.sum(logits), 0) as tf.Scalar;
    const perRow = tf.sub(tf.softplus(logits), tf.mul(logits, targets));
    return tf.div(tf.sum(tf.mul(perRow, tf.tensor1d(weights))), total) as tf.Scalar;
  });
}

/**
 * Identity forward, zero gradient backward: the orthogonality constraint purifies the feature
 * representation and must not bend the bias representation instead.
 * @param x any shape
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.clone(input as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return op(x) as T;
}

/**
 * Columns centred over the batch and scaled to unit norm: x_j -> (x_j - mean x_j) / sqrt(||x_j - mean||^2 + eps).
 * @param x [batch, dim]
 * @returns [batch, dim]
 */
function centredUnitColumns(x: tf.Tensor2D): tf.Tensor2D {
  const centred = tf.sub(x, tf.mean(x, 0, true));
  const norms = tf.sqrt(tf.add(tf.sum(tf.square(centred), 0, true), ORTHOGONALITY_EPSILON));
  return tf.div(centred, norms) as tf.Tensor2D;
}

/**
 * Orthogonality constraint between the feature (interest) representation and the bias
 * representation: the mean squared batch correlation of every pair of their columns,
 *   L_orth = 1 / (H_f H_b) sum_{j,k} ( z~_f[:, j] . z~_b[:, k] )^2,  z~ = centredUnitColumns(z).
 * It is 0 exactly when every interest direction is uncorrelated with every bias direction over the
 * batch, 1 when they are perfectly correlated, and invariant to rescaling either representation
 * (so it cannot be met by shrinking z_f). The bias side is detached (stopGradient).
 * @param interest [batch, H_f]
 * @param bias [batch, H_b]
 * @returns scalar
 */
export function orthogonalityLoss(interest: tf.Tensor2D, bias: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    if (interest.shape[0] !== bias.shape[0]) {
      throw new Error(`orthogonalityLoss: ${interest.shape[0]} interest rows but ${bias.shape[0]} bias rows`);
    }
    const f = centredUnitColumns(interest);
    const b = centredUnitColumns(stopGradient(bias));
    // [H_f, H_b]; H is small, so transposing the [batch, H_f] side is cheap.
    const correlation = tf.matMul(tf.transpose(f), b);
    return tf.mean(tf.square(correlation)) as tf.Scalar;
  });
}

/**
 * Inverse-propensity weights from the popularity proxy (training exposure counts): the propensity
 * of row r is taken proportional to count(i_r)^eta, so w_r = count(i_r)^(-eta) / mean_r' count(i_r')^(-eta),
 * then clipped at `maxWeight` (variance control). eta = 0 gives all ones.
 * @param rowItems [rows] item of each training row
 * @param itemCount [numItems] training exposures per item (>= 1 for every item in rowItems)
 * @returns [rows]
 */
export function inversePropensityWeights(
  rowItems: Int32Array,
  itemCount: Float64Array,
  eta: number,
  maxWeight: number,
): Float32Array {
  if (!(eta >= 0)) throw new Error(`inversePropensityWeights: eta must be >= 0, got ${eta}`);
  if (!(maxWeight >= 1))
    throw new Error(`inversePropensityWeights: maxWeight must be >= 1, got ${maxWeight}`);
  const raw = new Float64Array(rowItems.length);
  let mean = 0;
  for (let r = 0; r < rowItems.length; r++) {
    const c = itemCount[rowItems[r]];
    if (!(c >= 1))
      throw new Error(`inversePropensityWeights: item ${rowItems[r]} has ${c} training exposures`);
    raw[r] = Math.pow(c, -eta);
    mean += raw[r] / rowItems.length;
  }
  return Float32Array.from(raw, (x) => Math.min(maxWeight, x / mean));
}

export interface LossWeights {
  /** Weight of the biased loss on the full logit (1 - lambda). */
  biased: number;
  /** Weight of the auxiliary unbiased loss on the interest logit (lambda; 0 = off). */
  auxiliary: number;
  /** alpha; 0 = no orthogonality constraint. */
  orthogonality: number;
}

export interface LossInputs {
  /** [batch] logit the biased loss fits (s_f + s_b, or s_f without a bias branch) */
  fullLogit: tf.Tensor1D;
  /** [batch] s_f */
  interestLogit: tf.Tensor1D;
  /** [batch, H] z_f */
  interestRepresentation: tf.Tensor2D;
  /** [batch, H] z_b, or null without a bias branch */
  biasRepresentation: tf.Tensor2D | null;
  /** [batch] logged labels */
  labels: tf.Tensor1D;
  /** [batch] weights of the biased loss (ones, or IPS weights for the IPS baseline) */
  biasedRowWeights: Float32Array;
  /** [batch] weights of the auxiliary loss (IPS weights or randomised-row mask) */
  auxiliaryRowWeights: Float32Array;
}

/**
 * The total loss and its terms.
 * @returns total scalar and [3] terms (biased, auxiliary, orthogonality), unweighted
 */
export function cp2recLoss(
  inputs: LossInputs,
  weights: LossWeights,
): { total: tf.Scalar; terms: tf.Tensor1D } {
  const biased = weightedBce(inputs.fullLogit, inputs.labels, inputs.biasedRowWeights);
  const auxiliary =
    weights.auxiliary > 0
      ? weightedBce(inputs.interestLogit, inputs.labels, inputs.auxiliaryRowWeights)
      : tf.scalar(0);
  const orthogonality =
    weights.orthogonality > 0 && inputs.biasRepresentation
      ? orthogonalityLoss(inputs.interestRepresentation, inputs.biasRepresentation)
      : tf.scalar(0);
  const total = tf.addN([
    tf.mul(biased, weights.biased),
    tf.mul(auxiliary, weights.auxiliary),
    tf.mul(orthogonality, weights.orthogonality),
  ]) as tf.Scalar;
  const terms = tf.concat([
    tf.reshape(biased, [1]),
    tf.reshape(auxiliary, [1]),
    tf.reshape(orthogonality, [1]),
  ]);
  return { total, terms: terms as tf.Tensor1D };
}
