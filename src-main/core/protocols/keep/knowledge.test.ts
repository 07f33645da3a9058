import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../random';
import { initBackend } from '../../tf/backend';
import { type KeepData, TASKS } from './data';
import { type ExtractorArchitecture, KnowledgeExtractor, PretrainSampler } from './model-extractor';
import { range } from './features';
import {
  CachedKnowledge,
  type Extractors,
  type KnowledgeForm,
  type KnowledgeParts,
  extractorsFor,
  liveKnowledge,
  servingKnowledge,
} from './knowledge';
import { tinyKeepData } from './test-support';

beforeAll(async () => {
  await initBackend('wasm');
});

let data: KeepData;
let extractors: Extractors;
beforeAll(async () => {
  data = tinyKeepData();
  extractors = {};
  const architectures: ExtractorArchitecture[] = ['interaction', 'two-tower', 'category'];
  for (const [k, architecture] of architectures.entries()) {
    const model = new KnowledgeExtractor({
      architecture,
      tasks: TASKS,
      numUsers: data.numUsers,
      numItems: data.numItems,
      numCategories: data.numCategories,
      itemCategory: data.itemCategory,
      denseDim: data.denseDim,
      itemDense: data.itemDense,
      embeddingDim: 4,
      userEmbeddingDim: 6,
      learningRate: 0.05,
      alpha: 0.25,
      rng: createRng(10 + k),
    });
    const sampler = new PretrainSampler(data.superPretrain, TASKS, data.numUsers, createRng(k));
    for (let s = 0; s < 8; s++) await model.trainStep(sampler.batch(range(s * 100, s * 100 + 100)));
    extractors[architecture] = model;
  }
  return () => {
    for (const e of Object.values(extractors)) e?.dispose();
  };
});

const ALL: KnowledgeParts = { user: true, item: true, interaction: true };
const users = Int32Array.from([0, 3, 3, 17, 59, 42]);
const items = Int32Array.from([0, 1, 119, 64, 8, 8]);

describe('Knowledge K(u, i) (Eq. 4)', () => {
  it('is [K_u, K_i, K_ui^clk, K_ui^cv, K_ui^cart] side by side, and the switches drop parts', async () => {
    const e = extractors.interaction as KnowledgeExtractor;
    const k = liveKnowledge('full', extractors, ALL);
    expect(k.layout.map((p) => p.name)).toEqual(['K_u', 'K_i', 'K_ui[click,conversion,cart]']);
    expect(k.dim).toBe(6 + 8 + 3 * 16);
    const values = await k.knowledge(users, items);
    const ku = await e.userKnowledge(users);
    const ki = await e.itemKnowledge(items);
    const kui = await e.interactionKnowledge(users, items);
    for (let r = 0; r < users.length; r++) {
      const row = Array.from(values.subarray(r * k.dim, (r + 1) * k.dim));
      expect(row).toEqual([
        ...Array.from(ku.subarray(r * 6, r * 6 + 6)),
        ...Array.from(ki.subarray(r * 8, r * 8 + 8)),
        ...Array.from(kui.subarray(r * 48, r * 48 + 48)),
      ]);
    }
    const noUser = liveKnowledge('full', extractors, { user: false, item: true, interaction: true });
    expect(noUser.dim).toBe(8 + 48);
    expect(Array.from((await noUser.knowledge(users, items)).subarray(0, 8))).toEqual(
      Array.from(ki.subarray(0, 8)),
    );
    expect(() => liveKnowledge('full', extractors, { user: false, item: false, interaction: false })).toThrow(
      /no part of K/,
    );
  });
});

describe('Serving forms (Eq. 6)', () => {
  it('need the extractors of their strategy', async () => {
    expect(extractorsFor('full')).toEqual(['interaction']);
    expect(extractorsFor('decomposition+degeneration')).toEqual(['two-tower', 'category']);
    expect(() => liveKnowledge('decomposition', { interaction: extractors.interaction }, ALL)).toThrow(
      /'two-tower' extractor is missing/,
    );
  });

  it('Eq. 6 lays out [K^_u, K^_i, K^_u * K^_i, K^_uc]', async () => {
    const tt = extractors['two-tower'] as KnowledgeExtractor;
    const cat = extractors.category as KnowledgeExtractor;
    const k = liveKnowledge('decomposition+degeneration', extractors, ALL);
    expect(k.layout.map((p) => p.name)).toEqual(['K^_u', 'K^_i', 'K^_u*K^_i', 'K^_uc']);
    const values = await k.knowledge(users, items);
    const ku = await tt.userKnowledge(users);
    const ki = await tt.itemKnowledge(items);
    const kuc = await cat.interactionKnowledge(users, items);
    const d = tt.userKnowledgeDim;
    const w = cat.interactionKnowledgeDim;
    for (let r = 0; r < users.length; r++) {
      const row = values.subarray(r * k.dim, (r + 1) * k.dim);
      for (let j = 0; j < d; j++) {
        expect(row[j]).toBeCloseTo(ku[r * d + j], 6);
        expect(row[d + j]).toBeCloseTo(ki[r * d + j], 6);
        expect(row[2 * d + j]).toBeCloseTo(ku[r * d + j] * ki[r * d + j], 6);
      }
      for (let j = 0; j < w; j++) expect(row[3 * d + j]).toBeCloseTo(kuc[r * w + j], 6);
    }
  });

  it.each(['decomposition', 'degeneration', 'decomposition+degeneration'] as const)(
    'the %s cache serves exactly what the networks compute',
    async (form: Exclude<KnowledgeForm, 'full'>) => {
      const cache = await CachedKnowledge.build(form, extractors, ALL, data);
      const live = liveKnowledge(form, extractors, ALL);
      expect(cache.dim).toBe(live.dim);
      const u = range(0, data.numUsers);
      const i = Int32Array.from(u, (x) => (x * 7) % data.numItems);
      const served = await cache.knowledge(u, i);
      const computed = await live.knowledge(u, i);
      for (let k = 0; k < served.length; k++) expect(served[k]).toBeCloseTo(computed[k], 5);
      // N_u + N_i + N_uc entries instead of N_u * N_i.
      expect(cache.entries.users).toBe(data.numUsers);
      if (form !== 'degeneration') expect(cache.entries.items).toBe(data.numItems);
      expect(cache.entries.userCategories).toBe(
        form === 'decomposition' ? 0 : data.numUsers * data.numCategories,
      );
      expect(await servingKnowledge(form, extractors, ALL, data)).toBeInstanceOf(CachedKnowledge);
    },
  );

  it('creates no tensors that outlive a lookup', async () => {
    const before = tf.memory().numTensors;
    await (
      await CachedKnowledge.build('decomposition+degeneration', extractors, ALL, data)
    ).knowledge(users, items);
    await liveKnowledge('full', extractors, ALL).knowledge(users, items);
    expect(tf.memory().numTensors).toBe(before);
  });
});
