/**
 * Batch normalisation over the batch axis (Ioffe & Szegedy 2015), as PyTorch's BatchNorm1d that
 * the DAMCAR authors' towers use (DeepCTR-Torch `DNN(use_bn=True)`):
 *   training:   y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta, var_B the biased batch variance;
 *               running_mean <- (1 - m) running_mean + m mean_B,
 *               running_var  <- (1 - m) running_var  + m var_B * n / (n - 1)   (unbiased)
 *   evaluation: y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta
 * with PyTorch's defaults eps = 1e-5, m = 0.1, gamma = 1, beta = 0, running 0 / 1.
 * The training form is built from registered ops (mean, sub, square, rsqrt, mul, add), so the
 * gradient comes from autodiff; the running statistics are updated outside the gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients';

export const BATCH_NORM_EPSILON = 1e-5;
export const BATCH_NORM_MOMENTUM = 0.1;

export class BatchNorm {
  readonly units: number;
  /** [units] scale, trainable */
  readonly gamma: tf.Variable<tf.Rank.R1>;
  /** [units] shift, trainable */
  readonly beta: tf.Variable<tf.Rank.R1>;
  /** [units] running statistics, not trainable */
  readonly runningMean: tf.Variable<tf.Rank.R1>;
  readonly runningVar: tf.Variable<tf.Rank.R1>;

  constructor(units: number) {
    this.units = units;
    this.gamma = tf.tidy(() => tf.variable(tf.ones<tf.Rank.R1>([units]), true));
    this.beta = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R1>([units]), true));
    this.runningMean = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R1>([units]), false));
    this.runningVar = tf.tidy(() => tf.variable(tf.ones<tf.Rank.R1>([units]), false));
  }

  /** Trainable variables: gamma, beta. */
  variables(): tf.Variable[] {
    return [this.gamma, this.beta];
  }

  /**
   * @param x [batch, units]
   * @param training batch statistics (and a running-statistics update) or the running ones
   * @returns [batch, units]
   */
  apply(x: tf.Tensor2D, training: boolean): tf.Tensor2D {
    if (!training) {
      return tf.add(
        tf.mul(
          tf.sub(x, this.runningMean),
          tf.mul(tf.rsqrt(tf.add(this.runningVar, BATCH_NORM_EPSILON)), this.gamma),
        ),
        this.beta,
      );
    }
    const n = x.shape[0];
    const mean = tf.mean<tf.Tensor1D>(x, 0);
    const centered = tf.sub(x, mean);
    const variance = tf.mean<tf.Tensor1D>(tf.square(centered), 0);
    this.updateRunning(mean, variance, n);
    const scale = tf.mul(tf.rsqrt(tf.add(variance, BATCH_NORM_EPSILON)), this.gamma);
    return tf.add(tf.mul(centered, scale), this.beta);
  }

  /** Running statistics from the batch's (kept off the gradient: their values are read, not traced). */
  private updateRunning(mean: tf.Tensor1D, biasedVariance: tf.Tensor1D, n: number): void {
    const m = BATCH_NORM_MOMENTUM;
    const unbiased = n > 1 ? n / (n - 1) : 1;
    const nextMean = tf.tidy(() =>
      tf.add<tf.Tensor1D>(tf.mul(this.runningMean, 1 - m), tf.mul(tf.clone(mean), m)),
    );
    const nextVar = tf.tidy(() =>
      tf.add<tf.Tensor1D>(tf.mul(this.runningVar, 1 - m), tf.mul(tf.clone(biasedVariance), m * unbiased)),
    );
    this.runningMean.assign(nextMean);
    this.runningVar.assign(nextVar);
    nextMean.dispose();
    nextVar.dispose();
  }

  dispose(): void {
    this.gamma.dispose();
    this.beta.dispose();
    this.runningMean.dispose();
    this.runningVar.dispose();
  }
}
