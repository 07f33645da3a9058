import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../../../src-main/contract/api';
import { curveGroups, histogramsByLabel, metricPoints, sweepOf } from './chart-data';

function table(labels: string[], values: number[]): ResultTable {
  return {
    experimentId: 1,
    title: 't',
    caption: '',
    columns: [{ key: 'R@100', group: 'Retrieval', higherIsBetter: true }],
    rows: labels.map((label, k) => ({
      label,
      method: 'damcar',
      cells: { 'R@100': { mean: values[k], std: 0.01, n: 3, rank: 0 } },
    })),
  };
}

describe('chart data', () => {
  it('reads a one-parameter sweep as a sorted line, anything else as bars', () => {
    const sweep = sweepOf(table(['DAMCAR (radius=30)', 'DAMCAR (radius=15)'], [0.2, 0.1]), 'R@100');
    expect(sweep).toEqual({
      param: 'radius',
      points: [
        { x: 15, mean: 0.1, std: 0.01 },
        { x: 30, mean: 0.2, std: 0.01 },
      ],
    });
    expect(sweepOf(table(['DAMCAR', 'w/o TDG'], [0.2, 0.1]), 'R@100')).toBeNull();
    expect(
      sweepOf(table(['DAMCAR (λ1=0.5, λ2=0.1)', 'DAMCAR (λ1=0.6, λ2=0.1)'], [1, 2]), 'R@100'),
    ).toBeNull();
    expect(metricPoints(table(['DAMCAR', 'w/o TDG'], [0.2, 0.1]), 'R@100').map((p) => p.label)).toEqual([
      'DAMCAR',
      'w/o TDG',
    ]);
  });

  it('sums histograms over seeds per label and normalises them', () => {
    const h = (label: string, counts: number[]) => ({
      runId: 1,
      label,
      seed: 1,
      name: 'target-domain predictions',
      edges: [0, 0.5, 1],
      counts,
    });
    const out = histogramsByLabel(
      [h('BC', [3, 1]), h('BC', [1, 3]), h('DAMCAR', [0, 2])],
      'target-domain predictions',
    );
    expect(out).toEqual([
      { label: 'BC', edges: [0, 0.5, 1], density: [0.5, 0.5] },
      { label: 'DAMCAR', edges: [0, 0.5, 1], density: [0, 1] },
    ]);
  });

  it('groups curves by prefix', () => {
    const groups = curveGroups([
      { name: 'damcar/L_dom', points: [] },
      { name: 'train/bce', points: [] },
      { name: 'damcar/L_ce', points: [] },
    ]);
    expect(groups.map((g) => [g.group, g.series.length])).toEqual([
      ['damcar', 2],
      ['train', 1],
    ]);
  });
});
