import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../contract/api';
import { renderTerminalTable } from './table';

const TABLE: ResultTable = {
  experimentId: 1,
  protocol: 'damcar',
  title: 'Quickstart',
  caption: 'Dataset: Simulator.',
  columns: [{ key: 'R@100', group: 'Retrieval', higherIsBetter: true }],
  rows: [
    { label: 'BC', method: 'bc', params: {}, cells: { 'R@100': { mean: 0.5, std: 0.01, n: 2, rank: 1 } } },
    {
      label: 'Knowledge distillation',
      method: 'kd',
      params: {},
      cells: { 'R@100': { mean: 0.25, std: 0, n: 1, rank: 2 } },
    },
    { label: 'TL', method: 'tl', params: {}, cells: { 'R@100': null } },
  ],
  warnings: [],
};

describe('renderTerminalTable', () => {
  it('pads a Markdown table and marks best and second best', () => {
    const lines = renderTerminalTable(TABLE, false).split('\n');
    expect(lines[0]).toBe('Quickstart');
    expect(lines.slice(2, 7)).toEqual([
      '| Method                 |               R@100 |',
      '| ---------------------- | ------------------: |',
      '| BC                     | **0.5000 ± 0.0100** |',
      '| Knowledge distillation |       <u>0.2500</u> |',
      '| TL                     |                   – |',
    ]);
    expect(lines).toContain('Dataset: Simulator.');
  });

  it('uses ANSI bold and underline on a terminal without breaking alignment', () => {
    const lines = renderTerminalTable(TABLE, true).split('\n');
    expect(lines[4]).toBe('| BC                     | \x1b[1m0.5000 ± 0.0100\x1b[0m |');
    expect(lines[5]).toBe('| Knowledge distillation |          \x1b[4m0.2500\x1b[0m |');
  });

  it('lists the warnings under the caption, naming the row and column each concerns', () => {
    const text = renderTerminalTable(
      {
        ...TABLE,
        warnings: [
          { message: 'One seed (1): no spread.' },
          { metric: 'R@100', message: 'K covers the corpus.' },
          { row: 1, runId: 4, message: 'Seed 1: the loss rose.' },
          { row: 0, metric: 'R@100', message: 'K covers this row.' },
        ],
      },
      false,
    );
    expect(text.split('\n').slice(8)).toEqual([
      'Dataset: Simulator.',
      '',
      'Warnings:',
      '⚠ One seed (1): no spread.',
      '⚠ R@100: K covers the corpus.',
      '⚠ Knowledge distillation: Seed 1: the loss rose.',
      '⚠ BC, R@100: K covers this row.',
      '',
    ]);
    // A healthy table prints no warnings heading.
    expect(renderTerminalTable(TABLE, false)).not.toContain('Warnings');
  });
});
