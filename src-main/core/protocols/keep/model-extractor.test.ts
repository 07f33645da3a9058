import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../random';
import { initBackend } from '../../tf/backend';
import { type KeepData, TASKS, type Task } from './data';
import {
  type ExtractorArchitecture,
  HEAD_UNITS,
  KnowledgeExtractor,
  PretrainSampler,
} from './model-extractor';
import { range } from './features';
import { rocAuc } from '../../metrics/auc';
import { tinyKeepData } from './test-support';

beforeAll(async () => {
  await initBackend('wasm');
});

let data: KeepData;
beforeAll(() => {
  data = tinyKeepData();
});

function extractor(architecture: ExtractorArchitecture, tasks: readonly Task[] = TASKS, alpha = 0.25) {
  return new KnowledgeExtractor({
    architecture,
    tasks,
    numUsers: data.numUsers,
    numItems: data.numItems,
    numCategories: data.numCategories,
    itemCategory: data.itemCategory,
    denseDim: data.denseDim,
    itemDense: data.itemDense,
    embeddingDim: 4,
    userEmbeddingDim: 6,
    learningRate: 0.05,
    alpha,
    rng: createRng(5),
    // Embeddings start at 1e-4; a larger start makes the hand computations below non-trivial.
  });
}

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

describe('PretrainSampler', () => {
  it('pairs each positive with a negative of the same user from the same task data', async () => {
    const log = data.superPretrain;
    const sampler = new PretrainSampler(log, TASKS, data.numUsers, createRng(1));
    const rows = range(0, 400);
    const batch = sampler.batch(rows);
    expect(batch.batchSize).toBe(400);
    batch.tasks.forEach((task, t) => {
      const labels = t === 0 ? log.click : t === 1 ? log.conversion : log.cart;
      let positives = 0;
      for (let b = 0; b < 400; b++) {
        expect(task.mask[b]).toBe(t === 0 ? 1 : log.click[rows[b]]);
        if (task.mask[b] && task.labels[b]) positives++;
      }
      expect(task.pairs).toBeGreaterThan(0);
      expect(task.pairs).toBeLessThanOrEqual(positives);
      for (let k = 0; k < task.pairs; k++) {
        const pos = task.pairStart + k;
        const neg = task.pairStart + task.pairs + k;
        expect(batch.users[pos]).toBe(batch.users[neg]);
        // Find the rows these pair entries stand for and check their labels.
        const posRow = findRow(log, batch.users[pos], batch.items[pos]);
        const negRow = findRow(log, batch.users[neg], batch.items[neg]);
        expect(labels[posRow]).toBe(1);
        expect(labels[negRow]).toBe(0);
        if (t > 0) expect(log.click[negRow]).toBe(1);
      }
    });
  });
});

function findRow(log: KeepData['superPretrain'], user: number, item: number): number {
  for (let r = 0; r < log.user.length; r++) if (log.user[r] === user && log.item[r] === item) return r;
  throw new Error(`no row for (${user}, ${item})`);
}

describe('KnowledgeExtractor', () => {
  it('trainStep returns Eq. 3 summed over tasks, computed from the logits before the update', async () => {
    for (const alpha of [0, 0.7]) {
      const model = extractor('interaction', TASKS, alpha);
      // A few steps first so the logits are not all near zero.
      const sampler = new PretrainSampler(data.superPretrain, TASKS, data.numUsers, createRng(2));
      for (let s = 0; s < 5; s++) await model.trainStep(sampler.batch(range(s * 64, s * 64 + 64)));
      const batch = sampler.batch(range(500, 600));
      const logits = await model.logits(batch.users, batch.items);
      let expected = 0;
      const B = batch.batchSize;
      batch.tasks.forEach((task, t) => {
        let point = 0;
        let count = 0;
        for (let b = 0; b < B; b++) {
          if (!task.mask[b]) continue;
          point += softplus(logits[t][b]) - logits[t][b] * task.labels[b];
          count++;
        }
        let pair = 0;
        for (let k = 0; k < task.pairs; k++)
          pair += softplus(logits[t][task.pairStart + task.pairs + k] - logits[t][task.pairStart + k]);
        expected += point / Math.max(1, count) + alpha * (task.pairs > 0 ? pair / task.pairs : 0);
      });
      const step = await model.trainStep(batch);
      expect(step.loss).toBeCloseTo(expected, 4);
      expect(step.point).toHaveLength(3);
      model.dispose();
    }
  });

  it('pre-training learns: the click head ranks held-out impressions better than chance', async () => {
    const model = extractor('interaction');
    const sampler = new PretrainSampler(data.superPretrain, TASKS, data.numUsers, createRng(3));
    const shuffle = createRng(4);
    const before = (await model.trainStep(sampler.batch(range(0, 128)))).loss;
    let last = before;
    for (let epoch = 0; epoch < 6; epoch++) {
      const order = shuffle.shuffle(range(0, data.superPretrain.user.length));
      for (let s = 0; s + 128 <= order.length; s += 128)
        last = (await model.trainStep(sampler.batch(order.subarray(s, s + 128)))).loss;
    }
    expect(last).toBeLessThan(before);
    const held = data.superConcurrent;
    const clickAuc = rocAuc((await model.logits(held.user, held.item))[0], held.click);
    expect(clickAuc).toBeGreaterThan(0.6);
    model.dispose();
  });

  it('Eq. 4: K_ui^task is the layer before each logit; K_u and K_i are the embedding rows', async () => {
    const model = extractor('interaction', ['click', 'cart']);
    const users = Int32Array.from([0, 5, 9]);
    const items = Int32Array.from([3, 3, 40]);
    const k = await model.interactionKnowledge(users, items);
    const width = HEAD_UNITS[HEAD_UNITS.length - 1];
    expect(model.interactionKnowledgeDim).toBe(2 * width);
    const logits = await model.logits(users, items);
    model.heads.forEach((head, t) => {
      const last = head.layers[head.layers.length - 1];
      const w = last.kernel.dataSync();
      const b = last.bias.dataSync()[0];
      for (let r = 0; r < 3; r++) {
        let s = b;
        for (let j = 0; j < width; j++) s += k[r * 2 * width + t * width + j] * w[j];
        expect(logits[t][r]).toBeCloseTo(s, 4);
      }
    });
    const ku = await model.userKnowledge(users);
    expect(Array.from(ku.subarray(6, 12))).toEqual(Array.from(model.userIds.weights.subarray(5 * 6, 6 * 6)));
    const ki = await model.itemKnowledge(Int32Array.from([40]));
    const category = data.itemCategory[40];
    expect(Array.from(ki)).toEqual([
      ...Array.from(model.itemIds?.weights.subarray(40 * 4, 41 * 4) ?? []),
      ...Array.from(model.categories.weights.subarray(category * 4, category * 4 + 4)),
    ]);
    model.dispose();
  });

  it('decomposition: K_ui = K^_u * K^_i and each logit is a linear function of it', async () => {
    const model = extractor('two-tower', ['click']);
    const sampler = new PretrainSampler(data.superPretrain, ['click'], data.numUsers, createRng(2));
    for (let s = 0; s < 3; s++) await model.trainStep(sampler.batch(range(s * 64, s * 64 + 64)));
    const users = Int32Array.from([1, 2, 2]);
    const items = Int32Array.from([7, 7, 30]);
    const ku = await model.userKnowledge(users);
    const ki = await model.itemKnowledge(items);
    const kui = await model.interactionKnowledge(users, items);
    const d = model.userKnowledgeDim;
    for (let k = 0; k < kui.length; k++) expect(kui[k]).toBeCloseTo(ku[k] * ki[k], 6);
    const head = model.heads[0].layers[0];
    const w = head.kernel.dataSync();
    const logits = (await model.logits(users, items))[0];
    for (let r = 0; r < 3; r++) {
      let s = head.bias.dataSync()[0];
      for (let j = 0; j < d; j++) s += kui[r * d + j] * w[j];
      expect(logits[r]).toBeCloseTo(s, 4);
    }
    model.dispose();
  });

  it('degeneration: the knowledge depends on the item only through its category', async () => {
    const model = extractor('category');
    const sampler = new PretrainSampler(data.superPretrain, TASKS, data.numUsers, createRng(2));
    for (let s = 0; s < 3; s++) await model.trainStep(sampler.batch(range(s * 64, s * 64 + 64)));
    const c = data.itemCategory[0];
    const same = range(1, data.numItems).find((i) => data.itemCategory[i] === c) ?? -1;
    const other = range(1, data.numItems).find((i) => data.itemCategory[i] !== c) ?? -1;
    const k = await model.interactionKnowledge(Int32Array.from([4, 4, 4]), Int32Array.from([0, same, other]));
    const w = model.interactionKnowledgeDim;
    expect(Array.from(k.subarray(0, w))).toEqual(Array.from(k.subarray(w, 2 * w)));
    expect(Array.from(k.subarray(0, w))).not.toEqual(Array.from(k.subarray(2 * w, 3 * w)));
    const uc = await model.userCategoryKnowledge(Int32Array.from([4]), Int32Array.from([c]));
    for (let j = 0; j < w; j++) expect(uc[j]).toBeCloseTo(k[j], 6);
    await expect(
      extractor('interaction').userCategoryKnowledge(Int32Array.from([0]), Int32Array.from([0])),
    ).rejects.toThrow(/'category' model/);
    model.dispose();
  });

  it('disposes every tensor it creates', async () => {
    const before = tf.memory().numTensors;
    for (const arch of ['interaction', 'two-tower', 'category'] as const) {
      const model = extractor(arch);
      const sampler = new PretrainSampler(data.superPretrain, TASKS, data.numUsers, createRng(2));
      await model.trainStep(sampler.batch(range(0, 64)));
      await model.interactionKnowledge(range(0, 5), range(0, 5));
      await model.userKnowledge(range(0, 5));
      await model.itemKnowledge(range(0, 5));
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
