import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { trainingView } from '../../data/dataset';
import { splitByUserTime } from '../../data/split';
import type { JobEvent } from '../../experiments/job';
import {
  claimRankingTraining,
  rankingCacheFile,
  readCachedRanking,
  writeCachedRanking,
} from '../../node/ranking-cache';
import { initBackend } from '../../tf/backend';
import { acquireRankingModel, clearRankingCache, rankingCacheKey, releaseRanking } from './model-ranking';
import { cascadeJobRequest, tinyDataset } from './test-support';

beforeAll(async () => {
  await initBackend('wasm');
});

const dirs: string[] = [];
afterEach(() => {
  clearRankingCache();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A job's inputs to acquireRankingModel, its events and log lines, with a cache folder of its own. */
function job(cacheDir: string | undefined) {
  const dataset = tinyDataset();
  const data = trainingView(dataset);
  const split = splitByUserTime(dataset);
  const request = cascadeJobRequest(7, cacheDir ? { cacheDir } : {});
  const events: JobEvent[] = [];
  const logs = () => events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
  const acquire = () =>
    acquireRankingModel({
      kind: 'deepfm',
      request,
      data,
      split,
      backend: 'wasm',
      emit: (e) => events.push(e),
      signal: new AbortController().signal,
    });
  return { data, request, acquire, logs, key: rankingCacheKey('deepfm', request, data, 'wasm') };
}

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ranking-claim-'));
  dirs.push(dir);
  return dir;
}

describe('the ranking model of jobs that start together', () => {
  it("waits while another job's claim holds it, then trains it once that job gives up without a model", async () => {
    const dir = cacheDir();
    const waiting = job(dir);
    const other = claimRankingTraining(dir, waiting.key);
    expect(other).not.toBeNull();
    const acquired = waiting.acquire();
    await until(() => waiting.logs().some((m) => m.startsWith('Waiting for the ranking model')));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(waiting.logs().some((m) => m.startsWith('Training the ranking model'))).toBe(false);
    other?.release();
    const entry = await acquired;
    expect(waiting.logs().some((m) => m.startsWith('Training the ranking model'))).toBe(true);
    // It stored the model and gave its own claim up.
    expect(readCachedRanking(dir, waiting.key)).not.toBeNull();
    expect(existsSync(`${rankingCacheFile(dir, waiting.key)}.training`)).toBe(false);
    releaseRanking(entry);
  });

  it("loads the model the claiming job stores, without training it, and scores as that job's model", async () => {
    const dir = cacheDir();
    // The other job's model (trained here without a cache folder, so without a claim), which this
    // worker then forgets, as another worker would never have had it.
    const trainer = job(undefined);
    const trained = await trainer.acquire();
    const weights = await trained.model.exportWeights();
    const users = Int32Array.from([0, 1, 2, 3]);
    const items = Int32Array.from([5, 9, 2, 7]);
    const expected = await trained.model.score(users, items);
    releaseRanking(trained);
    clearRankingCache();

    const waiting = job(dir);
    expect(trainer.key).toBe(waiting.key);
    const other = claimRankingTraining(dir, waiting.key);
    const acquired = waiting.acquire();
    await until(() => waiting.logs().some((m) => m.startsWith('Waiting for the ranking model')));
    writeCachedRanking(dir, waiting.key, {
      kind: 'deepfm',
      validAuc: trained.model.validAuc,
      curves: [],
      weights,
    });
    const entry = await acquired;
    other?.release();
    expect(waiting.logs().some((m) => m.startsWith('Loaded the DeepFM ranking model'))).toBe(true);
    expect(waiting.logs().some((m) => m.startsWith('Training the ranking model'))).toBe(false);
    expect(await entry.model.score(users, items)).toEqual(expected);
    releaseRanking(entry);
  });
});
