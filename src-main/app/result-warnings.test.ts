import { describe, expect, it } from 'vitest';
import type { CurveSeries, ResultCell, ResultRow } from '../contract/api';
import { resultWarnings, type ResultWarningInput, type WarningRun } from './result-warnings';

function cell(n: number): ResultCell {
  return { mean: 0.5, std: n > 1 ? 0.01 : 0, n, rank: 0 };
}

function row(method: string, n = 2): ResultRow {
  return { label: method.toUpperCase(), method, params: {}, cells: { 'R@100': cell(n), 'N@10': cell(n) } };
}

function curve(name: string, values: (number | null)[]): CurveSeries {
  return { name, points: values.map((value, i) => ({ step: i + 1, value })) };
}

/** Two rows, two seeds, a corpus of 3000 items, a ranking model well above chance, falling losses. */
function healthy(): ResultWarningInput {
  const curves = [
    curve('ranking/train/bce', [0.66, 0.52, 0.48]),
    curve('ranking/valid/auc', [0.61, 0.68, 0.71]),
    curve('train/bce', [0.7, 0.6, 0.55]),
  ];
  const runs: WarningRun[] = [0, 1].flatMap((methodIndex) =>
    [1, 2].map((seed) => ({ id: methodIndex * 2 + seed, methodIndex, seed, curves })),
  );
  return {
    seeds: [1, 2],
    evaluation: { corpus: 'all' },
    rows: [row('bc'), row('kd')],
    runs,
    corpusItems: [3000, 3000],
  };
}

describe('resultWarnings', () => {
  it('says nothing of a healthy table', () => {
    expect(resultWarnings(healthy())).toEqual([]);
  });

  it('(a) flags a recall cut-off at or above the items of the corpus, once for the column', () => {
    const input = { ...healthy(), corpusItems: [100, 100] };
    expect(resultWarnings(input)).toEqual([
      {
        metric: 'R@100',
        message:
          'K = 100 is at or above the 100 items retrieval searched, so R@100 is 1 by construction: every relevant item is retrieved.',
      },
    ]);
    // One item more and K = 100 no longer covers the corpus.
    expect(resultWarnings({ ...healthy(), corpusItems: [101, 101] })).toEqual([]);
  });

  it('(a) names the row when only some rows have a corpus that small, and the test-split bound', () => {
    const input: ResultWarningInput = {
      ...healthy(),
      evaluation: { corpus: 'test' },
      corpusItems: [90, 3000],
    };
    expect(resultWarnings(input)).toEqual([
      {
        row: 0,
        metric: 'R@100',
        message:
          'K = 100 is at or above the 90 items of the dataset, more than its test split holds, so R@100 is 1 by construction: every relevant item is retrieved.',
      },
    ]);
    // Unknown corpus sizes warn of nothing.
    expect(resultWarnings({ ...input, corpusItems: [null, null] })).toEqual([]);
  });

  it('(b) flags a ranking model whose validation AUC ends within 0.05 of 0.5', () => {
    const input = healthy();
    input.runs[1] = { ...input.runs[1], curves: [curve('ranking/valid/auc', [0.62, 0.48])] };
    expect(resultWarnings(input)).toEqual([
      {
        row: 0,
        runId: 2,
        message:
          "Seed 2: the ranking model's validation AUC is 0.4800, within 0.05 of chance (0.5), so its re-ranking (the Ranking columns) is close to random.",
      },
    ]);
    // Below chance by more than the band (an inverted model) is not "near 0.5"; nor is 0.56.
    input.runs[1] = { ...input.runs[1], curves: [curve('ranking/valid/auc', [0.44])] };
    expect(resultWarnings(input)).toEqual([]);
    input.runs[1] = { ...input.runs[1], curves: [curve('ranking/valid/auc', [0.56])] };
    expect(resultWarnings(input)).toEqual([]);
  });

  it('(c) flags a training loss whose last epoch is above the first by more than 10%', () => {
    const input = healthy();
    input.runs[2] = {
      ...input.runs[2],
      curves: [curve('ranking/train/bce', [0.66, 1.2, null, 2.56]), curve('damcar/L_dom', [0.2, 0.9])],
    };
    expect(resultWarnings(input)).toEqual([
      {
        row: 1,
        runId: 3,
        message:
          'Seed 1: the training loss ranking/train/bce rose from 0.6600 (epoch 1) to 2.5600 (epoch 4), so training did not converge.',
      },
    ]);
    // Within the margin, a validation loss, or a loss term (the adversary's, meant to rise): nothing.
    input.runs[2] = {
      ...input.runs[2],
      curves: [
        curve('train/bce', [0.5, 0.54]),
        curve('ranking/valid/bce', [0.5, 0.9]),
        curve('damcar/L_dom', [0.2, 0.9]),
      ],
    };
    expect(resultWarnings(input)).toEqual([]);
  });

  it('(d) flags one seed once for the table, and a row where only one of several seeds finished', () => {
    const one: ResultWarningInput = { ...healthy(), seeds: [7], rows: [row('bc', 1), row('kd', 1)] };
    expect(resultWarnings(one)).toEqual([
      {
        message:
          'One seed (7): each cell is a single run with no standard deviation, so differences between rows may be seed noise; run 2 or more seeds.',
      },
    ]);
    // Before any run finished there is nothing to warn of.
    const empty: ResultRow = { ...row('bc'), cells: { 'R@100': null, 'N@10': null } };
    expect(resultWarnings({ ...one, rows: [empty, empty] })).toEqual([]);

    const partial: ResultWarningInput = {
      ...healthy(),
      seeds: [1, 2, 3],
      rows: [row('bc', 3), row('kd', 1)],
    };
    expect(resultWarnings(partial)).toEqual([
      {
        row: 1,
        message:
          'Only 1 of 3 seeds finished for this row: its cells are a single run with no standard deviation.',
      },
    ]);
  });

  it('puts the table-wide warnings first, then the rows in order', () => {
    const input: ResultWarningInput = { ...healthy(), seeds: [1], rows: [row('bc', 1), row('kd', 1)] };
    input.runs = [
      { id: 9, methodIndex: 1, seed: 1, curves: [curve('train/bce', [0.5, 0.9])] },
      { id: 8, methodIndex: 0, seed: 1, curves: [curve('ranking/valid/auc', [0.5])] },
    ];
    input.corpusItems = [50, 50];
    expect(resultWarnings(input).map((w) => [w.row, w.metric, w.runId])).toEqual([
      [undefined, undefined, undefined],
      [undefined, 'R@100', undefined],
      [0, undefined, 8],
      [1, undefined, 9],
    ]);
  });
});
