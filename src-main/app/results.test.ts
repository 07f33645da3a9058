import { describe, expect, it } from 'vitest';
import type { ExperimentSpec, MetricColumn, ResultCell } from '../contract/api';
import { protocolCaption } from '../core/experiments/spec';
import { PAPER_RETRIEVAL_PARAMS } from '../core/protocols/damcar/settings';
import { buildResultTable, meanAndStd, rankColumn, type TableRun } from './results';

const SPEC: ExperimentSpec = {
  name: 'Bias study',
  dataset: { kind: 'simulated', params: {} },
  retrieval: { model: 'dssm' },
  methods: [{ id: 'bc' }, { id: 'damcar', label: 'DAMCAR (ours)', params: { radius: 30 } }, { id: 'kd' }],
  training: { epochs: 1, batchSize: 8, learningRate: 0.01, embeddingDim: 4 },
  evaluation: { retrievalK: [100], corpus: 'all' },
  seeds: [1, 2],
  backend: 'auto',
};
const COLUMNS: MetricColumn[] = [
  { key: 'R@100', group: 'Retrieval', higherIsBetter: true },
  { key: 'GT', group: 'Ground truth', higherIsBetter: true },
];
const NAMES = { bc: 'BC', damcar: 'DAMCAR', kd: 'KD' };

function cell(mean: number): ResultCell {
  return { mean, std: 0, n: 1, rank: 0 };
}

describe('meanAndStd', () => {
  it('uses the sample standard deviation', () => {
    // values 1, 2, 3, 4: mean 2.5, sum of squares 5, sample variance 5/3.
    const { mean, std } = meanAndStd([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(std).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });

  it('gives std 0 for one value', () => {
    expect(meanAndStd([0.7])).toEqual({ mean: 0.7, std: 0 });
  });
});

describe('rankColumn', () => {
  it('marks the best 1 and the second best 2, larger is better', () => {
    const cells = [cell(0.2), cell(0.5), null, cell(0.3), cell(0.1)];
    rankColumn(cells, { higherIsBetter: true });
    expect(cells.map((c) => c?.rank ?? null)).toEqual([0, 1, null, 2, 0]);
  });

  it('marks the smallest best when smaller is better', () => {
    const cells = [cell(0.2), cell(0.5), cell(0.3)];
    rankColumn(cells, { higherIsBetter: false });
    expect(cells.map((c) => c?.rank)).toEqual([1, 0, 2]);
  });

  it('gives tied cells the same rank', () => {
    const cells = [cell(0.5), cell(0.5), cell(0.3), cell(0.1)];
    rankColumn(cells, { higherIsBetter: true });
    expect(cells.map((c) => c?.rank)).toEqual([1, 1, 2, 0]);
  });

  it('marks the cell closest to the target best when the column has one (calibration = 1)', () => {
    const cells = [cell(0.89), cell(0.97), cell(1.21), cell(1.02)];
    rankColumn(cells, { higherIsBetter: false, target: 1 });
    expect(cells.map((c) => c?.rank)).toEqual([0, 2, 0, 1]);
  });

  it('ranks nothing in a column with a single value', () => {
    const cells = [cell(0.5), null];
    rankColumn(cells, { higherIsBetter: true });
    expect(cells[0]?.rank).toBe(0);
  });
});

describe('buildResultTable', () => {
  it("lists a row's own protocol settings among its parameters, so a data sweep is charted", () => {
    const spec: ExperimentSpec = {
      ...SPEC,
      protocol: 'cp2rec',
      methods: [
        { id: 'cp2rec', protocolParams: { confounding: 0 }, label: 'γ=0' },
        { id: 'cp2rec', protocolParams: { confounding: 2 }, label: 'γ=2' },
      ],
    };
    const table = buildResultTable({
      experimentId: 1,
      spec,
      runs: [],
      columns: COLUMNS,
      methodNames: NAMES,
      datasetName: 'x',
      protocolCaption: protocolCaption(spec),
      corpusItems: [],
    });
    expect(table.protocol).toBe('cp2rec');
    expect(
      buildResultTable({
        experimentId: 1,
        spec,
        runs: [],
        columns: COLUMNS,
        methodNames: NAMES,
        datasetName: 'x',
        protocolCaption: 'AUC on the test.',
        corpusItems: [],
      }).caption,
    ).toMatch(/AUC on the test; bold/);
    expect(table.rows.map((row) => row.params['protocolParams.confounding'])).toEqual([0, 2]);
    expect(table.rows[0].params.tradeoff).toBeDefined();
  });

  it('averages the latest finished run per method and seed, rows in spec order', () => {
    const runs: TableRun[] = [
      { id: 1, methodIndex: 0, seed: 1, status: 'finished', metrics: { 'R@100': 0.1, GT: 0.5 }, curves: [] },
      { id: 2, methodIndex: 0, seed: 2, status: 'finished', metrics: { 'R@100': 0.3, GT: 0.7 }, curves: [] },
      // Run 3's loss rose, but run 7 replaced it: its curves warn of nothing.
      {
        id: 3,
        methodIndex: 1,
        seed: 1,
        status: 'finished',
        metrics: { 'R@100': 0.9, GT: 0.1 },
        curves: [
          {
            name: 'train/bce',
            points: [
              { step: 1, value: 0.5 },
              { step: 2, value: 2 },
            ],
          },
        ],
      },
      // A later re-run of (damcar, seed 1) replaces run 3.
      { id: 7, methodIndex: 1, seed: 1, status: 'finished', metrics: { 'R@100': 0.4, GT: 0.2 }, curves: [] },
      { id: 4, methodIndex: 1, seed: 2, status: 'failed', metrics: {}, curves: [] },
      { id: 5, methodIndex: 2, seed: 1, status: 'cancelled', metrics: {}, curves: [] },
    ];
    const table = buildResultTable({
      experimentId: 9,
      spec: SPEC,
      runs,
      columns: COLUMNS,
      methodNames: NAMES,
      datasetName: 'Simulator (1500 users, 3000 items, seed 7)',
      protocolCaption: protocolCaption(SPEC),
      corpusItems: [],
    });
    expect(table.rows.map((r) => r.label)).toEqual(['BC', 'DAMCAR (ours)', 'KD']);
    expect(table.rows.map((r) => r.method)).toEqual(['bc', 'damcar', 'kd']);
    // Each row carries its parameters with the defaults filled (what the sensitivity charts read).
    expect(table.rows[1].params).toMatchObject({ radius: 30, walks: 50, alpha: 0.99, useEma: true });
    expect(table.rows[0].params).toEqual({});
    const bc = table.rows[0].cells['R@100'];
    expect(bc?.mean).toBeCloseTo(0.2, 12);
    expect(bc?.std).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(bc?.n).toBe(2);
    expect(table.rows[1].cells['R@100']).toEqual({ mean: 0.4, std: 0, n: 1, rank: 1 });
    expect(bc?.rank).toBe(2);
    expect(table.rows[0].cells.GT?.rank).toBe(1);
    expect(table.rows[1].cells.GT?.rank).toBe(2);
    expect(table.rows[2].cells['R@100']).toBeNull();
    expect(table.title).toBe('Bias study');
    expect(table.caption).toContain('Simulator (1500 users, 3000 items, seed 7)');
    expect(table.caption).toContain('2 seeds (1, 2)');
    expect(table.caption).toContain('whole item corpus');
    expect(table.caption).toContain('3 of 6 runs finished');
    // The warnings read the runs behind the cells (app/result-warnings.test.ts tests each case).
    expect(table.warnings).toEqual([
      {
        row: 1,
        message:
          'Only 1 of 2 seeds finished for this row: its cells are a single run with no standard deviation.',
      },
    ]);
  });

  it('says when retrieval searched only the test items', () => {
    const spec: ExperimentSpec = { ...SPEC, seeds: [4], evaluation: { retrievalK: [100], corpus: 'test' } };
    const table = buildResultTable({
      experimentId: 1,
      spec,
      runs: [],
      columns: COLUMNS,
      methodNames: NAMES,
      datasetName: 'd',
      protocolCaption: protocolCaption(spec),
      corpusItems: [],
    });
    expect(table.caption).toContain('only the items of the test split');
    expect(table.caption).toContain('one seed (4)');
  });

  it("names the retrieval model and DAMCAR's reading of the paper's ambiguous points", () => {
    const table = buildResultTable({
      experimentId: 1,
      spec: SPEC,
      runs: [],
      columns: COLUMNS,
      methodNames: NAMES,
      datasetName: 'd',
      protocolCaption: protocolCaption(SPEC),
      corpusItems: [],
    });
    expect(table.caption).toContain(
      "retrieval: the authors' code's DSSM (4-d embeddings, towers 300-300-128 with batch norm (running statistics after epoch 1), ReLU output, " +
        'score 1 * cosine + bias, embedding L2 1e-5, N(0, 1e-4) kernels, item fields, min-max dense)',
    );
    expect(table.caption).toContain(
      "DAMCAR reading: bounded adversary (ours, stabilised; not in the paper), target pseudo-labels Phi(g(z^t)) (authors' code), Eq. 3 '>=' (paper)",
    );
    const paper: ExperimentSpec = {
      ...SPEC,
      protocolParams: PAPER_RETRIEVAL_PARAMS,
      methods: [
        { id: 'damcar', params: { adversary: 'unbounded', targetLabelPath: 'direct' } },
        { id: 'damcar', params: { adversary: 'ramped', comparison: 'gt' } },
      ],
    };
    const caption = buildResultTable({
      experimentId: 1,
      spec: paper,
      runs: [],
      columns: COLUMNS,
      methodNames: NAMES,
      datasetName: 'd',
      protocolCaption: protocolCaption(paper),
      corpusItems: [],
    }).caption;
    expect(caption).toContain(
      "retrieval: the paper's DSSM reading (4-d embeddings, towers 300-200-100, linear output, inner-product score",
    );
    expect(caption).toContain(
      'plain gradient reversal (Eq. 11 literally), target pseudo-labels Phi(z^t) (Eq. 5 literally)',
    );
    expect(caption).toContain(
      " / gradient reversal with DANN's ramp (Ganin et al. 2016), target pseudo-labels Phi(g(z^t)) (authors' code), Eq. 3 '>' (authors' code)",
    );
  });
});
