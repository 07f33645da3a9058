import { describe, expect, it } from 'vitest';
import {
  retrievalCollapse,
  retrievalNearCollapse,
  TermMeans,
  probabilityHistogram,
  rankingScores,
  requireRanking,
  stageContext,
} from './method-common';
import { methodContext, tinyDataset } from './test-support';

describe('method helpers', () => {
  it('probabilityHistogram: 20 equal bins over [0, 1], 1 in the last bin', () => {
    const { edges, counts } = probabilityHistogram(Float32Array.from([0, 0.049, 0.05, 0.5, 0.999, 1]));
    expect(edges).toHaveLength(21);
    expect(edges[1]).toBeCloseTo(0.05, 12);
    expect(counts).toHaveLength(20);
    expect(counts[0]).toBe(2);
    expect(counts[1]).toBe(1);
    expect(counts[10]).toBe(1);
    expect(counts[19]).toBe(2);
    expect(() => probabilityHistogram(Float32Array.from([1.5]))).toThrow(/not in \[0, 1\]/);
  });

  it('requireRanking names the spec field; rankingScores checks what the model returns', async () => {
    const ctx = methodContext(tinyDataset(), { ranking: null });
    expect(() => requireRanking(ctx, 'KD')).toThrow(/KD needs a ranking model.*spec\.ranking\.model/);
    const pairs = { users: Int32Array.from([0, 1, 2]), items: Int32Array.from([3, 4, 5]) };
    expect(
      await rankingScores({ name: 'R', score: async (u) => new Float32Array(u.length).fill(0.3) }, pairs),
    ).toEqual(new Float32Array(3).fill(0.3));
    await expect(rankingScores({ name: 'R', score: async () => new Float32Array(2) }, pairs)).rejects.toThrow(
      /2 scores for 3/,
    );
    await expect(
      rankingScores({ name: 'R', score: async (u) => new Float32Array(u.length).fill(2) }, pairs),
    ).rejects.toThrow(/not a probability/);
  });

  it('stageContext maps a stage progress onto its share; TermMeans averages with weights', () => {
    const ctx = methodContext(tinyDataset());
    const stage = stageContext(ctx, 0.5, 0.25);
    const progress = {
      type: 'progress' as const,
      phase: 'train' as const,
      epoch: 1,
      epochs: 1,
      step: 1,
      stepsPerEpoch: 1,
      loss: 1,
      samplesPerSecond: 1,
      fraction: 0.5,
    };
    stage.emit(progress);
    stage.emit({ type: 'log', level: 'info', message: 'm' });
    expect(ctx.events[0]).toMatchObject({ fraction: 0.625 });
    expect(ctx.events[1]).toMatchObject({ type: 'log' });
    const means = new TermMeans();
    means.add('a', 1, 1);
    means.add('a', 4, 3);
    means.add('b', 2, 0); // weight 0 is ignored
    expect(means.flush()).toEqual({ a: 3.25 });
    expect(means.flush()).toEqual({});
  });

  it('retrievalCollapse: all inner products 0 exactly when user and item outputs share no dimension', () => {
    const users = Float32Array.from([1, 0, 0, 2, 0, 0]); // 2 users x 3 dims: only dimension 0
    const disjoint = Float32Array.from([0, 3, 0, 0, 0, 1]); // items use dimensions 1 and 2
    expect(retrievalCollapse({ dim: 3, userVectors: users, itemVectors: disjoint })).toMatch(
      /collapsed: user outputs use 1 and item outputs 2 of 3 dimensions, none in common/,
    );
    const shared = Float32Array.from([0, 3, 0, 0.5, 0, 0]);
    expect(retrievalCollapse({ dim: 3, userVectors: users, itemVectors: shared })).toBeNull();
    expect(retrievalCollapse({ dim: 3, userVectors: new Float32Array(6), itemVectors: shared })).toMatch(
      /use 0 and/,
    );
    // One shared dimension: not collapsed, but every user gets the same order: a warning.
    expect(retrievalNearCollapse({ dim: 3, userVectors: users, itemVectors: shared })).toMatch(
      /share one dimension/,
    );
    const two = Float32Array.from([1, 1, 0, 2, 0, 0]);
    expect(retrievalNearCollapse({ dim: 3, userVectors: two, itemVectors: shared })).toBeNull();
  });
});
