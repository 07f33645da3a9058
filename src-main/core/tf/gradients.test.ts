import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { initBackend } from './backend';
import { NATIVE_TENSORFLOW_TESTED } from './native-test-support';
import { GRADIENT_KERNELS } from './gradients';

interface Input {
  shape: number[];
  values: number[];
}

function input(shape: number[], values: number[]): Input {
  return { shape, values };
}

/** Values in ±[0.2, 1.2] with distinct magnitudes: away from kinks (0) and ties. */
function spread(shape: number[], seed: number, positive = false): Input {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => {
    const magnitude = 0.2 + (i + rng.uniform() * 0.5) / n;
    return positive || rng.uniform() < 0.5 ? magnitude : -magnitude;
  });
  return { shape, values };
}

/**
 * Compares tf.grads of sum(f(xs) * w) (w fixed random weights, so every output element matters)
 * with central finite differences.
 */
function checkGradients(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Input[],
  h = 1e-2,
  tolerance = 2e-2,
): void {
  const weightsFor = (shape: number[]) => {
    const rng = createRng(99);
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(
      Array.from({ length: n }, () => rng.uniformIn(0.5, 1.5)),
      shape,
    );
  };
  const objective = (...xs: tf.Tensor[]): tf.Scalar =>
    tf.tidy(() => {
      const y = f(...xs);
      return tf.sum(tf.mul(y, weightsFor(y.shape)));
    });
  const valueAt = (values: number[][]): number =>
    tf.tidy(() => objective(...values.map((v, k) => tf.tensor(v, inputs[k].shape))).dataSync()[0]);

  const tensors = inputs.map((x) => tf.tensor(x.values, x.shape));
  const analytic = tf
    .grads(objective)(tensors)
    .map((g) => Array.from(g.dataSync()));
  inputs.forEach((x, k) => {
    for (let j = 0; j < x.values.length; j++) {
      const plus = inputs.map((v) => [...v.values]);
      const minus = inputs.map((v) => [...v.values]);
      plus[k][j] += h;
      minus[k][j] -= h;
      const numeric = (valueAt(plus) - valueAt(minus)) / (2 * h);
      const got = analytic[k][j];
      expect(
        Math.abs(got - numeric),
        `input ${k} element ${j}: analytic ${got}, numeric ${numeric}`,
      ).toBeLessThan(tolerance * (1 + Math.abs(numeric)));
    }
  });
}

/** Every transpose combination of a matrix product, and a batched one. */
function checkMatrixProducts(): void {
  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    const a = spread(ta ? [3, 2] : [2, 3], 18);
    const b = spread(tb ? [4, 3] : [3, 4], 19);
    checkGradients((x, y) => tf.matMul(x, y, ta, tb), [a, b]);
  }
  checkGradients((x, y) => tf.matMul(x, y), [spread([2, 2, 3], 20), spread([2, 3, 2], 21)]);
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('registered gradients', () => {
  it('registers a gradient for every kernel it lists', () => {
    for (const k of GRADIENT_KERNELS) expect(tf.getGradient(k), k).toBeDefined();
  });

  it('elementwise binary ops, with broadcasting', () => {
    const a = spread([2, 3], 1);
    const b = spread([3], 2);
    const bPositive = spread([3], 3, true);
    checkGradients((x, y) => tf.add(x, y), [a, b]);
    checkGradients((x, y) => tf.sub(x, y), [a, spread([2, 1], 4)]);
    checkGradients((x, y) => tf.mul(x, y), [a, b]);
    checkGradients((x, y) => tf.div(x, y), [a, bPositive]);
    checkGradients((x, y) => tf.maximum(x, y), [a, spread([2, 3], 5)]);
    checkGradients((x, y) => tf.minimum(x, y), [a, spread([2, 3], 5)]);
    checkGradients((x, y) => tf.squaredDifference(x, y), [a, b]);
    checkGradients((x, y) => tf.pow(x, y), [spread([2, 3], 6, true), b]);
    checkGradients((x, y) => tf.addN([x, y, x]), [a, spread([2, 3], 7)]);
    checkGradients((x) => tf.mul(x, 3), [a]);
  });

  it('elementwise unary ops', () => {
    const x = spread([2, 3], 8);
    const positive = spread([2, 3], 9, true);
    for (const f of [
      tf.neg,
      tf.abs,
      tf.exp,
      tf.square,
      tf.relu,
      tf.sigmoid,
      tf.tanh,
      tf.softplus,
      tf.sin,
      tf.cos,
    ]) {
      checkGradients((t) => f(t), [x]);
    }
    for (const f of [tf.log, tf.log1p, tf.sqrt, tf.rsqrt, tf.reciprocal])
      checkGradients((t) => f(t), [positive]);
    checkGradients((t) => tf.relu6(t), [input([4], [-1, 0.5, 5.5, 7])]);
    checkGradients((t) => tf.leakyRelu(t, 0.3), [x]);
    checkGradients((t) => tf.clipByValue(t, -0.5, 0.5), [input([4], [-0.9, -0.3, 0.3, 0.9])]);
    checkGradients((t) => tf.cast(t, 'float32'), [x]);
    // Piecewise constant ops contribute nothing: d/dx [x * floor(x) + sign(x) + round(x)] = floor(x).
    checkGradients(
      (t) => tf.addN([tf.mul(t, tf.floor(tf.mul(t, 3))), tf.sign(t), tf.round(t), tf.ceil(t)]),
      [x],
    );
  });

  it('where, comparisons and logical ops pass gradient only through the chosen branch', () => {
    const x = spread([2, 3], 10);
    checkGradients((t) => tf.where(tf.greater(t, 0), tf.square(t), tf.mul(t, -2)), [x]);
    checkGradients(
      (t, u) => tf.where(tf.logicalOr(tf.less(t, u), tf.equal(t, u)), tf.exp(t), tf.mul(u, t)),
      [x, spread([2, 3], 11)],
    );
    const g = tf.grads((t: tf.Tensor) => tf.sum(tf.where(tf.greater(t, 0), t, tf.zerosLike(t))))([
      tf.tensor([-1, 2, -3, 4]),
    ]);
    expect(Array.from(g[0].dataSync())).toEqual([0, 1, 0, 1]);
  });

  it('reductions', () => {
    const x = spread([2, 3, 2], 12);
    checkGradients((t) => tf.sum(t), [x]);
    checkGradients((t) => tf.sum(t, 1), [x]);
    checkGradients((t) => tf.sum(t, [0, 2], true), [x]);
    checkGradients((t) => tf.mean(t), [x]);
    checkGradients((t) => tf.mean(t, -1), [x]);
    checkGradients((t) => tf.max(t, 1), [x]);
    checkGradients((t) => tf.min(t), [x]);
  });

  it('shape and indexing ops', () => {
    const x = spread([2, 3], 13);
    checkGradients((t) => tf.reshape(t, [3, 2]), [x]);
    checkGradients((t) => tf.expandDims(t, 1), [x]);
    checkGradients((t) => tf.broadcastTo(t, [4, 2, 3]), [x]);
    checkGradients((t, u) => tf.concat([t, u, t], 1), [x, spread([2, 2], 14)]);
    checkGradients((t, u) => tf.concat([t, u], -2), [x, spread([1, 3], 15)]);
    checkGradients((t, u) => tf.stack([t, u], 1), [x, spread([2, 3], 16)]);
    checkGradients((t) => tf.unstack(t, 1)[2], [x]);
    checkGradients((t) => tf.split(t, [1, 2], 1)[1], [x]);
    checkGradients((t) => tf.slice(t, [0, 1], [-1, 2]), [x]);
    checkGradients(
      (t) =>
        tf.pad(
          t,
          [
            [1, 0],
            [0, 2],
          ],
          0.5,
        ),
      [x],
    );
    checkGradients((t) => tf.transpose(t), [x]);
    checkGradients((t) => tf.transpose(t, [2, 0, 1]), [spread([2, 3, 2], 17)]);
    checkGradients((t) => tf.tile(t, [2, 3]), [x]);
    checkGradients((t) => tf.gather(t, tf.tensor1d([2, 0, 2, 1], 'int32'), 1), [x]);
    checkGradients((t) => tf.gather(t, tf.tensor1d([1, 1, 0], 'int32')), [x]);
    checkGradients((t) => tf.unsortedSegmentSum(t, tf.tensor1d([1, 0], 'int32'), 3), [x]);
  });

  it('matrix products in every transpose combination and batched', () => {
    checkMatrixProducts();
    // Fused matmul (customGrad inside tfjs) with bias and relu, as the towers use it.
    checkGradients(
      (x, w, bias) => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: 'relu' }),
      [spread([3, 4], 22), spread([4, 2], 23), spread([2], 24)],
    );
  });

  it('softmax and log-softmax', () => {
    checkGradients((t) => tf.softmax(t), [spread([2, 4], 25)]);
    checkGradients((t) => tf.logSoftmax(t), [spread([2, 4], 26)]);
  });
});

describe('GatherV2 gradient on wasm', () => {
  it('sums the rows of repeated indices without UnsortedSegmentSum (which wasm lacks)', async () => {
    await initBackend('wasm');
    try {
      const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
      const indices = tf.tensor1d([2, 0, 2], 'int32');
      const weights = tf.tensor2d([1, 10, 100, 1000, 7, 70], [3, 2]);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, indices), weights)))(table);
      // Row 2 is gathered twice: its gradient is the sum of both weight rows.
      expect(Array.from(grad.dataSync())).toEqual([100, 1000, 0, 0, 8, 80]);
    } finally {
      await initBackend('cpu');
    }
  });
});

const backendsWithOtherForms = NATIVE_TENSORFLOW_TESTED
  ? (['wasm', 'tensorflow'] as const)
  : (['wasm'] as const);

// Relu's gradient and the matrix products' transposes take another form on these backends than
// on the JavaScript one above (kernel-choice.ts): step and explicit transposes on wasm,
// TensorFlow's ReluGrad kernel and the matmul kernel's transpose flags on native TensorFlow.
describe.each(backendsWithOtherForms)('the backend-chosen forms on %s', (backend) => {
  beforeAll(async () => {
    expect((await initBackend(backend)).backend).toBe(backend);
  });
  afterAll(async () => {
    await initBackend('cpu');
  });

  it('relu and matrix products in every transpose combination', () => {
    checkGradients((t) => tf.relu(t), [spread([2, 3], 8)]);
    checkMatrixProducts();
  });
});
