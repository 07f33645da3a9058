import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../random';
import { initBackend } from '../../tf/backend';
import type { KeepData } from './data';
import { DOWNSTREAM_UNITS, DownstreamModel, type PlugInInit } from './model-downstream';
import { range } from './features';
import { tinyKeepData } from './test-support';

beforeAll(async () => {
  await initBackend('wasm');
});

let data: KeepData;
beforeAll(() => {
  data = tinyKeepData();
});

const K = 5;

function model(
  knowledgeDim: number,
  plugLayer = 1,
  useUserId = true,
  plugInInit: PlugInInit = 'zero',
): DownstreamModel {
  return new DownstreamModel({
    numUsers: data.numUsers,
    numItems: data.numItems,
    numCategories: data.numCategories,
    itemCategory: data.itemCategory,
    denseDim: data.denseDim,
    itemDense: data.itemDense,
    embeddingDim: 4,
    learningRate: 0.05,
    rng: createRng(9),
    useUserId,
    knowledgeDim,
    plugLayer,
    plugInInit,
  });
}

function knowledgeFor(n: number): Float32Array {
  const rng = createRng(4);
  return Float32Array.from({ length: n * K }, () => rng.normal(0, 1));
}

/** A dense layer by hand: relu or identity of x W + b, [rows, in] x [in, out]. */
function dense(x: number[][], kernel: tf.Tensor, bias: tf.Tensor, relu: boolean): number[][] {
  const [inDim, outDim] = kernel.shape;
  const w = kernel.dataSync();
  const b = bias.dataSync();
  return x.map((row) =>
    Array.from({ length: outDim }, (_, j) => {
      let s = b[j];
      for (let i = 0; i < inDim; i++) s += row[i] * w[i * outDim + j];
      return relu ? Math.max(0, s) : s;
    }),
  );
}

describe('Plug-in network (KEEP Eq. 5)', () => {
  it('starts as a no-op: with the same seed, predictions equal the model without knowledge', async () => {
    const base = model(0);
    const plugged = model(K, 2);
    const users = range(0, 20);
    const items = Int32Array.from(users, (u) => (u * 5) % data.numItems);
    expect(Array.from(await plugged.predict(users, items, knowledgeFor(20)))).toEqual(
      Array.from(await base.predict(users, items, null)),
    );
    // Initialised like the other layers instead, K moves the predictions from the first step.
    const random = model(K, 2, true, 'random');
    expect(Array.from(await random.predict(users, items, knowledgeFor(20)))).not.toEqual(
      Array.from(await base.predict(users, items, null)),
    );
    base.dispose();
    plugged.dispose();
    random.dispose();
  });

  it.each([1, 2, 3])('adds MLP(K) to the output of dense layer m = %i', async (m) => {
    const plugged = model(K, m);
    // Give the plug-in's output layer non-zero weights so its contribution shows.
    const out = plugged.plugIn?.layers[1];
    tf.tidy(() => out?.kernel.assign(tf.randomNormal(out.kernel.shape, 0, 0.5, 'float32', 3)));
    const users = Int32Array.from([0, 7, 31]);
    const items = Int32Array.from([2, 2, 100]);
    const knowledge = knowledgeFor(3);
    const predicted = await plugged.predict(users, items, knowledge);
    // By hand: the network input, then the layers, adding the plug-in at m.
    const input = tf.tidy(() => {
      const itemRows = tf.concat(
        [
          plugged.itemIds.gather(items),
          plugged.categories.gather(Int32Array.from(items, (i) => data.itemCategory[i])),
          tf.tensor2d(
            Array.from(items).flatMap((i) =>
              Array.from(data.itemDense.subarray(i * data.denseDim, (i + 1) * data.denseDim)),
            ),
            [3, data.denseDim],
          ),
        ],
        1,
      );
      const userRows = (plugged.userIds as NonNullable<typeof plugged.userIds>).gather(users);
      const co = tf.mul(
        userRows,
        tf.matMul(itemRows, (plugged.coAction as NonNullable<typeof plugged.coAction>).projection),
      );
      return tf.concat([itemRows, userRows, co], 1);
    });
    let h = (input.arraySync() as number[][]).map((r) => r.slice());
    input.dispose();
    const kRows = [0, 1, 2].map((r) => Array.from(knowledge.subarray(r * K, (r + 1) * K)));
    const plug = plugged.plugIn?.layers ?? [];
    const hk = dense(dense(kRows, plug[0].kernel, plug[0].bias, true), plug[1].kernel, plug[1].bias, false);
    const layers = plugged.network.layers;
    layers.forEach((layer, k) => {
      h = dense(h, layer.kernel, layer.bias, k < layers.length - 1);
      if (k + 1 === m) h = h.map((row, r) => row.map((v, j) => v + hk[r][j]));
    });
    expect(hk[0]).toHaveLength(DOWNSTREAM_UNITS[m - 1]);
    for (let r = 0; r < 3; r++) expect(predicted[r]).toBeCloseTo(h[r][0], 4);
    plugged.dispose();
  });

  it('learns from the knowledge: a label-revealing K is fitted better than none', async () => {
    const log = data.targetTrain;
    const rows = log.user.length;
    const reveal = new Float32Array(rows * K);
    for (let r = 0; r < rows; r++) reveal[r * K] = log.click[r] * 2 - 1;
    const loss = async (m: DownstreamModel, k: Float32Array | null) => {
      let last = 0;
      for (let epoch = 0; epoch < 3; epoch++) {
        for (let s = 0; s < rows; s += 60) {
          const batch = range(s, Math.min(rows, s + 60));
          last = await m.trainStep(
            Int32Array.from(batch, (r) => log.user[r]),
            Int32Array.from(batch, (r) => log.item[r]),
            Float32Array.from(batch, (r) => log.click[r]),
            k ? k.subarray(s * K, Math.min(rows, s + 60) * K) : null,
          );
        }
      }
      m.dispose();
      return last;
    };
    expect(await loss(model(K, 2), reveal)).toBeLessThan((await loss(model(0), null)) * 0.7);
  });

  it('checks m and the knowledge width, and leaks no tensors', async () => {
    expect(() => model(K, 4)).toThrow(/params\.plugLayer/);
    const before = tf.memory().numTensors;
    const m = model(K, 1, false);
    await expect(m.predict(range(0, 2), range(0, 2), new Float32Array(3))).rejects.toThrow(
      /knowledge has 3 values/,
    );
    await m.trainStep(range(0, 4), range(0, 4), Float32Array.from([1, 0, 1, 0]), knowledgeFor(4));
    await m.predict(range(0, 4), range(0, 4), knowledgeFor(4));
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
