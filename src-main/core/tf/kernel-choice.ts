/**
 * Where the same arithmetic is cheaper as different kernels on different backends, measured with
 * `cascade-lab bench --profile` on the DSSM step. wasm and the JavaScript CPU backend run their
 * kernels in this thread; native TensorFlow and WebGPU run library kernels behind a dispatch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeBackend, nativeReluGrad } from './tensorflow-ops';

/**
 * Whether a matmul with a transposed operand should transpose it first: on wasm and the
 * JavaScript backend a matMul with a transpose flag is about 10x slower than transposing first;
 * native TensorFlow and WebGPU read transposed operands in the matmul kernel itself.
 */
export function explicitTransposes(): boolean {
  const backend = tf.getBackend();
  return backend === 'wasm' || backend === 'cpu';
}

/** Transpose of the last two axes, as an explicit op. */
function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = t.rank;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

/**
 * a (or its transpose) times b (or its transpose), in the form that is cheaper on this backend:
 * transposes as their own ops on wasm and the JavaScript backend (explicitTransposes), the matmul
 * kernel's transpose flags elsewhere. For the matrix-product gradient (gradients.ts) the flags
 * took 1.7x to 6.4x the explicit form's CPU time on wasm, and 0.47x to 0.93x on native
 * TensorFlow.
 */
export function matMulTransposed(
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor {
  if (!explicitTransposes()) return tf.matMul(a, b, transposeA, transposeB);
  return tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b);
}

/**
 * relu's gradient from its output: dy where y = relu(z) > 0, else 0. One ReluGrad kernel on native
 * TensorFlow, dy * reluMask(y) elsewhere.
 * @param dy the shape of y
 */
export function reluGradient(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const native = nativeBackend();
  return native ? nativeReluGrad(native, dy, y) : tf.mul(dy, reluMask(y));
}

/**
 * [y > 0] for y = relu(z) >= 0, i.e. relu's derivative at z, where reluGradient has no single
 * kernel. tf.step is one kernel on wasm (sign is a slow one there: 2.9 ms for a DSSM step's six at
 * batch 512) but five on native TensorFlow (IsNan, Greater, two Selects, Fill: 3.7 ms, measured
 * before ReluGrad replaced both there), where sign was one (0.15 ms); WebGPU keeps sign.
 * @param y [...], non-negative
 */
function reluMask(y: tf.Tensor): tf.Tensor {
  return explicitTransposes() ? tf.step(y) : tf.sign(y);
}
