import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import { DssmModel } from './dssm';

beforeAll(async () => {
  await initBackend('wasm');
});

const numUsers = 30;
const numItems = 40;

function model(seed = 1, denseDim = 3): DssmModel {
  const rng = createRng(99);
  return new DssmModel({
    numUsers,
    numItems,
    numCategories: 4,
    itemCategory: Int32Array.from({ length: numItems }, (_, i) => i % 4),
    denseDim,
    itemDense: Float32Array.from({ length: numItems * denseDim }, () => rng.normal()),
    embeddingDim: 8,
    learningRate: 0.05,
    rng: createRng(seed),
    architecture: { towerUnits: [16, 8] },
  });
}

function dot(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[i * dim + k] * b[j * dim + k];
  return s;
}

describe('DssmModel', () => {
  it('builds towers of the paper shape by default: 128-d embeddings, 300-200-100', () => {
    const m = new DssmModel({
      numUsers: 3,
      numItems: 5,
      numCategories: 2,
      itemCategory: Int32Array.from([0, 1, 0, 1, 0]),
      denseDim: 6,
      itemDense: new Float32Array(30),
      embeddingDim: 128,
      learningRate: 0.01,
      rng: createRng(1),
    });
    expect(m.userTower.layers.map((l) => l.kernel.shape)).toEqual([
      [128, 300],
      [300, 200],
      [200, 100],
    ]);
    // Item tower input: id embedding + category embedding + dense vector.
    expect(m.itemTower.layers[0].kernel.shape).toEqual([128 + 128 + 6, 300]);
    expect(m.outputDim).toBe(100);
    m.dispose();
  });

  it('scores pairs as the inner product of the tower outputs', () => {
    const m = model();
    const users = m.userVectors(7); // odd chunk size exercises chunking
    const items = m.itemVectors(9);
    expect(users.length).toBe(numUsers * 8);
    expect(items.length).toBe(numItems * 8);
    const pairs = { users: Int32Array.from([0, 5, 29]), items: Int32Array.from([3, 39, 0]) };
    const scores = m.scorePairs(pairs);
    for (let b = 0; b < 3; b++) {
      expect(scores[b]).toBeCloseTo(dot(users, pairs.users[b], items, pairs.items[b], 8), 4);
    }
    m.dispose();
  });

  it('is seeded: same seed, same vectors; another seed, other vectors', () => {
    const a = model(1);
    const b = model(1);
    const c = model(2);
    expect(b.userVectors()).toEqual(a.userVectors());
    expect(c.userVectors()).not.toEqual(a.userVectors());
    for (const m of [a, b, c]) m.dispose();
  });

  it('fits a learnable labelling and keeps the tensor count flat', () => {
    const m = model(3, 0);
    // Label: user and item parity agree. Needs the id embeddings to learn.
    const rng = createRng(5);
    const users = Int32Array.from({ length: 256 }, () => rng.int(numUsers));
    const items = Int32Array.from({ length: 256 }, () => rng.int(numItems));
    const targets = Float32Array.from(users, (u, k) => ((u + items[k]) % 2 === 0 ? 1 : 0));
    const batch = { users, items, targets };
    const initial = m.evaluateBce(batch);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 150; step++) m.trainStep(batch);
    expect(tf.memory().numTensors).toBe(before);
    const final = m.evaluateBce(batch);
    expect(initial).toBeCloseTo(Math.LN2, 1);
    expect(final).toBeLessThan(0.3);
    // The returned loss is the loss before the update.
    const reported = m.trainStep(batch);
    expect(reported).toBeCloseTo(m.evaluateBce(batch), 1);
    m.dispose();
  });

  it('updates only the embedding rows in the batch', () => {
    const m = model();
    const before = Float32Array.from(m.userIds.weights);
    m.trainStep({
      users: Int32Array.from([2, 2]),
      items: Int32Array.from([1, 2]),
      targets: Float32Array.from([1, 0]),
    });
    const after = m.userIds.weights;
    for (let u = 0; u < numUsers; u++) {
      const changed = after.subarray(u * 8, u * 8 + 8).some((v, k) => v !== before[u * 8 + k]);
      expect(changed, `user ${u}`).toBe(u === 2);
    }
    expect(() =>
      m.trainStep({ users: Int32Array.from([1]), items: Int32Array.from([]), targets: new Float32Array(1) }),
    ).toThrow(/equal, non-zero/);
    m.dispose();
  });

  it('trainStepOnTowers can freeze the user side: only item embeddings and the item tower move', () => {
    const m = model();
    const userWeights = Float32Array.from(m.userIds.weights);
    const userTower = m.userTower.variables().map((v) => Float32Array.from(v.dataSync()));
    const itemWeights = Float32Array.from(m.itemIds.weights);
    const itemTower = m.itemTower.variables().map((v) => Float32Array.from(v.dataSync()));
    const batch = { users: Int32Array.from([1, 2, 3]), items: Int32Array.from([4, 5, 6]) };
    const before = tf.memory().numTensors;
    const loss = m.trainStepOnTowers(
      batch,
      (u, v) => tf.mean(tf.square(tf.sub(tf.sum(tf.mul(u, v), 1), 1))),
      { freezeUserTower: true },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(loss).toBeCloseTo(1, 3); // scores start near 0
    expect(m.userIds.weights).toEqual(userWeights);
    m.userTower.variables().forEach((v, k) => expect(Float32Array.from(v.dataSync())).toEqual(userTower[k]));
    expect(m.itemIds.weights).not.toEqual(itemWeights);
    m.itemTower
      .variables()
      .forEach((v, k) => expect(Float32Array.from(v.dataSync())).not.toEqual(itemTower[k]));
    m.dispose();
  });

  it('trainStepOnTowers differentiates extra variables read by the loss in the same pass', () => {
    const m = model();
    const w = tf.variable(tf.ones([8, 1]));
    let received: number[] = [];
    const batch = { users: Int32Array.from([0, 1]), items: Int32Array.from([2, 3]) };
    const before = tf.memory().numTensors;
    m.trainStepOnTowers(batch, (u, v) => tf.add(tf.sum(tf.matMul(u, w)), tf.sum(tf.mul(u, v))), {
      extraVariables: [w],
      applyExtraGradients: (grads) => {
        received = Array.from(grads[0].dataSync());
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    // d/dw [sum(U w) + sum(U * V)] = column sums of U (the user tower outputs before the step).
    expect(received).toHaveLength(8);
    expect(received.some((g) => g !== 0)).toBe(true);
    expect(() => m.trainStepOnTowers(batch, (u, v) => tf.sum(tf.mul(u, v)), { extraVariables: [w] })).toThrow(
      /applyExtraGradients/,
    );
    w.dispose();
    m.dispose();
  });
});
