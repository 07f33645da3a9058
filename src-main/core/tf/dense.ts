/**
 * Dense layers (tf.Variable weights) and the Adagrad optimizer for them.
 *
 * Each layer is one custom-gradient node on the tape: forward = matmul + bias + activation (one
 * fused kernel at inference; tfjs runs it as three kernels while a gradient is being taken),
 * backward = two matmuls with explicit transposes and a bias sum.
 * Explicit transposes matter on wasm, where matMul with a transpose flag is about 10x slower
 * than transposing first; tfjs' own fused-matmul gradient uses the flags. On native TensorFlow
 * every part is one TensorFlow kernel instead (nativeDenseLayer).
 *
 * The optimizer is the same Adagrad as the embedding tables (embedding.ts), PyTorch's form:
 * G <- G + g^2, w <- w - lr * g / (sqrt(G) + eps), G starting at 0, eps = 1e-10. (tf.train.adagrad
 * differs: eps inside the root and an initial accumulator of 0.1.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random';
import './gradients';
import { ADAGRAD_DEFAULTS, type AdagradOptions } from './embedding';
import { BatchNorm } from './batch-norm';
import { explicitTransposes, reluGradient } from './kernel-choice';
import {
  type NativeBackend,
  NativeResourceVariable,
  nativeBackend,
  nativeBiasAdd,
  nativeBiasAddGrad,
  nativeMatMul,
  nativeRelu,
  nativeReluGrad,
  resourceApplyAdagrad,
} from './tensorflow-ops';

export type Activation = 'relu' | 'linear';

export interface DenseLayer {
  /** [inputDim, units] */
  kernel: tf.Variable<tf.Rank.R2>;
  /** [units] */
  bias: tf.Variable<tf.Rank.R1>;
  activation: Activation;
}

/**
 * y = activation(x W + b) with a hand-written gradient:
 *   dz = dy * [y > 0] (relu) or dy (linear);  dx = dz W^T;  dW = x^T dz;  db = sum_rows dz.
 *
 * Cost notes (measured on wasm, where these dominate a training step after the matmuls):
 * - dW needs one of x [batch, in] or dz [batch, out] transposed (transposes of activations are
 *   slow on wasm: 10 ms for [4096, 300]); the narrower one is transposed, and when that is dz
 *   the small [out, in] result is transposed back: dW = (dz^T x)^T.
 * - db is a [1, batch] x [batch, out] product with ones: tf.sum over axis 0 transposes first on
 *   wasm (6.6 to 18 ms for [4096, 300], against under 1 ms for the product).
 * @param x [batch, in]
 * @param kernel [in, out]
 * @param bias [out]
 * @returns [batch, out]
 */
export function denseLayer(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  activation: Activation,
): tf.Tensor2D {
  const native = nativeBackend();
  if (native) return nativeDenseLayer(native, x, kernel, bias, activation);
  // tfjs types customGrad's arguments as (Tensor | GradSaveFunc)[]; the last one is the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, w, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const y = tf.fused.matMul({ a: xIn as tf.Tensor2D, b: w as tf.Tensor2D, bias: b, activation });
    save([xIn, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xSaved, wSaved, ySaved] = saved;
        const dz = activation === 'relu' ? reluGradient(dy, ySaved) : dy;
        const [inDim, outDim] = wSaved.shape;
        if (!explicitTransposes()) {
          // WebGPU reads transposed operands in the matmul kernel itself.
          const dx = tf.matMul(dz, wSaved, false, true);
          const dw = tf.matMul(xSaved, dz, true, false);
          return [dx, dw, tf.sum(dz, 0)];
        }
        const dx = tf.matMul(dz, tf.transpose(wSaved));
        const dw =
          inDim <= outDim
            ? tf.matMul(tf.transpose(xSaved), dz)
            : tf.transpose(tf.matMul(tf.transpose(dz), xSaved));
        const db = tf.reshape(tf.matMul(tf.ones([1, dz.shape[0]]), dz), [outDim]);
        return [dx, dw, db];
      },
    };
  });
  return op(x, kernel, bias) as tf.Tensor2D;
}

/**
 * denseLayer on native TensorFlow, each part one TensorFlow kernel (tensorflow-ops.ts): forward
 * a matmul, BiasAdd (and Relu); backward (ReluGrad,) a matmul with b transposed for dx, one with
 * a transposed for dW, BiasAddGrad for db. tfjs would run each 2-D matMul between three Reshapes
 * and the bias as a broadcasting Add.
 * @param x [batch, in]
 * @param kernel [in, out]
 * @param bias [out]
 * @returns [batch, out]
 */
function nativeDenseLayer(
  native: NativeBackend,
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  activation: Activation,
): tf.Tensor2D {
  const relu = activation === 'relu';
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, w, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const z = nativeBiasAdd(native, nativeMatMul(native, xIn, w, false, false), b);
    const y = relu ? nativeRelu(native, z) : z;
    save(relu ? [xIn, w, y] : [xIn, w]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xSaved, wSaved, ySaved] = saved;
        const dz = relu ? nativeReluGrad(native, dy, ySaved) : dy;
        return [
          nativeMatMul(native, dz, wSaved, false, true),
          nativeMatMul(native, xSaved, dz, true, false),
          nativeBiasAddGrad(native, dz),
        ];
      },
    };
  });
  return op(x, kernel, bias) as tf.Tensor2D;
}

/** Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let k = 0; k < out.length; k++) out[k] = rng.uniformIn(-limit, limit);
  return out;
}

/**
 * How a layer's weights start: 'glorot' = Glorot-uniform kernels and zero biases (ours);
 * 'normal' = DeepCTR-Torch's DNN as the DAMCAR authors use it, kernels N(0, initStd) and PyTorch's
 * nn.Linear bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 */
export type MlpInit = 'glorot' | 'normal';

export interface MlpOptions {
  /** Activation of the hidden layers (default relu). */
  hiddenActivation?: Activation;
  /** Activation of the last layer (default linear, so outputs can be negative). */
  outputActivation?: Activation;
  /** Batch normalisation between each layer's affine map and its activation (default off). */
  batchNorm?: boolean;
  /** Default 'glorot'. */
  init?: MlpInit;
  /** Kernel std for init 'normal' (default 1e-4, DeepCTR-Torch's init_std). */
  initStd?: number;
}

/** Stack of dense layers, optionally batch-normalised (seeded initialisation, see MlpInit). */
export class Mlp {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly layers: DenseLayer[];
  /** One per layer when batch normalisation is on, else empty. */
  readonly norms: BatchNorm[];

  constructor(inputDim: number, units: number[], rng: Rng, options: MlpOptions = {}) {
    if (units.length === 0) throw new Error('Mlp needs at least one layer');
    this.inputDim = inputDim;
    this.outputDim = units[units.length - 1];
    const hidden = options.hiddenActivation ?? 'relu';
    const output = options.outputActivation ?? 'linear';
    const init = options.init ?? 'glorot';
    const initStd = options.initStd ?? 1e-4;
    let fanIn = inputDim;
    this.layers = units.map((fanOut, k) => {
      if (!Number.isInteger(fanOut) || fanOut < 1)
        throw new Error(`Mlp: layer ${k} units must be an integer >= 1, got ${fanOut}`);
      const rows = fanIn;
      const values =
        init === 'glorot'
          ? glorotUniform(fanIn, fanOut, rng)
          : Float32Array.from({ length: fanIn * fanOut }, () => rng.normal(0, initStd));
      const bound = 1 / Math.sqrt(fanIn);
      const biasValues =
        init === 'glorot'
          ? new Float32Array(fanOut)
          : Float32Array.from({ length: fanOut }, () => rng.uniformIn(-bound, bound));
      // Variables share the initial tensor's data; tidy drops the initial tensors, not the variables.
      const layer: DenseLayer = {
        kernel: tf.tidy(() => tf.variable(tf.tensor2d(values, [rows, fanOut]), true)),
        bias: tf.tidy(() => tf.variable(tf.tensor1d(biasValues), true)),
        activation: k === units.length - 1 ? output : hidden,
      };
      fanIn = fanOut;
      return layer;
    });
    this.norms = options.batchNorm ? units.map((u) => new BatchNorm(u)) : [];
  }

  /** Trainable variables: kernel, bias (and batch-norm gamma, beta) per layer. */
  variables(): tf.Variable[] {
    return this.layers.flatMap((l, k) => [l.kernel, l.bias, ...(this.norms[k]?.variables() ?? [])]);
  }

  /**
   * @param x [batch, inputDim]
   * @param training batch statistics in batch normalisation (training) or running ones (evaluation);
   *   without batch normalisation both are the same function
   * @returns [batch, outputDim]
   */
  apply(x: tf.Tensor2D, training = true): tf.Tensor2D {
    let h = x;
    this.layers.forEach((layer, k) => {
      const norm = this.norms[k];
      if (!norm) {
        h = denseLayer(h, layer.kernel, layer.bias, layer.activation);
        return;
      }
      const normed = norm.apply(denseLayer(h, layer.kernel, layer.bias, 'linear'), training);
      h = layer.activation === 'relu' ? tf.relu(normed) : normed;
    });
    return h;
  }

  dispose(): void {
    for (const l of this.layers) {
      l.kernel.dispose();
      l.bias.dispose();
    }
    for (const norm of this.norms) norm.dispose();
  }
}

/**
 * Adagrad (PyTorch form) for a fixed list of variables.
 *
 * On wasm, WebGPU and the JavaScript backend the state is tf.Variables of the same shapes and an
 * update is one chain of six element-wise kernels per variable. One flat buffer for all of them
 * (concat, one chain, split) was measured no faster on native TensorFlow (DSSM step, batch 512:
 * 38.5-48.6k against 39.6-49.5k samples/s in alternating runs) and its split is slow on wasm, so it
 * is not used.
 *
 * On native TensorFlow each variable and its accumulator are mirrored in TensorFlow resource
 * variables and an update is two kernels, ResourceApplyAdagradV2 and a read back into the
 * tf.Variable (tensorflow-ops.ts): dispatch, ~10-15 us a tfjs kernel there, is most of a small
 * variable's update. A tf.Variable changed by anything else (a weight copy, an initialisation) is
 * noticed by its tensor no longer being the one last read back, and copied in before the update.
 */
export class DenseAdagrad {
  private readonly variables: tf.Variable[];
  private readonly learningRate: tf.Scalar;
  private readonly epsilon: tf.Scalar;
  private readonly state:
    | { kind: 'tfjs'; accumulators: tf.Variable[] }
    | {
        kind: 'native';
        native: NativeBackend;
        mirrors: NativeResourceVariable[];
        accumulators: NativeResourceVariable[];
        /** The dataId each tf.Variable had after the last read back (null: never synced). */
        synced: (object | null)[];
      };

  constructor(variables: tf.Variable[], options: AdagradOptions) {
    this.variables = variables;
    const initial = options.initialAccumulator ?? ADAGRAD_DEFAULTS.initialAccumulator;
    // Kept as tensors so each step does not create fresh scalars.
    this.learningRate = tf.keep(tf.scalar(options.learningRate));
    this.epsilon = tf.keep(tf.scalar(options.epsilon ?? ADAGRAD_DEFAULTS.epsilon));
    const native = nativeBackend();
    if (native) {
      const accumulators = variables.map((v) => new NativeResourceVariable(native, v.shape));
      tf.tidy(() => accumulators.forEach((a, k) => a.assign(tf.fill(variables[k].shape, initial))));
      this.state = {
        kind: 'native',
        native,
        mirrors: variables.map((v) => new NativeResourceVariable(native, v.shape)),
        accumulators,
        synced: variables.map(() => null),
      };
    } else {
      this.state = {
        kind: 'tfjs',
        accumulators: variables.map((v) => tf.tidy(() => tf.variable(tf.fill(v.shape, initial), false))),
      };
    }
  }

  /**
   * One update. `grads[k]` is the gradient of the loss for `variables[k]` (same shape).
   */
  apply(grads: tf.Tensor[]): void {
    if (grads.length !== this.variables.length) {
      throw new Error(`DenseAdagrad: ${grads.length} gradients for ${this.variables.length} variables`);
    }
    const state = this.state;
    tf.tidy(() => {
      for (let k = 0; k < grads.length; k++) {
        const g = grads[k];
        const variable = this.variables[k];
        if (state.kind === 'native') {
          const mirror = state.mirrors[k];
          if (state.synced[k] !== variable.dataId) mirror.assign(variable);
          resourceApplyAdagrad(
            state.native,
            mirror,
            state.accumulators[k],
            this.learningRate,
            this.epsilon,
            g,
          );
          variable.assign(mirror.read());
          state.synced[k] = variable.dataId;
          continue;
        }
        const accumulated = tf.add(state.accumulators[k], tf.square(g));
        state.accumulators[k].assign(accumulated);
        const step = tf.div(tf.mul(g, this.learningRate), tf.add(tf.sqrt(accumulated), this.epsilon));
        variable.assign(tf.sub(variable, step));
      }
    });
  }

  dispose(): void {
    if (this.state.kind === 'native') {
      for (const r of [...this.state.mirrors, ...this.state.accumulators]) r.destroy();
    } else {
      for (const a of this.state.accumulators) a.dispose();
    }
    this.learningRate.dispose();
    this.epsilon.dispose();
  }
}
