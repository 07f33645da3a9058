import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingData } from '../data/dataset';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import {
  RANKING_CACHE_MAX_FILES,
  RANKING_CLAIM_STALE_MS,
  type RankingCurve,
  claimRankingTraining,
  rankingCacheFile,
  readCachedRanking,
  writeCachedRanking,
} from './ranking-cache';
import { restoreRankingModel, trainRankingModel } from '../models/ranking-model';

beforeAll(async () => {
  await initBackend('wasm');
});

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ranking-cache-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** 30 users, 40 items in 3 categories with a 2-d dense vector; random labels (any signal will do). */
function data(): TrainingData {
  const rng = createRng(9);
  const n = 600;
  return {
    name: 'cache test',
    numUsers: 30,
    numItems: 40,
    numCategories: 3,
    itemCategory: Int32Array.from({ length: 40 }, (_, i) => i % 3),
    denseDim: 2,
    itemDense: Float32Array.from({ length: 80 }, () => rng.normal()),
    interactions: {
      user: Int32Array.from({ length: n }, () => rng.int(30)),
      item: Int32Array.from({ length: n }, () => rng.int(40)),
      label: Uint8Array.from({ length: n }, () => (rng.uniform() < 0.4 ? 1 : 0)),
      time: Float64Array.from({ length: n }, (_, k) => k),
      watchTime: new Float32Array(n),
    },
  };
}

const TRAINING = { epochs: 2, batchSize: 64, learningRate: 0.05, embeddingDim: 4 };
const SMALL = { model: { deepfm: { hiddenUnits: [8] }, dcn: { hiddenUnits: [8], crossLayers: 1 } } };
const rows = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, k) => from + k);

describe.each(['deepfm', 'dcn'] as const)('ranking model cache (%s)', (kind) => {
  it('restores a model that scores bit-identically to the trained one, curves included', async () => {
    const dataset = data();
    const split = { train: rows(0, 450), valid: rows(450, 520), test: rows(520, 600) };
    const curves: RankingCurve[] = [];
    const trained = await trainRankingModel(
      kind,
      dataset,
      split,
      TRAINING,
      createRng(3),
      (e) => e.type === 'curve' && curves.push(e),
      new AbortController().signal,
      SMALL,
    );
    const dir = tempDir();
    writeCachedRanking(dir, 'key-a', {
      kind,
      validAuc: trained.validAuc,
      curves,
      weights: await trained.exportWeights(),
    });
    const stored = readCachedRanking(dir, 'key-a');
    expect(stored?.curves).toEqual(curves);
    expect(stored?.validAuc).toBe(trained.validAuc);
    const before = tf.memory().numTensors;
    // Another seed for the fresh initialisation: every weight must come from the file.
    const restored = restoreRankingModel(
      kind,
      dataset,
      TRAINING,
      createRng(99),
      stored?.weights ?? [],
      stored?.validAuc ?? NaN,
      SMALL,
    );
    const users = Int32Array.from(split.test, (r) => dataset.interactions.user[r]);
    const items = Int32Array.from(split.test, (r) => dataset.interactions.item[r]);
    const restoredScores = await restored.score(users, items);
    expect(restoredScores).toEqual(await trained.score(users, items));
    expect(restoredScores.length).toBe(users.length);
    restored.dispose();
    // Restoring leaks nothing: what it created is gone once disposed.
    expect(tf.memory().numTensors).toBe(before);
    trained.dispose();
    // Another key, or a model of the wrong shape, is not served.
    expect(readCachedRanking(dir, 'key-b')).toBeNull();
    expect(() =>
      restoreRankingModel(
        kind,
        dataset,
        { ...TRAINING, embeddingDim: 5 },
        createRng(1),
        stored?.weights ?? [],
        0,
        SMALL,
      ),
    ).toThrow(/weights, got/);
  });
});

describe('ranking model cache files', () => {
  const entry = { kind: 'deepfm' as const, validAuc: NaN, curves: [], weights: [Float32Array.of(1, 2, 3)] };

  it('ignores a truncated or garbled file instead of failing the run', () => {
    const dir = tempDir();
    writeCachedRanking(dir, 'k', entry);
    expect(readCachedRanking(dir, 'k')?.weights).toEqual([Float32Array.of(1, 2, 3)]);
    expect(readCachedRanking(dir, 'k')?.validAuc).toBeNaN();
    const file = rankingCacheFile(dir, 'k');
    writeFileSync(file, Buffer.from([5, 0, 0, 0, 123]));
    expect(readCachedRanking(dir, 'k')).toBeNull();
    expect(readCachedRanking(join(dir, 'missing'), 'k')).toBeNull();
  });

  it('keeps the most recently used files only', () => {
    const dir = tempDir();
    const old = new Date(Date.now() - 3_600_000);
    writeCachedRanking(dir, 'first', entry);
    utimesSync(rankingCacheFile(dir, 'first'), old, old);
    writeCachedRanking(dir, 'second', entry);
    utimesSync(rankingCacheFile(dir, 'second'), old, old);
    // Reading 'first' marks it used, so 'second' is the least recently used one.
    expect(readCachedRanking(dir, 'first')).not.toBeNull();
    for (let k = 0; k < RANKING_CACHE_MAX_FILES - 1; k++) writeCachedRanking(dir, `filler ${k}`, entry);
    expect(readdirSync(dir)).toHaveLength(RANKING_CACHE_MAX_FILES);
    expect(readCachedRanking(dir, 'first')).not.toBeNull();
    expect(readCachedRanking(dir, 'second')).toBeNull();
  });
});

describe("claims on a ranking model's training", () => {
  it('lets one job hold a key at a time, until it gives the claim up', () => {
    const dir = tempDir();
    const first = claimRankingTraining(dir, 'key-a');
    expect(first).not.toBeNull();
    expect(claimRankingTraining(dir, 'key-a')).toBeNull();
    const other = claimRankingTraining(dir, 'key-b');
    expect(other).not.toBeNull();
    first?.release();
    first?.release();
    const second = claimRankingTraining(dir, 'key-a');
    expect(second).not.toBeNull();
    second?.release();
    other?.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("takes over a claim whose heartbeat stopped, and the dead job's release leaves the new claim", () => {
    const dir = tempDir();
    const dead = claimRankingTraining(dir, 'key-a');
    const file = `${rankingCacheFile(dir, 'key-a')}.training`;
    const past = new Date(Date.now() - RANKING_CLAIM_STALE_MS - 1000);
    utimesSync(file, past, past);
    const live = claimRankingTraining(dir, 'key-a');
    expect(live).not.toBeNull();
    dead?.release();
    expect(existsSync(file)).toBe(true);
    expect(claimRankingTraining(dir, 'key-a')).toBeNull();
    live?.release();
    expect(existsSync(file)).toBe(false);
  });
});
