import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import { DCN_CROSS_LAYERS, DCN_HIDDEN_UNITS, DcnNetwork, crossLayer } from './dcn';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('crossLayer', () => {
  it('computes x0 (x_l . w) + b + x_l (hand example)', () => {
    // x0 = (1, 2, 3), x_l = (0.5, -1, 2), w = (2, 1, -1), b = (0.1, 0.2, 0.3).
    // x_l . w = 1 - 1 - 2 = -2, so x_{l+1} = -2 x0 + b + x_l = (-2 + 0.1 + 0.5, -4 + 0.2 - 1, -6 + 0.3 + 2)
    //                                                        = (-1.4, -4.8, -3.7).
    // Second row: x0 = (1, 0, 0), x_l = (1, 1, 1): x_l . w = 2, x_{l+1} = (2, 0, 0) + b + (1, 1, 1).
    const x0 = tf.tensor2d([
      [1, 2, 3],
      [1, 0, 0],
    ]);
    const xl = tf.tensor2d([
      [0.5, -1, 2],
      [1, 1, 1],
    ]);
    const w = tf.tensor2d([[2], [1], [-1]]);
    const b = tf.tensor1d([0.1, 0.2, 0.3]);
    const out = crossLayer(x0, xl, w, b);
    expect(out.shape).toEqual([2, 3]);
    const values = Array.from(out.dataSync());
    const expected = [-1.4, -4.8, -3.7, 3.1, 1.2, 1.3];
    values.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 5));
    tf.dispose([x0, xl, w, b, out]);
  });
});

describe('DcnNetwork', () => {
  it('defaults to 3 cross layers and a 300-200-100 deep part over the stacked input', () => {
    const net = new DcnNetwork({ numFields: 3, embeddingDim: 128, denseDim: 32 }, createRng(1));
    expect(DCN_CROSS_LAYERS).toBe(3);
    expect(DCN_HIDDEN_UNITS).toEqual([300, 200, 100]);
    const width = 3 * 128 + 32;
    expect(net.inputDim).toBe(width);
    expect(net.cross.map((c) => [c.weight.shape, c.bias.shape])).toEqual(
      Array.from({ length: 3 }, () => [[width, 1], [width]]),
    );
    expect(net.deep.layers.map((l) => [l.kernel.shape, l.activation])).toEqual([
      [[width, 300], 'relu'],
      [[300, 200], 'relu'],
      [[200, 100], 'relu'],
    ]);
    expect(net.output.layers.map((l) => [l.kernel.shape, l.activation])).toEqual([
      [[width + 100, 1], 'linear'],
    ]);
    net.dispose();
  });

  it('logit = [cross_L(x0), deep(x0)] w_out + b_out (checked against a plain-JS evaluation)', () => {
    const net = new DcnNetwork({ numFields: 3, embeddingDim: 1, denseDim: 1 }, createRng(2), {
      crossLayers: 2,
      hiddenUnits: [3],
    });
    // Non-zero biases so that their role is checked too.
    tf.tidy(() => {
      net.cross[0].bias.assign(tf.tensor1d([0.1, -0.2, 0.3, 0.05]));
      net.cross[1].bias.assign(tf.tensor1d([-0.1, 0.2, 0.0, 0.4]));
    });
    const fields = [
      [0.3, -0.7, 1.1],
      [2, 0.5, -1],
    ];
    const dense = [[0.9], [-0.4]];
    const fieldsT = tf.tensor2d(fields);
    const denseT = tf.tensor2d(dense);
    const logits = net.logits({ fields: fieldsT, firstOrder: null, dense: denseT });
    const got = Array.from(logits.dataSync());

    const arr = (t: tf.Tensor) => Array.from(t.dataSync());
    const crossW = net.cross.map((c) => arr(c.weight));
    const crossB = net.cross.map((c) => arr(c.bias));
    const [deepLayer] = net.deep.layers;
    const deepK = arr(deepLayer.kernel);
    const deepB = arr(deepLayer.bias);
    const outK = arr(net.output.layers[0].kernel);
    const outB = arr(net.output.layers[0].bias);
    for (let b = 0; b < 2; b++) {
      const x0 = [...fields[b], ...dense[b]];
      let x = x0;
      for (let l = 0; l < 2; l++) {
        const s = x.reduce((acc, v, i) => acc + v * crossW[l][i], 0);
        x = x0.map((v, i) => v * s + crossB[l][i] + x[i]);
      }
      const h = [0, 1, 2].map((j) =>
        Math.max(
          0,
          x0.reduce((acc, v, i) => acc + v * deepK[i * 3 + j], deepB[j]),
        ),
      );
      const z = [...x, ...h];
      const logit = z.reduce((acc, v, i) => acc + v * outK[i], outB[0]);
      expect(got[b]).toBeCloseTo(logit, 4);
    }
    tf.dispose([fieldsT, denseT, logits]);
    net.dispose();
  });
});
