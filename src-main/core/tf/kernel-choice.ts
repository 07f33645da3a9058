/**
 * Where the same arithmetic is cheaper as different kernels on different backends, measured with
 * `cascade-lab bench --profile` on the DSSM step. wasm and the JavaScript CPU backend run their
 * kernels in this thread; native TensorFlow and WebGPU run library kernels behind a dispatch.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether a matmul with a transposed operand should transpose it first: on wasm and the
 * JavaScript backend a matMul with a transpose flag is about 10x slower than transposing first;
 * native TensorFlow and WebGPU read transposed operands in the matmul kernel itself.
 */
export function explicitTransposes(): boolean {
  const backend = tf.getBackend();
  return backend === 'wasm' || backend === 'cpu';
}

/**
 * [y > 0] for y = relu(z) >= 0, i.e. relu's derivative at z. tf.step is one kernel on wasm (sign
 * is a slow one there: 2.9 ms for a DSSM step's six at batch 512) but five on native TensorFlow
 * (IsNan, Greater, two Selects, Fill: 3.7 ms), where sign is one (0.15 ms).
 * @param y [...], non-negative
 */
export function reluMask(y: tf.Tensor): tf.Tensor {
  return explicitTransposes() ? tf.step(y) : tf.sign(y);
}
