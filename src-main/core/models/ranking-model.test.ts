import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainingSpec } from '../../contract/api';
import type { TrainingData } from '../data/dataset';
import type { DataSplit } from '../data/split';
import { JobCancelledError, type JobEvent } from '../experiments/job';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import { rocAuc } from '../metrics/auc';
import { DeepFmNetwork } from './deepfm';
import {
  CtrModel,
  type RankingKind,
  rankingItemFields,
  rankingNetworkOptions,
  trainRankingModel,
} from './ranking-model';

beforeAll(async () => {
  await initBackend('wasm');
});

const NUM_USERS = 60;
const NUM_ITEMS = 80;
const NUM_CATEGORIES = 4;
const DENSE_DIM = 3;

/**
 * Users like one category: user u finishes items of category u % 4 with probability 0.9 and the
 * others with 0.1. Rows are random (user, item) pairs; the first 70% train, 10% valid, 20% test.
 * The Bayes-optimal AUC of this signal is about 0.86; chance is 0.5.
 */
function synthetic(): { data: TrainingData; split: DataSplit } {
  const rng = createRng(42);
  const n = 4000;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const label = new Uint8Array(n);
  const itemCategory = Int32Array.from({ length: NUM_ITEMS }, (_, i) => i % NUM_CATEGORIES);
  for (let r = 0; r < n; r++) {
    user[r] = rng.int(NUM_USERS);
    item[r] = rng.int(NUM_ITEMS);
    const likes = itemCategory[item[r]] === user[r] % NUM_CATEGORIES;
    label[r] = rng.bernoulli(likes ? 0.9 : 0.1) ? 1 : 0;
  }
  const data: TrainingData = {
    name: 'synthetic',
    numUsers: NUM_USERS,
    numItems: NUM_ITEMS,
    numCategories: NUM_CATEGORIES,
    itemCategory,
    denseDim: DENSE_DIM,
    itemDense: Float32Array.from({ length: NUM_ITEMS * DENSE_DIM }, () => rng.normal()),
    interactions: {
      user,
      item,
      label,
      time: Float64Array.from({ length: n }, (_, k) => k),
      watchTime: Float32Array.from(label),
    },
  };
  const rows = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, k) => from + k);
  return { data, split: { train: rows(0, 2800), valid: rows(2800, 3200), test: rows(3200, n) } };
}

const TRAINING: TrainingSpec = { epochs: 8, batchSize: 128, learningRate: 0.05, embeddingDim: 8 };
const SMALL = { deepfm: { hiddenUnits: [16, 8] }, dcn: { hiddenUnits: [16, 8], crossLayers: 2 } };

async function train(
  kind: RankingKind,
  seed: number,
  events: JobEvent[] = [],
  signal = new AbortController().signal,
) {
  const { data, split } = synthetic();
  const model = await trainRankingModel(
    kind,
    data,
    split,
    TRAINING,
    createRng(seed),
    (e) => events.push(e),
    signal,
    { model: SMALL },
  );
  return { model, data, split };
}

async function testScores(
  model: { score(u: Int32Array, i: Int32Array): Promise<Float32Array> },
  data: TrainingData,
  split: DataSplit,
) {
  const users = Int32Array.from(split.test, (r) => data.interactions.user[r]);
  const items = Int32Array.from(split.test, (r) => data.interactions.item[r]);
  const labels = Uint8Array.from(split.test, (r) => data.interactions.label[r]);
  return { scores: await model.score(users, items), labels };
}

describe.each(['deepfm', 'dcn'] as const)('trainRankingModel(%s)', (kind) => {
  it('learns the synthetic preference: held-out AUC well above chance', async () => {
    const events: JobEvent[] = [];
    const { model, data, split } = await train(kind, 1, events);
    const { scores, labels } = await testScores(model, data, split);
    for (const p of scores) {
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    }
    expect(rocAuc(scores, labels)).toBeGreaterThan(0.75);
    expect(model.validAuc).toBeGreaterThan(0.75);
    expect(model.name).toBe(kind === 'deepfm' ? 'DeepFM' : 'DCN');

    const curve = (name: string) =>
      events.flatMap((e) => (e.type === 'curve' && e.name === name ? [e.value] : []));
    const trainBce = curve('ranking/train/bce');
    expect(trainBce).toHaveLength(TRAINING.epochs);
    expect(trainBce[trainBce.length - 1]).toBeLessThan(trainBce[0]);
    expect(curve('ranking/valid/bce')).toHaveLength(TRAINING.epochs);
    expect(curve('ranking/valid/auc')).toHaveLength(TRAINING.epochs);
    const fractions = events.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
    expect(fractions[fractions.length - 1]).toBe(1);
    model.dispose();
  });

  it('is deterministic for a seed, and another seed gives another model', async () => {
    const a = await train(kind, 7);
    const b = await train(kind, 7);
    const c = await train(kind, 8);
    const sa = (await testScores(a.model, a.data, a.split)).scores;
    expect((await testScores(b.model, b.data, b.split)).scores).toEqual(sa);
    expect((await testScores(c.model, c.data, c.split)).scores).not.toEqual(sa);
    for (const x of [a, b, c]) x.model.dispose();
  });

  it('leaves no tensors behind once disposed, also when cancelled', async () => {
    await train(kind, 1).then((x) => x.model.dispose()); // kernels warmed
    const before = tf.memory().numTensors;
    const { model, data, split } = await train(kind, 2);
    await testScores(model, data, split);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const controller = new AbortController();
    const events: JobEvent[] = [];
    const pending = train(kind, 3, [], controller.signal);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(JobCancelledError);
    expect(events).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('CtrModel', () => {
  const options = () => {
    const { data } = synthetic();
    return {
      numUsers: data.numUsers,
      numItems: data.numItems,
      numCategories: data.numCategories,
      itemCategory: data.itemCategory,
      denseDim: data.denseDim,
      itemDense: data.itemDense,
      embeddingDim: 4,
      learningRate: 0.05,
      rng: createRng(1),
      ...SMALL,
    };
  };

  it('updates exactly the embedding rows of the batch (sparse Adagrad outside the graph)', async () => {
    const model = new CtrModel('deepfm', options());
    const [users, items, categories] = model.fieldTables.map((t) => Float32Array.from(t.weights));
    const firstUsers = Float32Array.from(model.firstOrderTables![0].weights);
    await model.trainStep({
      users: Int32Array.from([3, 3]),
      items: Int32Array.from([5, 6]),
      targets: Float32Array.from([1, 0]),
    });
    const changedRows = (before: Float32Array, after: Float32Array, width: number) => {
      const rows = new Set<number>();
      for (let k = 0; k < before.length; k++) if (before[k] !== after[k]) rows.add(Math.floor(k / width));
      return [...rows].sort((a, b) => a - b);
    };
    expect(changedRows(users, model.fieldTables[0].weights, 4)).toEqual([3]);
    expect(changedRows(items, model.fieldTables[1].weights, 4)).toEqual([5, 6]);
    // Items 5 and 6 have categories 1 and 2.
    expect(changedRows(categories, model.fieldTables[2].weights, 4)).toEqual([1, 2]);
    expect(changedRows(firstUsers, model.firstOrderTables![0].weights, 1)).toEqual([3]);
    model.dispose();
  });

  it('lowers the loss of a repeated batch, and predict() is sigmoid(logits)', async () => {
    for (const kind of ['deepfm', 'dcn'] as const) {
      const model = new CtrModel(kind, options());
      const batch = {
        users: Int32Array.from([0, 1, 2, 3]),
        items: Int32Array.from([0, 1, 2, 3]),
        targets: Float32Array.from([1, 0, 1, 0]),
      };
      const first = await model.trainStep(batch);
      let last = first;
      for (let s = 0; s < 20; s++) last = await model.trainStep(batch);
      expect(last).toBeLessThan(first * 0.8);
      const logits = await model.predictLogits(batch.users, batch.items);
      const probabilities = await model.predict(batch.users, batch.items);
      logits.forEach((x, k) => expect(probabilities[k]).toBeCloseTo(1 / (1 + Math.exp(-x)), 6));
      model.dispose();
    }
  });

  it('rejects ids outside the tables with the offending pair', async () => {
    const model = new CtrModel('dcn', options());
    await expect(model.predict(Int32Array.from([0, 60]), Int32Array.from([0, 0]))).rejects.toThrow(
      /user id 60 \(pair 1\)/,
    );
    await expect(model.predict(Int32Array.from([0]), Int32Array.from([-1]))).rejects.toThrow(/item id -1/);
    model.dispose();
  });
});

describe("the ranking network's readings and the dataset's item fields", () => {
  it("'authors' builds DeepFM 256-128 with N(0, 1e-4) kernels, L2 on every embedding row, min-max dense", async () => {
    const { data } = synthetic();
    const options = rankingNetworkOptions('authors');
    expect(options).toEqual({
      deepfm: { hiddenUnits: [256, 128], init: 'normal' },
      embeddingL2: 1e-5,
      denseScaling: 'minmax',
    });
    expect(rankingNetworkOptions('ours')).toEqual({});
    const model = new CtrModel('deepfm', {
      ...data,
      embeddingDim: 4,
      learningRate: 0.05,
      rng: createRng(1),
      ...options,
    });
    const network = model.network as DeepFmNetwork;
    expect(network.dnn.layers.map((l) => l.kernel.shape[1])).toEqual([256, 128, 1]);
    expect(Math.max(...Array.from(network.dnn.layers[0].kernel.dataSync(), Math.abs))).toBeLessThan(1e-3);
    // One step on one pair moves every row of every table (L2), not just the pair's rows.
    const before = Float32Array.from(model.fieldTables[0].weights);
    await model.trainStep({
      users: Int32Array.from([0]),
      items: Int32Array.from([0]),
      targets: Float32Array.from([1]),
    });
    const row = (w: Float32Array, r: number) => Array.from(w.subarray(r * 4, r * 4 + 4));
    expect(row(model.fieldTables[0].weights, 7)).not.toEqual(row(before, 7));
    model.dispose();
  });

  it("embeds the dataset's item fields instead of the category when it has them", async () => {
    const { data } = synthetic();
    const withFields: TrainingData = {
      ...data,
      itemFields: [
        { name: 'author', cardinality: 5, codes: Int32Array.from({ length: NUM_ITEMS }, (_, i) => i % 5) },
        { name: 'song', cardinality: 7, codes: Int32Array.from({ length: NUM_ITEMS }, (_, i) => i % 7) },
      ],
    };
    expect(rankingItemFields(withFields).map((f) => f.name)).toEqual(['author', 'song']);
    expect(rankingItemFields(data).map((f) => f.name)).toEqual(['category']);
    const model = new CtrModel('deepfm', {
      ...withFields,
      embeddingDim: 4,
      learningRate: 0.05,
      rng: createRng(1),
      ...SMALL,
    });
    expect(model.numFields).toBe(4);
    expect(model.fieldTables.map((t) => t.rows)).toEqual([NUM_USERS, NUM_ITEMS, 5, 7]);
    const p = await model.predict(Int32Array.from([0, 1]), Int32Array.from([2, 3]));
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
    model.dispose();
  });
});
