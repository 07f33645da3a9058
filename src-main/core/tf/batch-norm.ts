/**
 * Batch normalisation over the batch axis (Ioffe & Szegedy 2015), as PyTorch's BatchNorm1d that
 * the DAMCAR authors' towers use (DeepCTR-Torch `DNN(use_bn=True)`):
 *   training:   y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta, var_B the biased batch variance;
 *               running_mean <- (1 - m) running_mean + m mean_B,
 *               running_var  <- (1 - m) running_var  + m var_B * n / (n - 1)   (unbiased)
 *   evaluation: y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta
 * with PyTorch's defaults eps = 1e-5, m = 0.1, gamma = 1, beta = 0, running 0 / 1.
 * The training form is one custom-gradient node (hand-written backward, tested against finite
 * differences and the autodiff of the plain formula): column sums are [1, n] x [n, units]
 * products with ones, because reductions over the batch axis transpose first on wasm (several
 * times slower, see dense.ts). Backward, with xhat = (x - mean) * inv, inv = 1 / sqrt(var + eps):
 *   dbeta = sum_rows dy,  dgamma = sum_rows dy * xhat,
 *   dx = inv / n * (n dxhat - sum_rows dxhat - xhat * sum_rows(dxhat * xhat)),  dxhat = dy * gamma.
 * The running statistics are updated outside the gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients';
import { explicitTransposes } from './kernel-choice';
import {
  type NativeBackend,
  fusedBatchNormGrad,
  fusedBatchNormTraining,
  nativeBackend,
} from './tensorflow-ops';

export const BATCH_NORM_EPSILON = 1e-5;
export const BATCH_NORM_MOMENTUM = 0.1;

/**
 * Column sums: a [1, n] x [n, units] product on wasm and the JavaScript backend (where a sum over
 * axis 0 transposes first), a sum elsewhere (kernel-choice.ts).
 * @param x [n, units]
 * @returns [1, units]
 */
function columnSums(x: tf.Tensor2D): tf.Tensor2D {
  return explicitTransposes() ? tf.matMul(tf.ones([1, x.shape[0]]), x) : tf.sum(x, 0, true);
}

/**
 * Batch mean and biased variance of each column.
 * @param x [n, units]
 * @returns mean [units], variance [units]
 */
export function batchMoments(x: tf.Tensor2D): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const n = x.shape[0];
  const mean = tf.div(columnSums(x), n);
  const variance = tf.div(columnSums(tf.square(tf.sub(x, mean)) as tf.Tensor2D), n);
  return { mean: tf.reshape(mean, [-1]), variance: tf.reshape(variance, [-1]) };
}

/**
 * Training-mode batch normalisation with the hand-written gradient of the file comment.
 * @param x [n, units]
 * @param gamma [units]
 * @param beta [units]
 * @returns [n, units]
 */
export function batchNormTraining(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const input = xIn as tf.Tensor2D;
    const n = input.shape[0];
    const mean = tf.div(columnSums(input), n);
    const centered = tf.sub(input, mean);
    const inv = tf.rsqrt(
      tf.add(tf.div(columnSums(tf.square(centered) as tf.Tensor2D), n), BATCH_NORM_EPSILON),
    );
    const xhat = tf.mul(centered, inv);
    save([xhat, inv, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhatSaved, invSaved, gammaSaved] = saved;
        const dy2 = dy as tf.Tensor2D;
        const dbeta = tf.reshape(columnSums(dy2), [-1]);
        const dgamma = tf.reshape(columnSums(tf.mul(dy2, xhatSaved) as tf.Tensor2D), [-1]);
        const dxhat = tf.mul(dy2, gammaSaved) as tf.Tensor2D;
        const inner = tf.sub(
          tf.sub(tf.mul(dxhat, n), columnSums(dxhat)),
          tf.mul(xhatSaved, columnSums(tf.mul(dxhat, xhatSaved) as tf.Tensor2D)),
        );
        return [tf.mul(inner, tf.div(invSaved, n)), dgamma, dbeta];
      },
    };
  });
  return op(x, gamma, beta) as tf.Tensor2D;
}

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
    const native = nativeBackend();
    if (native) return this.applyNative(native, x);
    const { mean, variance } = batchMoments(x);
    this.updateRunning(mean, variance, n);
    return batchNormTraining(x, this.gamma, this.beta);
  }

  /**
   * Training mode on native TensorFlow: TensorFlow's fused kernels forward and backward
   * (tensorflow-ops.ts); the forward kernel also moves the running statistics, by the formula of
   * the file comment (replacing the eight tfjs kernels of updateRunning).
   * @param x [batch, units]
   */
  private applyNative(native: NativeBackend, x: tf.Tensor2D): tf.Tensor2D {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xIn, g, b] = args as tf.Tensor[];
      const save = args[3] as tf.GradSaveFunc;
      const out = fusedBatchNormTraining(
        native,
        xIn as tf.Tensor2D,
        g as tf.Tensor1D,
        b as tf.Tensor1D,
        BATCH_NORM_EPSILON,
        {
          mean: this.runningMean,
          variance: this.runningVar,
          momentum: BATCH_NORM_MOMENTUM,
        },
      );
      // Assigning keeps the kernel's outputs alive past this node's tidy (the variables hold them).
      this.runningMean.assign(out.running.mean);
      this.runningVar.assign(out.running.variance);
      save([g, ...out.saved]);
      return {
        value: out.y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [gammaSaved, ...rest] = saved;
          return fusedBatchNormGrad(
            native,
            dy as tf.Tensor2D,
            gammaSaved as tf.Tensor1D,
            rest,
            BATCH_NORM_EPSILON,
          );
        },
      };
    });
    return op(x, this.gamma, this.beta) as tf.Tensor2D;
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
