import { describe, expect, it } from 'vitest';
import { rankingMetrics } from './ranking';

interface Row {
  candidates: number[];
  scores: number[];
  positives: number[];
}

function input(k1: number, rows: Row[], k2?: number) {
  const offsets = [0];
  for (const row of rows) offsets.push(offsets[offsets.length - 1] + row.positives.length);
  return {
    k1,
    k2,
    candidates: Int32Array.from(rows.flatMap((r) => r.candidates)),
    scores: Float32Array.from(rows.flatMap((r) => r.scores)),
    positiveOffsets: Int32Array.from(offsets),
    positiveItems: Int32Array.from(rows.flatMap((r) => r.positives)),
  };
}

const range = (start: number, n: number): number[] => Array.from({ length: n }, (_, k) => start + k);

// K1 = 30, so K2 = 3 by default.
// Row A: items 100..129; item 105 scores 0.9, 110 scores 0.8, 101 scores 0.7, the rest 0.1, so the
// kept list is [105, 110, 101]. Positives {105, 101, 120, 200, 201}: hits at positions 1 and 3
// (120 is retrieved but not kept).
//   N  = (1 + 1/log2 4) / (1 + 1/log2 3) = 1.5 / 1.6309298 = 0.9197208
//   M  = (1/1 + 2/3) / 2 = 0.8333333
//   H  = 2/3
//   NDCG = 1.5 / (1 + 1/log2 3 + 1/log2 4) = 1.5 / 2.1309298 = 0.7039181   (min(|P| = 5, K2) = 3)
const rowA: Row = {
  candidates: range(100, 30),
  scores: range(100, 30).map((item) => (item === 105 ? 0.9 : item === 110 ? 0.8 : item === 101 ? 0.7 : 0.1)),
  positives: [105, 101, 120, 200, 201],
};
// Row B: a user with test positives none of which was retrieved: every metric 0.
const rowB: Row = { candidates: range(0, 30), scores: range(0, 30).map((k) => k / 30), positives: [300] };
// Row C: items 0..3 tie at 0.5, the rest 0.1. Ties go to the earlier retrieval position, so the kept
// list is [0, 1, 2]; positives {2, 3}: one hit at position 3.
//   N = (1/log2 4) / 1 = 0.5;  M = 1/3;  H = 1/3;  NDCG = 0.5 / (1 + 1/log2 3) = 0.3065736
// (Breaking ties the other way would keep [3, 2, 1]: N = 1, M = 1, H = 2/3.)
const rowC: Row = {
  candidates: range(0, 30),
  scores: range(0, 30).map((item) => (item <= 3 ? 0.5 : 0.1)),
  positives: [2, 3],
};
// Row D: no test positive, so the row is not evaluated (it would otherwise add a zero everywhere).
const rowD: Row = { candidates: range(0, 30), scores: range(0, 30).map(() => 0.3), positives: [] };

describe('rankingMetrics (DAMCAR Tables 2-3 ranking metrics, authors definitions)', () => {
  it('matches hand-computed N, M, H and standard NDCG averaged over users with positives', () => {
    const { metrics, users } = rankingMetrics(input(30, [rowA, rowB, rowC, rowD]));
    expect(users).toBe(3);
    expect(Object.keys(metrics).sort()).toEqual(['H@3', 'M@3', 'N@3', 'NDCG@3']);
    expect(metrics['N@3']).toBeCloseTo((0.9197208 + 0 + 0.5) / 3, 6);
    expect(metrics['M@3']).toBeCloseTo((0.8333333 + 0 + 1 / 3) / 3, 6);
    expect(metrics['H@3']).toBeCloseTo((2 / 3 + 0 + 1 / 3) / 3, 6);
    expect(metrics['NDCG@3']).toBeCloseTo((0.7039181 + 0 + 0.3065736) / 3, 6);
  });

  it('computes each row on its own as hand-computed', () => {
    const a = rankingMetrics(input(30, [rowA])).metrics;
    expect(a['N@3']).toBeCloseTo(0.9197208, 6);
    expect(a['M@3']).toBeCloseTo(0.8333333, 6);
    expect(a['H@3']).toBeCloseTo(2 / 3, 6);
    expect(a['NDCG@3']).toBeCloseTo(0.7039181, 6);
    const b = rankingMetrics(input(30, [rowB])).metrics;
    expect([b['N@3'], b['M@3'], b['H@3'], b['NDCG@3']]).toEqual([0, 0, 0, 0]);
    const c = rankingMetrics(input(30, [rowC])).metrics;
    expect(c['N@3']).toBeCloseTo(0.5, 6);
    expect(c['M@3']).toBeCloseTo(1 / 3, 6);
    expect(c['H@3']).toBeCloseTo(1 / 3, 6);
    expect(c['NDCG@3']).toBeCloseTo(0.3065736, 6);
  });

  it('uses K2 = K1 / 10 for the keys, e.g. N@10 for K1 = 100', () => {
    const row: Row = { candidates: range(0, 100), scores: range(0, 100).map((k) => -k), positives: [0, 50] };
    const { metrics } = rankingMetrics(input(100, [row]));
    expect(Object.keys(metrics).sort()).toEqual(['H@10', 'M@10', 'N@10', 'NDCG@10']);
    // Kept [0..9]: hit at position 1 only. N = 1, M = 1, H = 1/10, NDCG = 1 / (1 + 1/log2 3) = 0.6131472.
    expect(metrics['N@10']).toBe(1);
    expect(metrics['M@10']).toBe(1);
    expect(metrics['H@10']).toBeCloseTo(0.1, 12);
    expect(metrics['NDCG@10']).toBeCloseTo(0.6131472, 6);
  });

  it('never keeps an empty slot ahead of a real candidate and ignores duplicate positives', () => {
    const row: Row = {
      candidates: [5, -1, 7, -1, 8, 9, 10, 11, 12, 13],
      scores: [0.6, 0.99, 0.5, 0.98, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
      positives: [7, 7],
    };
    // Kept [5, 7, 8]: hit at position 2. N = (1/log2 3) / 1 = 0.6309298 (the ideal list has the hit
    // first), M = 1/2, H = 1/3, NDCG = (1/log2 3) / 1 = 0.6309298 (one distinct positive).
    const { metrics } = rankingMetrics(input(10, [row], 3));
    expect(metrics['N@3']).toBeCloseTo(0.6309298, 6);
    expect(metrics['M@3']).toBeCloseTo(0.5, 12);
    expect(metrics['H@3']).toBeCloseTo(1 / 3, 12);
    expect(metrics['NDCG@3']).toBeCloseTo(0.6309298, 6);
  });

  it('rejects inconsistent input with the field named', () => {
    expect(() =>
      rankingMetrics(input(25, [{ ...rowA, candidates: range(0, 25), scores: range(0, 25) }])),
    ).toThrow(/ranking\.ts: k2 must be an integer .* \(k1 \/ 10\)/);
    expect(() => rankingMetrics({ ...input(30, [rowA]), scores: new Float32Array(29) })).toThrow(
      /scores has 29/,
    );
    expect(() => rankingMetrics(input(30, [rowD]))).toThrow(/no row has a test positive/);
  });
});
