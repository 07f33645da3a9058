import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../tf/backend';
import { threeCheckedSteps } from './step-test-support';
import {
  type DssmStepConfig,
  DssmStepWorkload,
  PEER_DSSM_STEP,
  benchDssmStep,
  measureSteps,
} from './dssm-step';

beforeAll(async () => {
  await initBackend('cpu');
});

const TINY: DssmStepConfig = {
  userRows: 5,
  itemRows: 6,
  embeddingDim: 4,
  towerUnits: [5, 3],
  learningRate: 0.1,
  positiveRate: 0.3,
};

/** The model's parameters as plain arrays, in a fixed order. */
interface Params {
  userTable: Float32Array;
  itemTable: Float32Array;
  /** kernel, bias per layer: user tower then item tower */
  dense: Float32Array[];
  shapes: number[][];
}

function snapshot(w: DssmStepWorkload): Params {
  const vars = [...w.userTower.variables(), ...w.itemTower.variables()];
  return {
    userTable: Float32Array.from(w.userTable.weights),
    itemTable: Float32Array.from(w.itemTable.weights),
    dense: vars.map((v) => Float32Array.from(v.dataSync())),
    shapes: vars.map((v) => v.shape),
  };
}

/**
 * An independent reference of one step: built-in tf ops (relu(xW + b), the BCE written with
 * log-sigmoid), tf.grads for every gradient, and PyTorch's Adagrad in plain loops, the sparse
 * one coalescing repeated ids.
 */
function referenceStep(
  p: Params,
  acc: Params,
  users: Int32Array,
  items: Int32Array,
  labels: Float32Array,
  config: DssmStepConfig,
): number {
  const dim = config.embeddingDim;
  const gatherRows = (table: Float32Array, ids: Int32Array) =>
    tf.tensor2d(
      Array.from(ids).flatMap((id) => Array.from(table.subarray(id * dim, id * dim + dim))),
      [ids.length, dim],
    );
  const layers = config.towerUnits.length;
  const lossOf = (...inputs: tf.Tensor[]): tf.Scalar => {
    const [u, i, ...weights] = inputs;
    const tower = (x: tf.Tensor, offset: number): tf.Tensor => {
      let h = x;
      for (let l = 0; l < layers; l++)
        h = tf.relu(tf.add(tf.matMul(h, weights[offset + 2 * l]), weights[offset + 2 * l + 1]));
      return h;
    };
    const score = tf.sum(tf.mul(tower(u, 0), tower(i, 2 * layers)), 1);
    const y = tf.tensor1d(labels);
    const p1 = tf.sigmoid(score);
    return tf.neg(
      tf.mean(tf.add(tf.mul(y, tf.log(p1)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p1))))),
    ) as tf.Scalar;
  };
  const inputs = [
    gatherRows(p.userTable, users),
    gatherRows(p.itemTable, items),
    ...p.dense.map((d, k) => tf.tensor(d, p.shapes[k])),
  ];
  const { value, grads } = tf.valueAndGrads(lossOf)(inputs);
  const loss = value.dataSync()[0];
  const lr = config.learningRate;
  const adagrad = (w: Float32Array, g: Float32Array, G: Float32Array, at: number) => {
    for (let k = 0; k < g.length; k++) {
      G[at + k] += g[k] * g[k];
      w[at + k] -= (lr * g[k]) / (Math.sqrt(G[at + k]) + 1e-10);
    }
  };
  grads.slice(2).forEach((g, k) => adagrad(p.dense[k], g.dataSync() as Float32Array, acc.dense[k], 0));
  const sparse = (table: Float32Array, G: Float32Array, ids: Int32Array, g: Float32Array) => {
    const summed = new Map<number, Float32Array>();
    ids.forEach((id, b) => {
      const row = summed.get(id) ?? new Float32Array(dim);
      for (let k = 0; k < dim; k++) row[k] += g[b * dim + k];
      summed.set(id, row);
    });
    for (const [id, row] of summed) adagrad(table, row, G, id * dim);
  };
  sparse(p.userTable, acc.userTable, users, grads[0].dataSync() as Float32Array);
  sparse(p.itemTable, acc.itemTable, items, grads[1].dataSync() as Float32Array);
  return loss;
}

function zerosLike(p: Params): Params {
  return {
    userTable: new Float32Array(p.userTable.length),
    itemTable: new Float32Array(p.itemTable.length),
    dense: p.dense.map((d) => new Float32Array(d.length)),
    shapes: p.shapes,
  };
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  let worst = 0;
  for (let k = 0; k < actual.length; k++)
    worst = Math.max(worst, Math.abs(actual[k] - expected[k]) / (1e-3 + Math.abs(expected[k])));
  expect(worst, what).toBeLessThan(2e-4);
}

describe('DssmStepWorkload', () => {
  it('has the peer workload: 20,000 and 40,000 rows of 128, towers 300-200-100, lr 0.01, 30% positives', () => {
    expect(PEER_DSSM_STEP).toEqual({
      userRows: 20_000,
      itemRows: 40_000,
      embeddingDim: 128,
      towerUnits: [300, 200, 100],
      learningRate: 0.01,
      positiveRate: 0.3,
    });
  });

  it('applies ReLU after every layer, the last one included', () => {
    const w = new DssmStepWorkload(4, 1, TINY);
    try {
      expect(w.userTower.layers.map((l) => l.activation)).toEqual(['relu', 'relu']);
      expect(w.itemTower.layers.map((l) => l.activation)).toEqual(['relu', 'relu']);
    } finally {
      w.dispose();
    }
  });

  it('matches an autodiff + Adagrad reference over three steps, repeated ids included', async () => {
    const w = new DssmStepWorkload(16, 7, TINY);
    try {
      const p = snapshot(w);
      const acc = zerosLike(p);
      let sawRepeat = false;
      for (let step = 0; step < 3; step++) {
        w.drawBatch();
        sawRepeat ||= new Set(w.users).size < w.users.length;
        const expectedLoss = referenceStep(p, acc, w.users, w.items, w.labels, TINY);
        const loss = await w.trainOnBatch();
        expect(loss).toBeCloseTo(expectedLoss, 4);
        const got = snapshot(w);
        expectClose(got.userTable, p.userTable, `user table after step ${step + 1}`);
        expectClose(got.itemTable, p.itemTable, `item table after step ${step + 1}`);
        got.dense.forEach((d, k) => expectClose(d, p.dense[k], `dense variable ${k} after step ${step + 1}`));
      }
      expect(sawRepeat).toBe(true);
    } finally {
      w.dispose();
    }
  });

  it('draws ids in range and about 30% positive labels, and leaks no tensors', async () => {
    const w = new DssmStepWorkload(2000, 3, { ...TINY, userRows: 50, itemRows: 70 });
    try {
      w.drawBatch();
      expect(Math.min(...w.users)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...w.users)).toBe(49);
      expect(Math.max(...w.items)).toBe(69);
      const positives = w.labels.reduce((s, y) => s + y, 0) / w.labels.length;
      expect(positives).toBeGreaterThan(0.26);
      expect(positives).toBeLessThan(0.34);
      const checked = await threeCheckedSteps(w);
      expect(checked.steps).toBe(3);
      expect(Number.isFinite(checked.sum)).toBe(true);
      expect(checked.tensorsAdded).toBe(0);
    } finally {
      w.dispose();
    }
  });
});

describe('measureSteps', () => {
  it('runs the warm-up, then steps while the budget lasts, and reports samples per second', async () => {
    const w = new DssmStepWorkload(8, 1, TINY);
    try {
      let calls = 0;
      const original = w.step.bind(w);
      w.step = () => {
        calls++;
        return original();
      };
      // The clock moves 250 ms per reading: readings at 250, 500, 750 are inside a 1 s budget.
      let clock = 0;
      const m = await measureSteps(w, { seconds: 1, now: () => (clock += 250) });
      expect(m.steps).toBe(3);
      expect(calls).toBe(3 + 3);
      expect(m.seconds).toBe(1.25);
      expect(m.samplesPerSecond).toBe(Math.round((3 * 8) / 1.25));
      expect(Number.isFinite(m.meanLoss)).toBe(true);
      await expect(measureSteps(w, { seconds: 0 })).rejects.toThrow(/seconds must be > 0/);
    } finally {
      w.dispose();
    }
  });

  it('benchDssmStep measures each batch size on a fresh model and frees it', async () => {
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const results = await benchDssmStep([4, 8], { seconds: 0.05, warmupSteps: 1, config: TINY }, (m) =>
      seen.push(m.batch),
    );
    expect(results.map((r) => r.batch)).toEqual([4, 8]);
    expect(seen).toEqual([4, 8]);
    for (const r of results) expect(r.steps).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('device embeddings', () => {
  it('follow the host-embedding steps (same start, same batches) within float32 rounding', async () => {
    const host = new DssmStepWorkload(16, 5, TINY);
    const device = new DssmStepWorkload(16, 5, TINY, { embeddings: 'device', lossReadInterval: 2 });
    try {
      const tables = device.deviceTables;
      if (!tables) throw new Error('device placement must have device tables');
      const start = await tables.user.read();
      expect(Array.from(start.weights)).toEqual(Array.from(host.userTable.weights));
      let sawRepeat = false;
      for (let step = 0; step < 4; step++) {
        await host.step();
        await device.step();
        expect(Array.from(device.users)).toEqual(Array.from(host.users));
        sawRepeat ||=
          new Set(host.users).size < host.users.length || new Set(host.items).size < host.items.length;
      }
      expect(sawRepeat).toBe(true);
      const hostLosses = await host.takeLosses();
      const deviceLosses = await device.takeLosses();
      expect(deviceLosses.steps).toBe(4);
      expect(deviceLosses.sum).toBeCloseTo(hostLosses.sum, 4);
      expectClose((await tables.user.read()).weights, host.userTable.weights, 'user table');
      expectClose((await tables.item.read()).weights, host.itemTable.weights, 'item table');
      const towers = (w: DssmStepWorkload) =>
        [...w.userTower.variables(), ...w.itemTower.variables()].map((v) => v.dataSync() as Float32Array);
      const hostTowers = towers(host);
      towers(device).forEach((d, k) => expectClose(d, hostTowers[k], `dense variable ${k}`));
      // The device step left the host copies as they started.
      expect(Array.from(device.userTable.weights)).toEqual(Array.from(start.weights));
    } finally {
      host.dispose();
      device.dispose();
    }
  });

  it('read the loss only every lossReadInterval steps, and leak no tensors', async () => {
    const before = tf.memory().numTensors;
    const w = new DssmStepWorkload(8, 2, TINY, { embeddings: 'device', lossReadInterval: 3 });
    try {
      const read = vi.spyOn(tf.Tensor.prototype, 'data');
      for (let k = 0; k < 7; k++) await w.step();
      expect(read).toHaveBeenCalledTimes(2); // after steps 3 and 6
      const losses = await w.takeLosses();
      expect(read).toHaveBeenCalledTimes(3);
      read.mockRestore();
      expect(losses.steps).toBe(7);
      expect(losses.sum / losses.steps).toBeGreaterThan(0);
      expect(() => new DssmStepWorkload(8, 2, TINY, { lossReadInterval: 0 })).toThrow(/lossReadInterval/);
      await expect(w.trainOnBatch()).rejects.toThrow(/host-embedding step/);
    } finally {
      w.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('benchDssmStep measures them too', async () => {
    const results = await benchDssmStep([4], {
      seconds: 0.05,
      warmupSteps: 1,
      config: TINY,
      embeddings: 'device',
      lossReadInterval: 2,
    });
    expect(results[0].steps).toBeGreaterThan(0);
    expect(Number.isFinite(results[0].meanLoss)).toBe(true);
  });
});
