import { describe, expect, it } from 'vitest';
import type { ExperimentSpec, MetricColumn, RunStatus } from '../contract/api';
import { defaultExperimentSpec } from '../core/experiments/spec';
import { pairedTTest } from '../core/metrics/significance';
import { buildComparison, type ComparedRun } from './comparison';

const RECALL: MetricColumn = { key: 'R@100', group: 'Retrieval', higherIsBetter: true };
const NDCG: MetricColumn = { key: 'N@10', group: 'Ranking', higherIsBetter: true };
const LOSS: MetricColumn = { key: 'loss', group: 'Training', higherIsBetter: false };

function spec(learningRate: number, methods: string[]): ExperimentSpec {
  const base = defaultExperimentSpec();
  return {
    ...base,
    methods: methods.map((id) => ({ id, params: {} })),
    training: { ...base.training, learningRate },
  };
}

let nextId = 1;
function run(
  experimentId: number,
  methodIndex: number,
  seed: number,
  metrics: Record<string, number>,
  status: RunStatus = 'finished',
): ComparedRun {
  const method = methodIndex === 0 ? 'bc' : 'damcar';
  return {
    id: nextId++,
    experimentId,
    experimentName: `experiment ${experimentId}`,
    methodIndex,
    method,
    methodName: method.toUpperCase(),
    label: method.toUpperCase(),
    seed,
    status,
    metrics,
    params: method === 'damcar' ? { alpha: experimentId === 1 ? 0.5 : 1 } : {},
    datasetName: 'simulated world',
  };
}

describe('comparing runs across experiments', () => {
  const bcSeeds = [0.3, 0.31, 0.29, 0.305];
  const damcarSeeds = [0.33, 0.335, 0.3, 0.33];
  const runs: ComparedRun[] = [
    ...bcSeeds.map((value, seed) => run(1, 0, seed, { 'R@100': value, loss: 0.6 })),
    // A failed run and an earlier run of seed 0 that a later one replaces.
    run(1, 1, 0, { 'R@100': 0.9 }),
    ...damcarSeeds.map((value, seed) => run(1, 1, seed, { 'R@100': value, loss: 0.5 })),
    run(1, 1, 9, {}, 'failed'),
    // A second experiment sharing only seeds 2 and 3, with another metric and learning rate.
    run(2, 1, 2, { 'R@100': 0.28, 'N@10': 0.4 }),
    run(2, 1, 3, { 'R@100': 0.27, 'N@10': 0.41 }),
    run(2, 1, 7, { 'R@100': 0.26, 'N@10': 0.42 }),
  ];
  const input = {
    runs,
    specs: new Map([
      [1, spec(0.01, ['bc', 'damcar'])],
      [2, spec(0.05, ['bc', 'damcar'])],
    ]),
    columns: new Map([
      [1, [RECALL, LOSS]],
      [2, [RECALL, NDCG]],
    ]),
  };

  it('gives one row per experiment and method row, over the latest finished run of each seed', () => {
    const table = buildComparison(input);
    expect(table.rows.map((row) => row.key)).toEqual(['1:0', '1:1', '2:1']);
    const damcar = table.rows[1];
    expect(damcar.seeds).toEqual([0, 1, 2, 3]);
    expect(damcar.cells['R@100']?.n).toBe(4);
    expect(damcar.cells['R@100']?.mean).toBeCloseTo(0.32375, 12);
    // The columns are the union, in first-seen order; a row without a metric has no cell.
    expect(table.columns.map((column) => column.key)).toEqual(['R@100', 'loss', 'N@10']);
    expect(table.rows[0].cells['N@10']).toBeNull();
  });

  it('tests each row against the baseline over the seeds both ran, paired by seed', () => {
    const table = buildComparison(input);
    expect(table.baselineKey).toBe('1:0');
    expect(table.rows[0].cells['R@100']?.versusBaseline).toBeNull();
    const expected = pairedTTest(damcarSeeds, bcSeeds);
    expect(table.rows[1].cells['R@100']?.versusBaseline).toEqual({
      pairs: 4,
      meanDifference: expected?.meanDifference,
      p: expected?.p,
    });
    // Experiment 2 shares seeds 2 and 3 with the baseline only; seed 7 has no partner.
    const across = table.rows[2].cells['R@100']?.versusBaseline;
    expect(across?.pairs).toBe(2);
    expect(across?.p).toBeCloseTo(pairedTTest([0.28, 0.27], [0.29, 0.305])?.p ?? NaN, 12);
    expect(table.caption).toMatch(
      /two-sided paired t-test against "BC" \(experiment 1\).*\* marks p < 0\.05/,
    );
  });

  it('takes another baseline when asked, and ranks cells by the column direction', () => {
    const table = buildComparison({ ...input, baselineKey: '1:1' });
    expect(table.baselineKey).toBe('1:1');
    expect(table.rows[1].cells['R@100']?.versusBaseline).toBeNull();
    expect(table.rows[0].cells['R@100']?.versusBaseline?.pairs).toBe(4);
    expect(table.rows[1].cells['R@100']?.rank).toBe(1);
    // Lower loss is better.
    expect(table.rows[1].cells.loss?.rank).toBe(1);
    expect(table.rows[0].cells.loss?.rank).toBe(2);
    // An unknown baseline falls back to the first row.
    expect(buildComparison({ ...input, baselineKey: '9:9' }).baselineKey).toBe('1:0');
  });

  it('flags the parameters that differ between rows', () => {
    const table = buildComparison(input);
    const differs = (key: string): boolean | undefined => table.params.find((p) => p.key === key)?.differs;
    expect(differs('training.learningRate')).toBe(true);
    expect(differs('method')).toBe(true);
    // alpha: BC has none (null), DAMCAR 0.5 and 1.
    expect(differs('params.alpha')).toBe(true);
    expect(table.rows[0].params['params.alpha']).toBeNull();
    expect(differs('training.epochs')).toBe(false);
    expect(differs('dataset')).toBe(false);
    expect(table.rows[2].params['training.learningRate']).toBe(0.05);
  });

  it('has nothing to say about no runs', () => {
    const table = buildComparison({ runs: [], specs: new Map(), columns: new Map() });
    expect(table.rows).toEqual([]);
    expect(table.baselineKey).toBeNull();
    expect(table.caption).toBe('No runs chosen.');
  });
});
