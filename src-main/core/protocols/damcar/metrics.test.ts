import { beforeAll, describe, expect, it } from 'vitest';
import { type UserItemLists, groupItemsByUser } from '../../data/dataset';
import { splitByUserTime } from '../../data/split';
import { rankingMetrics } from '../../metrics/ranking';
import { evaluateRetrievalAsync } from '../../metrics/retrieval';
import { createRng } from '../../random';
import { initBackend } from '../../tf/backend';
import { tinyDataset } from '../test-support';
import { describeMetricColumns, evaluateCascade, evaluateRankingStage, rankingCutoff } from './metrics';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('describeMetricColumns', () => {
  it('lists R/P/F per K in the paper order, then ground truth, without a ranking stage', () => {
    const columns = describeMetricColumns({ retrievalK: [100, 200], corpus: 'all' }, true, 'none');
    expect(columns.map((c) => c.key)).toEqual([
      'R@100',
      'P@100',
      'F@100',
      'R@200',
      'P@200',
      'F@200',
      'GT-R@100',
      'GT-R@200',
    ]);
    expect(columns.filter((c) => c.group === 'Ground truth').map((c) => c.key)).toEqual([
      'GT-R@100',
      'GT-R@200',
    ]);
    expect(columns.every((c) => c.higherIsBetter)).toBe(true);
  });

  it('adds the ranking stage as in Tables 2-3: N/M/H@K2 with K2 = K1 / 10, then NDCG and GT-H', () => {
    const columns = describeMetricColumns({ retrievalK: [100, 200], corpus: 'all' }, true, 'deepfm');
    expect(columns.map((c) => `${c.group}:${c.key}`)).toEqual([
      'Retrieval:R@100',
      'Retrieval:P@100',
      'Retrieval:F@100',
      'Retrieval:R@200',
      'Retrieval:P@200',
      'Retrieval:F@200',
      'Ranking:N@10',
      'Ranking:M@10',
      'Ranking:H@10',
      'Ranking:N@20',
      'Ranking:M@20',
      'Ranking:H@20',
      'Ranking (standard NDCG):NDCG@10',
      'Ranking (standard NDCG):NDCG@20',
      'Ground truth:GT-R@100',
      'Ground truth:GT-R@200',
      'Ground truth:GT-H@10',
      'Ground truth:GT-H@20',
    ]);
    expect(columns.every((c) => c.higherIsBetter)).toBe(true);
  });

  it('omits ground truth when the dataset has none', () => {
    const columns = describeMetricColumns({ retrievalK: [50], corpus: 'test' }, false, 'dcn');
    expect(columns.map((c) => `${c.group}:${c.key}`)).toEqual([
      'Retrieval:R@50',
      'Retrieval:P@50',
      'Retrieval:F@50',
      'Ranking:N@5',
      'Ranking:M@5',
      'Ranking:H@5',
      'Ranking (standard NDCG):NDCG@5',
    ]);
  });

  it('has no ranking column for a K1 that is not a multiple of 10', () => {
    const columns = describeMetricColumns({ retrievalK: [15, 30], corpus: 'all' }, false, 'deepfm');
    expect(columns.filter((c) => c.group === 'Ranking').map((c) => c.key)).toEqual(['N@3', 'M@3', 'H@3']);
  });
});

describe('rankingCutoff', () => {
  it('is K1 / 10 for multiples of 10, else null', () => {
    expect(rankingCutoff(100)).toBe(10);
    expect(rankingCutoff(200)).toBe(20);
    expect(rankingCutoff(10)).toBe(1);
    expect(rankingCutoff(15)).toBeNull();
    expect(rankingCutoff(5)).toBeNull();
  });
});

function lists(numUsers: number, byUser: Record<number, number[]>): UserItemLists {
  const offsets = new Int32Array(numUsers + 1);
  const items: number[] = [];
  for (let u = 0; u < numUsers; u++) {
    items.push(...(byUser[u] ?? []));
    offsets[u + 1] = items.length;
  }
  return { offsets, items: Int32Array.from(items) };
}

describe('evaluateRankingStage', () => {
  // Retrieved lists (K = 20) of users 0, 2 and 3; user 3 has ground truth only.
  const k = 20;
  const users = Int32Array.from([0, 2, 3]);
  const items = new Int32Array(3 * k);
  for (let row = 0; row < 3; row++) for (let s = 0; s < k; s++) items[row * k + s] = 100 * row + s;
  items[2 * k + 19] = -1; // an empty slot
  // The scorer prefers larger item ids within a list: it reverses each list.
  const scorer = {
    name: 'reverse',
    calls: 0,
    async score(u: Int32Array, i: Int32Array): Promise<Float32Array> {
      this.calls++;
      expect(u.length).toBe(3 * k - 1); // every filled slot once, for both K1
      return Float32Array.from(i, (item) => item % 100);
    },
  };
  const testPositives = lists(4, { 0: [19, 5, 999], 2: [110] });
  /** What the retrieval evaluation keeps of each row user's ground-truth positives `byUser`. */
  const groundTruthOf = (byUser: Record<number, number[]>) => ({
    positive: Uint8Array.from(items, (item, slot) =>
      (byUser[users[Math.floor(slot / k)]] ?? []).includes(item) ? 1 : 0,
    ),
    witness: Int32Array.from(users, (u) => byUser[u]?.[0] ?? -1),
  });
  const truth = groundTruthOf({ 0: [18], 2: [], 3: [218] });

  it('re-ranks each user top K1 and keeps K2 = K1 / 10, with the authors metrics', async () => {
    scorer.calls = 0;
    const metrics = await evaluateRankingStage({
      lists: { k, users, items, groundTruth: truth },
      ks: [10, 20],
      scorer,
      testPositives,
    });
    expect(scorer.calls).toBe(1);
    // K1 = 10, K2 = 1: user 0's top 10 reversed starts with item 9 (miss); user 2's with 109 (miss).
    // K1 = 20, K2 = 2: user 0 keeps 19 (hit), 18 -> N = 1, M = 1, H = 1/2; user 2 keeps 119, 118: no hit.
    const expected20 = rankingMetrics({
      k1: 2,
      candidates: Int32Array.from([19, 18, 119, 118]),
      scores: Float32Array.from([2, 1, 2, 1]),
      positiveOffsets: Int32Array.from([0, 3, 4]),
      positiveItems: Int32Array.from([19, 5, 999, 110]),
      k2: 2,
    }).metrics;
    expect(metrics['N@2']).toBeCloseTo(expected20['N@2'], 10);
    expect(metrics['N@2']).toBeCloseTo(0.5, 10); // mean over the two users with test positives
    expect(metrics['M@2']).toBeCloseTo(0.5, 10);
    expect(metrics['H@2']).toBeCloseTo(0.25, 10);
    expect(metrics['H@1']).toBe(0);
    // GT-H@2 over users 0, 2, 3: user 0 keeps 19 (test) and 18 (truth) = 1; user 2: 0;
    // user 3's list has 219 empty, so it keeps 218 (truth), 217: 1/2. Mean (1 + 0 + 0.5) / 3.
    expect(metrics['GT-H@2']).toBeCloseTo(0.5, 10);
    expect(metrics['GT-H@1']).toBe(0);
    expect(Object.keys(metrics).sort()).toEqual(
      ['N@1', 'M@1', 'H@1', 'NDCG@1', 'GT-H@1', 'N@2', 'M@2', 'H@2', 'NDCG@2', 'GT-H@2'].sort(),
    );
  });

  it('counts a user whose ground-truth positives were all left out of the list in GT-H, with no hit', async () => {
    const metrics = await evaluateRankingStage({
      lists: { k, users, items, groundTruth: groundTruthOf({ 0: [18], 3: [555, 777] }) },
      ks: [20],
      scorer,
      testPositives,
    });
    // Users 0 (1), 2 (0) and 3 (0: its positives 555 and 777 were not retrieved) -> 1 / 3.
    expect(metrics['GT-H@2']).toBeCloseTo(1 / 3, 10);
  });

  it('skips a K1 that is not a multiple of 10 and has no GT-H without ground truth', async () => {
    const metrics = await evaluateRankingStage({
      lists: { k, users, items },
      ks: [15, 20],
      scorer,
      testPositives,
    });
    expect(Object.keys(metrics).sort()).toEqual(['H@2', 'M@2', 'N@2', 'NDCG@2']);
  });
});

describe('evaluateCascade', () => {
  it("gives GT-H@K2 as with every ground-truth positive of each user as relevant (test's and corpus's)", async () => {
    const dataset = tinyDataset();
    const groundTruth = dataset.groundTruth;
    if (!groundTruth) throw new Error('the simulator gives ground truth');
    const split = splitByUserTime(dataset);
    const rng = createRng(7);
    const dim = 3;
    const trained = {
      dim,
      userVectors: Float32Array.from({ length: dataset.numUsers * dim }, () => rng.normal(0, 1)),
      itemVectors: Float32Array.from({ length: dataset.numItems * dim }, () => rng.normal(0, 1)),
    };
    const ranking = {
      name: 'hash',
      score: async (u: Int32Array, i: Int32Array) =>
        Float32Array.from(u, (user, p) => ((user * 7919 + i[p] * 104729) % 1000) / 1000),
    };
    const testPositives = groupItemsByUser(dataset, split.test, { onlyPositive: true, unique: true });
    for (const corpus of ['all', 'test'] as const) {
      const evaluation = { retrievalK: [20, 40], corpus };
      const result = await evaluateCascade({ dataset, split, evaluation, trained, ranking });
      // The reference: the retrieved lists re-ranked with the whole ground truth in the corpus.
      const corpusItems =
        corpus === 'test'
          ? Int32Array.from(new Set(Array.from(split.test, (r) => dataset.interactions.item[r])))
          : null;
      const inCorpus = (i: number) => corpusItems === null || corpusItems.includes(i);
      const { topLists } = await evaluateRetrievalAsync({
        ...trained,
        numUsers: dataset.numUsers,
        numItems: dataset.numItems,
        testPositives,
        corpus: corpusItems,
        ks: evaluation.retrievalK,
        keepTopLists: true,
        groundTruthPositives: (u) => groundTruth.unexposedPositives(u),
      });
      if (!topLists) throw new Error('lists were asked for');
      const k = topLists.k;
      const scores = await ranking.score(
        Int32Array.from(topLists.items, (_, slot) => topLists.users[Math.floor(slot / k)]),
        topLists.items,
      );
      const offsets = [0];
      const relevant: number[] = [];
      for (const u of topLists.users) {
        relevant.push(
          ...testPositives.items.subarray(testPositives.offsets[u], testPositives.offsets[u + 1]),
        );
        relevant.push(...Array.from(groundTruth.unexposedPositives(u)).filter(inCorpus));
        offsets.push(relevant.length);
      }
      let checked = 0;
      for (const k1 of evaluation.retrievalK) {
        const k2 = k1 / 10;
        const candidates = new Int32Array(topLists.users.length * k1);
        const candidateScores = new Float32Array(candidates.length);
        for (let row = 0; row < topLists.users.length; row++) {
          candidates.set(topLists.items.subarray(row * k, row * k + k1), row * k1);
          candidateScores.set(scores.subarray(row * k, row * k + k1), row * k1);
        }
        const expected = rankingMetrics({
          k1,
          k2,
          candidates,
          scores: candidateScores,
          positiveOffsets: Int32Array.from(offsets),
          positiveItems: Int32Array.from(relevant),
        }).metrics[`H@${k2}`];
        expect(result.ranking?.[`GT-H@${k2}`], `${corpus} GT-H@${k2}`).toBeCloseTo(expected, 12);
        if (expected > 0) checked++;
      }
      expect(checked, `${corpus}: some GT-H above 0`).toBeGreaterThan(0);
    }
  });
});
