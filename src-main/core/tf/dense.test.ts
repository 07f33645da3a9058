import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { initBackend } from './backend';
import { NATIVE_TENSORFLOW_TESTED, nativeTitle } from './native-test-support';
import { DenseAdagrad, Mlp, denseLayer, glorotUniform } from './dense';
import { sigmoidBce } from './losses';
import { observeNativeOps } from './tensorflow-ops';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('glorotUniform', () => {
  it('draws within ±sqrt(6 / (fanIn + fanOut)), seeded', () => {
    const limit = Math.sqrt(6 / (30 + 20));
    const w = glorotUniform(30, 20, createRng(1));
    expect(w.length).toBe(600);
    expect(Math.max(...w)).toBeLessThanOrEqual(limit);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...w)).toBeGreaterThan(0.9 * limit);
    expect(glorotUniform(30, 20, createRng(1))).toEqual(w);
  });
});

/** denseLayer against values and gradients computed by hand, on the active backend. */
function expectHandComputedDenseLayer(): void {
  tf.tidy(() => {
    const x = tf.tensor2d([
      [1, 2],
      [-1, 0.5],
    ]);
    const w = tf.tensor2d([
      [0.5, -1],
      [0.25, 1],
    ]);
    const b = tf.tensor1d([0.1, -0.2]);
    // xW + b = [[1.1, 0.8], [-0.275, 1.3]] -> relu zeroes one entry.
    const y = denseLayer(x, w, b, 'relu');
    expect(Array.from(y.dataSync()).map((v) => +v.toFixed(4))).toEqual([1.1, 0.8, 0, 1.3]);
    // Loss = sum(y): dz = mask [[1,1],[0,1]]; dx = dz W^T; dW = x^T dz; db = column sums of dz.
    const [dx, dw, db] = tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
      tf.sum(denseLayer(a as tf.Tensor2D, k as tf.Tensor2D, c as tf.Tensor1D, 'relu')),
    )([x, w, b]);
    expect(Array.from(dx.dataSync())).toEqual([-0.5, 1.25, -1, 1]);
    expect(Array.from(dw.dataSync())).toEqual([1, 0, 2, 2.5]);
    expect(Array.from(db.dataSync())).toEqual([1, 2]);
    const [dxLinear, dwLinear, dbLinear] = tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(denseLayer(a as tf.Tensor2D, k as tf.Tensor2D, c as tf.Tensor1D, 'linear'), [[1, 2]])),
    )([x, w, b]);
    // Loss = sum(y * [1, 2]): dz = [[1, 2], [1, 2]].
    expect(Array.from(dxLinear.dataSync())).toEqual([-1.5, 2.25, -1.5, 2.25]);
    expect(Array.from(dwLinear.dataSync())).toEqual([0, 0, 2.5, 5]);
    expect(Array.from(dbLinear.dataSync())).toEqual([2, 4]);
  });
}

describe('denseLayer', () => {
  it('computes relu(xW + b) and its gradients by hand', () => {
    const before = tf.memory().numTensors;
    expectHandComputedDenseLayer();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.skipIf(!NATIVE_TENSORFLOW_TESTED)(nativeTitle('denseLayer on native TensorFlow'), () => {
  afterAll(async () => {
    await initBackend('cpu');
  });

  it("computes relu(xW + b) and its gradients by hand with TensorFlow's BatchMatMulV2, BiasAdd and ReluGrad kernels", async () => {
    expect((await initBackend('tensorflow')).backend).toBe('tensorflow');
    const ops: string[] = [];
    observeNativeOps((op) => ops.push(op));
    const before = tf.memory().numTensors;
    try {
      expectHandComputedDenseLayer();
    } finally {
      observeNativeOps(null);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(new Set(ops)).toEqual(new Set(['BatchMatMulV2', 'BiasAdd', 'Relu', 'ReluGrad', 'BiasAddGrad']));
  });
});

describe('Mlp', () => {
  it('maps [batch, in] to [batch, out] with seeded weights, linear output', () => {
    const a = new Mlp(4, [8, 3], createRng(2));
    const b = new Mlp(4, [8, 3], createRng(2));
    expect(a.outputDim).toBe(3);
    expect(a.variables()).toHaveLength(4);
    expect(a.layers.map((l) => l.activation)).toEqual(['relu', 'linear']);
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 7) as tf.Tensor2D;
    const ya = a.apply(x);
    expect(ya.shape).toEqual([5, 3]);
    expect(Array.from(ya.dataSync())).toEqual(Array.from(b.apply(x).dataSync()));
    // A linear output layer produces negative values too.
    expect(Math.min(...ya.dataSync())).toBeLessThan(0);
    const before = tf.memory().numTensors;
    a.dispose();
    expect(tf.memory().numTensors).toBe(before - 4);
    b.dispose();
  });
});

describe('DenseAdagrad', () => {
  it('updates w -= lr g / (sqrt(G) + eps) with G accumulated from 0', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const opt = new DenseAdagrad([v], { learningRate: 0.1 });
    opt.apply([tf.tensor1d([0.5, 0, -2])]);
    // First step: lr * sign(g).
    expect(Array.from(v.dataSync()).map((x) => +x.toFixed(6))).toEqual([0.9, 2, 3.1]);
    opt.apply([tf.tensor1d([1.2, 3, 0])]);
    // G = (0.25 + 1.44, 9, 4): steps 0.1 * 1.2 / 1.3, 0.1 * 3 / 3, 0.
    const got = v.dataSync();
    expect(got[0]).toBeCloseTo(0.9 - 0.12 / 1.3, 5);
    expect(got[1]).toBeCloseTo(1.9, 5);
    expect(got[2]).toBeCloseTo(3.1, 5);
    opt.dispose();
    v.dispose();
  });
});

describe('sigmoidBce', () => {
  it('matches -[y log p + (1 - y) log(1 - p)] including soft targets and large logits', () => {
    const logits = [0, 2, -3, 40, -40];
    const targets = [1, 0, 0.25, 1, 1];
    const expected =
      logits
        .map((x, i) => {
          const y = targets[i];
          // Stable reference: softplus(x) - x*y.
          return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) - x * y;
        })
        .reduce((a, b) => a + b, 0) / logits.length;
    const got = sigmoidBce(tf.tensor1d(logits), tf.tensor1d(targets)).dataSync()[0];
    expect(got).toBeCloseTo(expected, 4);
    // Hand value for one pair: x = 0, y = 1 -> log 2.
    expect(sigmoidBce(tf.tensor1d([0]), tf.tensor1d([1])).dataSync()[0]).toBeCloseTo(Math.LN2, 6);
    // Gradient w.r.t. logits is (sigmoid(x) - y) / batch.
    const [g] = tf.grads((x: tf.Tensor) => sigmoidBce(x as tf.Tensor1D, tf.tensor1d([1, 0])))([
      tf.tensor1d([0, 1]),
    ]);
    const s1 = 1 / (1 + Math.exp(-1));
    expect(g.dataSync()[0]).toBeCloseTo((0.5 - 1) / 2, 6);
    expect(g.dataSync()[1]).toBeCloseTo(s1 / 2, 6);
  });
});

describe.skipIf(!NATIVE_TENSORFLOW_TESTED)(nativeTitle('DenseAdagrad on native TensorFlow'), () => {
  afterAll(async () => {
    await initBackend('cpu');
  });

  it("ResourceApplyAdagradV2 on resource variables gives the tfjs chain's updates, follows outside assigns and frees its resources", async () => {
    /** Three updates of two variables; between the second and third, variable 0 is set from outside. */
    const run = (): number[][] => {
      const w = tf.tidy(() =>
        tf.variable(
          tf.tensor2d([
            [1, -2, 3],
            [0.5, 0, -1],
          ]),
        ),
      );
      const b = tf.tidy(() => tf.variable(tf.tensor1d([0.1, -0.3, 2])));
      const optimizer = new DenseAdagrad([w, b], { learningRate: 0.05, initialAccumulator: 0.1 });
      const grads = [
        [
          tf.tensor2d([
            [0.5, -1, 2],
            [0, 1e-3, 4],
          ]),
          tf.tensor1d([1, -1, 0]),
        ],
        [
          tf.tensor2d([
            [1.5, 2, -0.5],
            [3, -2, 0.25],
          ]),
          tf.tensor1d([0.2, 0.3, -4]),
        ],
        [
          tf.tensor2d([
            [-1, 1, 1],
            [2, 2, -2],
          ]),
          tf.tensor1d([0, 5, 1]),
        ],
      ];
      const before = tf.memory().numTensors;
      optimizer.apply(grads[0]);
      optimizer.apply(grads[1]);
      tf.tidy(() => w.assign(tf.mul(w, 2)));
      optimizer.apply(grads[2]);
      expect(tf.memory().numTensors).toBe(before);
      const out = [Array.from(w.dataSync()), Array.from(b.dataSync())];
      optimizer.dispose();
      grads.flat().forEach((g) => g.dispose());
      w.dispose();
      b.dispose();
      return out;
    };
    expect((await initBackend('tensorflow')).backend).toBe('tensorflow');
    const start = tf.memory().numTensors;
    const native = run();
    expect(tf.memory().numTensors).toBe(start);
    // The tfjs chain, on the JavaScript backend.
    await initBackend('cpu');
    const reference = run();
    // Hand check of the first element: steps of 0.05 * g / sqrt(0.1 + sum g^2), doubled before the third.
    const w1 = 1 - (0.05 * 0.5) / Math.sqrt(0.35) - (0.05 * 1.5) / Math.sqrt(2.6);
    expect(reference[0][0]).toBeCloseTo(2 * w1 + (0.05 * 1) / Math.sqrt(3.6), 5);
    native.flat().forEach((v, j) => expect(v, `value ${j}`).toBeCloseTo(reference.flat()[j], 6));
  });
});
