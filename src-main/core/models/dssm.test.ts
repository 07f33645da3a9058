import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import { AUTHORS_DSSM, type DssmArchitecture, DssmModel, minMaxColumns, rowNorms } from './dssm';

beforeAll(async () => {
  await initBackend('wasm');
});

const numUsers = 30;
const numItems = 40;

/** Users, items, 4 categories and seeded dense features shift + scale * N(0, 1). */
function catalogue(denseDim = 3, shift = 0, scale = 1) {
  const rng = createRng(99);
  return {
    numUsers,
    numItems,
    numCategories: 4,
    itemCategory: Int32Array.from({ length: numItems }, (_, i) => i % 4),
    denseDim,
    itemDense: Float32Array.from({ length: numItems * denseDim }, () => shift + scale * rng.normal()),
    embeddingDim: 8,
    learningRate: 0.05,
  };
}

function model(seed = 1, denseDim = 3): DssmModel {
  return new DssmModel({
    ...catalogue(denseDim),
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
  it('builds towers of the paper shape by default: 128-d embeddings, 300-200-100', async () => {
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

  it('scores pairs as the inner product of the tower outputs', async () => {
    const m = model();
    const users = await m.userVectors(7); // odd chunk size exercises chunking
    const items = await m.itemVectors(9);
    expect(users.length).toBe(numUsers * 8);
    expect(items.length).toBe(numItems * 8);
    const pairs = { users: Int32Array.from([0, 5, 29]), items: Int32Array.from([3, 39, 0]) };
    const scores = await m.scorePairs(pairs);
    for (let b = 0; b < 3; b++) {
      expect(scores[b]).toBeCloseTo(dot(users, pairs.users[b], items, pairs.items[b], 8), 4);
    }
    m.dispose();
  });

  it('is seeded: same seed, same vectors; another seed, other vectors', async () => {
    const a = model(1);
    const b = model(1);
    const c = model(2);
    expect(await b.userVectors()).toEqual(await a.userVectors());
    expect(await c.userVectors()).not.toEqual(await a.userVectors());
    for (const m of [a, b, c]) m.dispose();
  });

  it('fits a learnable labelling and keeps the tensor count flat', async () => {
    const m = model(3, 0);
    // Label: user and item parity agree. Needs the id embeddings to learn.
    const rng = createRng(5);
    const users = Int32Array.from({ length: 256 }, () => rng.int(numUsers));
    const items = Int32Array.from({ length: 256 }, () => rng.int(numItems));
    const targets = Float32Array.from(users, (u, k) => ((u + items[k]) % 2 === 0 ? 1 : 0));
    const batch = { users, items, targets };
    const initial = await m.evaluateBce(batch);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 150; step++) await m.trainStep(batch);
    expect(tf.memory().numTensors).toBe(before);
    const final = await m.evaluateBce(batch);
    expect(initial).toBeCloseTo(Math.LN2, 1);
    expect(final).toBeLessThan(0.3);
    // The returned loss is the loss before the update.
    const reported = await m.trainStep(batch);
    expect(reported).toBeCloseTo(await m.evaluateBce(batch), 1);
    m.dispose();
  });

  it('updates only the embedding rows in the batch', async () => {
    const m = model();
    const before = Float32Array.from(m.userIds.weights);
    await m.trainStep({
      users: Int32Array.from([2, 2]),
      items: Int32Array.from([1, 2]),
      targets: Float32Array.from([1, 0]),
    });
    const after = m.userIds.weights;
    for (let u = 0; u < numUsers; u++) {
      const changed = after.subarray(u * 8, u * 8 + 8).some((v, k) => v !== before[u * 8 + k]);
      expect(changed, `user ${u}`).toBe(u === 2);
    }
    await expect(
      m.trainStep({ users: Int32Array.from([1]), items: Int32Array.from([]), targets: new Float32Array(1) }),
    ).rejects.toThrow(/equal, non-zero/);
    m.dispose();
  });

  it('trainStepOnTowers can freeze the user side: only item embeddings and the item tower move', async () => {
    const m = model();
    const userWeights = Float32Array.from(m.userIds.weights);
    const userTower = m.userTower.variables().map((v) => Float32Array.from(v.dataSync()));
    const itemWeights = Float32Array.from(m.itemIds.weights);
    const itemTower = m.itemTower.variables().map((v) => Float32Array.from(v.dataSync()));
    const batch = { users: Int32Array.from([1, 2, 3]), items: Int32Array.from([4, 5, 6]) };
    const before = tf.memory().numTensors;
    const loss = await m.trainStepOnTowers(
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

  it('trainStepOnTowers differentiates extra variables read by the loss in the same pass', async () => {
    const m = model();
    const w = tf.variable(tf.ones([8, 1]));
    let received: number[] = [];
    const batch = { users: Int32Array.from([0, 1]), items: Int32Array.from([2, 3]) };
    const before = tf.memory().numTensors;
    await m.trainStepOnTowers(batch, (u, v) => tf.add(tf.sum(tf.matMul(u, w)), tf.sum(tf.mul(u, v))), {
      extraVariables: [w],
      applyExtraGradients: (grads) => {
        received = Array.from(grads[0].dataSync());
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    // d/dw [sum(U w) + sum(U * V)] = column sums of U (the user tower outputs before the step).
    expect(received).toHaveLength(8);
    expect(received.some((g) => g !== 0)).toBe(true);
    await expect(
      m.trainStepOnTowers(batch, (u, v) => tf.sum(tf.mul(u, v)), { extraVariables: [w] }),
    ).rejects.toThrow(/applyExtraGradients/);
    w.dispose();
    m.dispose();
  });
});

describe("DssmModel, the authors' architecture (AUTHORS_DSSM)", () => {
  const fieldCodes = Int32Array.from({ length: numItems }, (_, i) => i % 5);
  /** AUTHORS_DSSM with small towers, two item fields and dense features far from [0, 1]. */
  function authors(overrides: Partial<DssmArchitecture> = {}): DssmModel {
    return new DssmModel({
      ...catalogue(3, 10, 5),
      itemFields: [
        { name: 'author', cardinality: 5, codes: fieldCodes },
        { name: 'song', cardinality: 3, codes: Int32Array.from({ length: numItems }, (_, i) => i % 3) },
      ],
      rng: createRng(1),
      architecture: { ...AUTHORS_DSSM, towerUnits: [16, 8], ...overrides },
    });
  }
  const rng = createRng(4);
  const batch = {
    users: Int32Array.from({ length: 64 }, () => rng.int(numUsers)),
    items: Int32Array.from({ length: 64 }, () => rng.int(numItems)),
    targets: Float32Array.from({ length: 64 }, () => rng.int(2)),
  };

  it('embeds the item id and every item field (not the category), batch-normalises, ends in ReLU', async () => {
    const m = authors();
    expect(m.itemFieldTables.map((t) => t.rows)).toEqual([5, 3]);
    expect(m.itemTower.layers[0].kernel.shape).toEqual([3 * 8 + 3, 16]);
    expect(m.userTower.norms).toHaveLength(2);
    expect(m.userTower.layers.map((l) => l.activation)).toEqual(['relu', 'relu']);
    // ReLU output: non-negative vectors.
    expect((await m.userVectors()).every((v) => v >= 0)).toBe(true);
    expect((await m.itemVectors()).every((v) => v >= 0)).toBe(true);
    // Kernels N(0, 1e-4): tiny; biases U(-1/sqrt(fanIn), 1/sqrt(fanIn)): not zero.
    const kernel = m.userTower.layers[0].kernel.dataSync();
    expect(Math.max(...Array.from(kernel, Math.abs))).toBeLessThan(1e-3);
    const bias = Array.from(m.userTower.layers[0].bias.dataSync());
    expect(bias.some((b) => b !== 0)).toBe(true);
    expect(Math.max(...bias.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(8));
    m.dispose();
  });

  it('scores sigmoid(gamma * clamp(cos(u, v)) + b): logits within b +- gamma, equal to the formula', async () => {
    const m = authors({ gamma: 3 });
    for (let s = 0; s < 5; s++) await m.trainStep(batch);
    const bias = m.scoreBias?.dataSync()[0] ?? NaN;
    expect(bias).not.toBe(0); // the bias is trained
    const users = await m.userVectors();
    const items = await m.itemVectors();
    const logits = await m.scorePairs(batch);
    for (let b = 0; b < batch.users.length; b++) {
      const u = batch.users[b];
      const i = batch.items[b];
      const norms = Math.sqrt(dot(users, u, users, u, 8) * dot(items, i, items, i, 8));
      const cosine = Math.min(1, Math.max(-1, dot(users, u, items, i, 8) / (norms + 1e-8)));
      expect(logits[b]).toBeCloseTo(3 * cosine + bias, 4);
      expect(logits[b]).toBeGreaterThanOrEqual(bias - 3 - 1e-5);
      expect(logits[b]).toBeLessThanOrEqual(bias + 3 + 1e-5);
    }
    m.dispose();
  });

  it('a zero tower output gets a zero (not NaN) gradient through the cosine', async () => {
    const zero = tf.zeros([2, 4]) as tf.Tensor2D;
    const grad = tf.grad((x: tf.Tensor) => tf.sum(rowNorms(x as tf.Tensor2D)))(zero);
    expect(Array.from(grad.dataSync())).toEqual(new Array(8).fill(0));
    const x = tf.tensor2d([[3, 4]]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(rowNorms(v as tf.Tensor2D)))(x);
    expect(Array.from(g.dataSync())).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    tf.dispose([zero, grad, x, g]);
  });

  it('batch norm trains in batch mode and evaluates with running statistics', async () => {
    const m = authors({ batchNormAfterValidation: 'batch' });
    const before = await m.scorePairs(batch);
    await m.trainStep(batch);
    const runningMean = Array.from(m.userTower.norms[0].runningMean.dataSync());
    expect(runningMean.some((v) => v !== 0)).toBe(true);
    // Evaluation is deterministic and batch-independent: one pair scores alike alone or in a batch.
    const scores = await m.scorePairs(batch);
    const single = await m.scorePairs({
      users: batch.users.subarray(3, 4),
      items: batch.items.subarray(3, 4),
    });
    expect(single[0]).toBeCloseTo(scores[3], 5);
    expect(scores).not.toEqual(before);
    // 'batch': later steps still update the running statistics.
    await m.trainStep(batch);
    expect(Array.from(m.userTower.norms[0].runningMean.dataSync())).not.toEqual(runningMean);
    m.dispose();
  });

  it("'running' (authors' fit loop): after an evaluation, steps use and keep the running statistics", async () => {
    const m = authors();
    await m.trainStep(batch);
    const stats = () => m.userTower.norms.map((n) => Array.from(n.runningVar.dataSync()));
    const afterFirst = stats();
    await m.trainStep(batch); // no evaluation yet: batch statistics, running ones move
    expect(stats()).not.toEqual(afterFirst);
    await m.evaluateBce(batch); // the per-epoch validation
    const frozen = stats();
    const gammaBefore = Array.from(m.userTower.norms[0].gamma.dataSync());
    await m.trainStep(batch);
    await m.trainStep(batch);
    expect(stats()).toEqual(frozen);
    // The affine parts still learn, through the running-statistics normalisation.
    expect(Array.from(m.userTower.norms[0].gamma.dataSync())).not.toEqual(gammaBefore);
    m.dispose();
  });

  it('L2 on the embeddings moves every row each step, as dense Adagrad on l2 * sum(W^2) does', async () => {
    const plain = authors({ embeddingL2: 0 });
    const decayed = authors({ embeddingL2: 1e-5 });
    const one = { users: Int32Array.from([2]), items: Int32Array.from([1]), targets: Float32Array.from([1]) };
    const userBefore = Float32Array.from(decayed.userIds.weights);
    const fieldBefore = Float32Array.from(decayed.itemFieldTables[1].weights);
    await plain.trainStep(one);
    await decayed.trainStep(one);
    // Without L2 only user 2's row moves; with it every row does, by Adagrad's first update
    // lr * g / (|g| + 1e-10) with g = 2 l2 w: nearly lr * sign(w), towards zero and past it.
    const rowMoved = (before: Float32Array, after: Float32Array, row: number) =>
      after.subarray(row * 8, row * 8 + 8).some((v, k) => v !== before[row * 8 + k]);
    expect(rowMoved(userBefore, plain.userIds.weights, 5)).toBe(false);
    expect(rowMoved(userBefore, decayed.userIds.weights, 5)).toBe(true);
    for (let k = 0; k < 8; k++) {
      const w = userBefore[5 * 8 + k];
      const g = 2 * 1e-5 * w;
      expect(decayed.userIds.weights[5 * 8 + k]).toBeCloseTo(w - (0.05 * g) / (Math.abs(g) + 1e-10), 6);
    }
    expect(decayed.itemFieldTables[1].weights).not.toEqual(fieldBefore);
    plain.dispose();
    decayed.dispose();
  });

  it('scales dense features to [0, 1] per column (min-max)', async () => {
    const values = Float32Array.from([1, 10, 3, 10, 2, 10]);
    expect(Array.from(minMaxColumns(values, 3, 2))).toEqual([0, 0, 1, 0, 0.5, 0]);
  });

  it('keeps the tensor count flat over training and scoring', async () => {
    const m = authors();
    await m.trainStep(batch);
    const before = tf.memory().numTensors;
    for (let s = 0; s < 3; s++) await m.trainStep(batch);
    await m.scorePairs(batch);
    await m.userVectors();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
