import { describe, expect, it } from 'vitest';
import type {
  MetricColumn,
  ParamValues,
  ResultCell,
  ResultRow,
  ResultTable,
  RunHistogram,
} from '../../../src-main/contract/api';
import {
  comparisonBars,
  curveGroups,
  defaultChartMetrics,
  defaultHistogramLabels,
  histogramsByLabel,
  sweepsOf,
} from './chart-data';

const COLUMNS: MetricColumn[] = [
  { key: 'R@100', group: 'Retrieval', higherIsBetter: true },
  { key: 'N@10', group: 'Ranking', higherIsBetter: true },
];

function cell(mean: number, n = 3, std = 0.01): ResultCell {
  return { mean, std, n, rank: 0 };
}

function row(label: string, method: string, params: ParamValues, r: number, n = 3): ResultRow {
  return { label, method, params, cells: { 'R@100': cell(r, n), 'N@10': cell(r / 2, n) } };
}

function table(rows: ResultRow[], columns = COLUMNS): ResultTable {
  return { experimentId: 1, protocol: 'damcar', title: 't', caption: '', columns, rows, warnings: [] };
}

const DAMCAR = { radius: 25, walks: 50, alpha: 0.99, useEma: true, targetDomain: 'random-walk' };

describe('comparison bars (Figure 3)', () => {
  it('gives one series per row with means, and stds only where several seeds ran', () => {
    const bars = comparisonBars(
      table([
        row('DAMCAR', 'damcar', DAMCAR, 0.4),
        row('w/o EMA', 'damcar', { ...DAMCAR, useEma: false }, 0.3, 1),
        { label: 'pending', method: 'bc', params: {}, cells: { 'R@100': null, 'N@10': null } },
      ]),
      ['N@10', 'R@100'],
    );
    expect(bars).toEqual([
      { label: 'DAMCAR', means: [0.2, 0.4], stds: [0.01, 0.01], n: [3, 3] },
      { label: 'w/o EMA', means: [0.15, 0.3], stds: [null, null], n: [1, 1] },
    ]);
  });

  it('defaults to the ranking N/M/H at the first cut-off, else the first retrieval columns', () => {
    const ranking: MetricColumn[] = ['R@100', 'P@100', 'F@100', 'N@10', 'M@10', 'H@10', 'N@20'].map(
      (key) => ({
        key,
        group: key.startsWith('N') || /^[MH]/.test(key) ? 'Ranking' : 'Retrieval',
        higherIsBetter: true,
      }),
    );
    expect(defaultChartMetrics(table([], ranking), 'Ranking')).toEqual(['N@10', 'M@10', 'H@10']);
    expect(defaultChartMetrics(table([], ranking.slice(0, 3)), 'Ranking')).toEqual([
      'R@100',
      'P@100',
      'F@100',
    ]);
  });
});

describe('sensitivity sweeps (Figure 4)', () => {
  it('finds the one numeric parameter a method varies, sorted by value, means per metric', () => {
    const sweeps = sweepsOf(
      table([
        row('BC', 'bc', {}, 0.05),
        row('DAMCAR (radius=30)', 'damcar', { ...DAMCAR, radius: 30 }, 0.2),
        row('DAMCAR (radius=15)', 'damcar', { ...DAMCAR, radius: 15 }, 0.1, 1),
        row('DAMCAR (radius=25)', 'damcar', DAMCAR, 0.3),
      ]),
      ['R@100', 'N@10'],
    );
    expect(sweeps).toEqual([
      {
        method: 'damcar',
        param: 'radius',
        points: [
          { x: 15, label: 'DAMCAR (radius=15)', means: [0.1, 0.05], stds: [null, null] },
          { x: 25, label: 'DAMCAR (radius=25)', means: [0.3, 0.15], stds: [0.01, 0.01] },
          { x: 30, label: 'DAMCAR (radius=30)', means: [0.2, 0.1], stds: [0.01, 0.01] },
        ],
      },
    ]);
  });

  it('gives no sweep for ablation switches, 2-D grids, repeated values or a single row', () => {
    const none = (rows: ResultRow[]) => sweepsOf(table(rows), ['R@100']);
    expect(
      none([
        row('DAMCAR', 'damcar', DAMCAR, 0.2),
        row('w/o EMA', 'damcar', { ...DAMCAR, useEma: false }, 0.1),
      ]),
    ).toEqual([]);
    expect(
      none([
        row('a', 'damcar', { ...DAMCAR, radius: 10, walks: 10 }, 0.1),
        row('b', 'damcar', { ...DAMCAR, radius: 20, walks: 20 }, 0.2),
      ]),
    ).toEqual([]);
    expect(
      none([
        row('a', 'damcar', { ...DAMCAR, targetDomain: 'random' }, 0.1),
        row('b', 'damcar', { ...DAMCAR, targetDomain: 'random-walk' }, 0.2),
      ]),
    ).toEqual([]);
    expect(none([row('DAMCAR', 'damcar', DAMCAR, 0.2), row('copy', 'damcar', DAMCAR, 0.1)])).toEqual([]);
    expect(none([row('DAMCAR', 'damcar', DAMCAR, 0.2), row('BC', 'bc', {}, 0.1)])).toEqual([]);
  });
});

describe('prediction histograms (Figure 5)', () => {
  const h = (label: string, method: string, counts: number[]): RunHistogram => ({
    runId: 1,
    method,
    label,
    seed: 1,
    name: 'target-domain predictions',
    edges: [0, 0.5, 1],
    counts,
  });

  it('sums counts over seeds per label, normalises them and estimates the mean', () => {
    const out = histogramsByLabel(
      [
        h('BC', 'bc', [3, 1]),
        h('BC', 'bc', [1, 3]),
        h('DAMCAR', 'damcar', [0, 2]),
        { ...h('x', 'kd', [1, 1]), name: 'other' },
      ],
      'target-domain predictions',
    );
    expect(out).toEqual([
      { label: 'BC', method: 'bc', edges: [0, 0.5, 1], density: [0.5, 0.5], mean: 0.5, samples: 8 },
      { label: 'DAMCAR', method: 'damcar', edges: [0, 0.5, 1], density: [0, 1], mean: 0.75, samples: 2 },
    ]);
  });

  it('overlays BC and DAMCAR first when the experiment has them', () => {
    // DAMCAR's ProtocolPresentation.pairedMethods.
    const DAMCAR_PAIR = ['bc', 'damcar'];
    const densities = histogramsByLabel(
      [h('BC', 'bc', [1, 1]), h('KD', 'kd', [1, 1]), h('DAMCAR', 'damcar', [1, 1])],
      'target-domain predictions',
    );
    expect(defaultHistogramLabels(densities, DAMCAR_PAIR)).toEqual(['BC', 'DAMCAR']);
    expect(
      defaultHistogramLabels(
        densities.filter((d) => d.method === 'kd'),
        DAMCAR_PAIR,
      ),
    ).toEqual(['KD']);
  });
});

describe('curve groups', () => {
  it('puts each method prefix in its own chart and the generic train / valid BCE together', () => {
    const groups = curveGroups([
      { name: 'damcar/L_dom', points: [] },
      { name: 'train/bce', points: [] },
      { name: 'damcar/L_ce', points: [] },
      { name: 'valid/bce', points: [] },
      { name: 'ranking/train/bce', points: [] },
      { name: 'ranking/valid/auc', points: [] },
    ]);
    expect(groups.map((g) => [g.group, g.series.map((s) => s.name)])).toEqual([
      ['damcar', ['damcar/L_dom', 'damcar/L_ce']],
      ['bce', ['train/bce', 'valid/bce']],
      ['ranking', ['ranking/train/bce', 'ranking/valid/auc']],
    ]);
  });
});
