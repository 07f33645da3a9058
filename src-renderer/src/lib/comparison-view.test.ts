import { describe, expect, it } from 'vitest';
import type { ComparisonCell, ComparisonRow, ComparisonTable } from '../../../src-main/contract/comparison';
import {
  cellNote,
  formatP,
  formatValue,
  isSignificant,
  nextSort,
  parallelAxes,
  shownParams,
  sortRows,
} from './comparison-view';

function cell(mean: number, p: number | null = null): ComparisonCell {
  return {
    mean,
    std: 0.01,
    n: 3,
    rank: 0,
    versusBaseline: p === null ? null : { pairs: 3, meanDifference: mean - 0.5, p },
  };
}

function row(key: string, recall: number | null, alpha: number, lr: number | string): ComparisonRow {
  return {
    key,
    label: key,
    experimentId: 1,
    experimentName: 'grid',
    method: 'damcar',
    methodName: 'DAMCAR',
    runIds: [1],
    seeds: [1, 2, 3],
    params: { 'params.alpha': alpha, 'training.learningRate': lr, method: 'DAMCAR' },
    cells: { 'R@100': recall === null ? null : cell(recall, 0.01) },
  };
}

const table: ComparisonTable = {
  rows: [
    row('1:0', 0.5, 0.1, 0.01),
    row('1:1', 0.7, 0.5, 0.01),
    row('1:2', null, 1, 0.01),
    row('1:3', 0.6, 2, 0.01),
  ],
  columns: [{ key: 'R@100', group: 'Retrieval', higherIsBetter: true }],
  params: [
    { key: 'params.alpha', label: 'α', differs: true },
    { key: 'training.learningRate', label: 'learning rate', differs: false },
    { key: 'method', label: 'method', differs: false },
  ],
  baselineKey: '1:0',
  alpha: 0.05,
  caption: '',
};

describe('comparison view', () => {
  it('sorts rows by a metric either way, rows without a value last', () => {
    const keys = (sort: Parameters<typeof sortRows>[1]): string[] =>
      sortRows(table.rows, sort).map((r) => r.key);
    expect(keys({ column: 'R@100', direction: 'descending' })).toEqual(['1:1', '1:3', '1:0', '1:2']);
    expect(keys({ column: 'R@100', direction: 'ascending' })).toEqual(['1:0', '1:3', '1:1', '1:2']);
    expect(keys({ column: null, direction: 'ascending' })).toEqual(['1:0', '1:1', '1:2', '1:3']);
  });

  it('cycles a header click through descending, ascending and unsorted', () => {
    const first = nextSort({ column: null, direction: 'descending' }, 'R@100');
    expect(first).toEqual({ column: 'R@100', direction: 'descending' });
    const second = nextSort(first, 'R@100');
    expect(second).toEqual({ column: 'R@100', direction: 'ascending' });
    expect(nextSort(second, 'R@100').column).toBeNull();
    expect(nextSort(second, 'N@10')).toEqual({ column: 'N@10', direction: 'descending' });
  });

  it('shows only the differing parameters when asked', () => {
    expect(shownParams(table, true).map((p) => p.key)).toEqual(['params.alpha']);
    expect(shownParams(table, false)).toHaveLength(3);
  });

  it('marks p below the level, and says why a cell was not tested', () => {
    expect(isSignificant(cell(0.6, 0.049), 0.05)).toBe(true);
    expect(isSignificant(cell(0.6, 0.05), 0.05)).toBe(false);
    expect(isSignificant(cell(0.6), 0.05)).toBe(false);
    expect(formatP(0.0004)).toBe('< 0.001');
    expect(formatP(0.01234)).toBe('0.0123');
    expect(cellNote(cell(0.6, 0.01234), false)).toMatch(/3 paired seeds: Δ = \+0\.1000, p = 0\.0123$/);
    expect(cellNote(cell(0.4, 0.2), false)).toMatch(/Δ = −0\.1000/);
    expect(cellNote(cell(0.6), false)).toMatch(/not tested$/);
    expect(cellNote(cell(0.6), true)).toBe('n = 3 (baseline)');
  });

  it('writes values plainly', () => {
    expect(formatValue(null)).toBe('–');
    expect(formatValue(0.1 + 0.2)).toBe('0.3');
    expect(formatValue(128)).toBe('128');
    expect(formatValue(true)).toBe('true');
  });

  it('draws parallel coordinates over the numeric parameters that vary, then the metric', () => {
    expect(parallelAxes(table, 'R@100')).toEqual({ params: [table.params[0]], metric: 'R@100' });
    expect(parallelAxes(table, 'N@10')).toBeNull();
    const flat = { ...table, params: table.params.map((p) => ({ ...p, differs: false })) };
    expect(parallelAxes(flat, 'R@100')).toBeNull();
  });
});
