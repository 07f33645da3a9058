import { describe, expect, it } from 'vitest';
import type { ResultTable } from '../contract/api';
import { exportTable, latexText, tableToCsv, tableToLatex, tableToMarkdown } from './export';

const TABLE: ResultTable = {
  experimentId: 3,
  protocol: 'damcar',
  title: 'Bias study',
  caption: 'Dataset: Simulator; mean ± sample std over 2 seeds (1, 2).',
  columns: [
    { key: 'R@100', group: 'Retrieval', higherIsBetter: true },
    { key: 'R@200', group: 'Retrieval', higherIsBetter: true },
    { key: 'GT-R@100', group: 'Ground truth', higherIsBetter: true },
  ],
  rows: [
    {
      label: 'BC',
      method: 'bc',
      params: {},
      cells: {
        'R@100': { mean: 0.12345, std: 0.01, n: 2, rank: 2 },
        'R@200': { mean: 0.2, std: 0, n: 1, rank: 0 },
        'GT-R@100': null,
      },
    },
    {
      label: 'DAMCAR_v2 | ours',
      method: 'damcar',
      params: {},
      cells: {
        'R@100': { mean: 0.5, std: 0.02, n: 2, rank: 1 },
        'R@200': { mean: 0.6, std: 0.03, n: 2, rank: 1 },
        'GT-R@100': { mean: 0.7, std: 0.001, n: 2, rank: 0 },
      },
    },
  ],
  warnings: [],
};

describe('tableToCsv', () => {
  it('writes mean, std and n per metric at full precision, quoting where needed', () => {
    const csv = tableToCsv({ ...TABLE, rows: [{ ...TABLE.rows[0], label: 'BC, "base"' }] });
    expect(csv.split('\n')).toEqual([
      '# Bias study. Dataset: Simulator; mean ± sample std over 2 seeds (1, 2).',
      'label,method,R@100 mean,R@100 std,R@100 n,R@200 mean,R@200 std,R@200 n,GT-R@100 mean,GT-R@100 std,GT-R@100 n',
      '"BC, ""base""",bc,0.12345,0.01,2,0.2,0,1,,,',
      '',
    ]);
  });
});

describe('tableToMarkdown', () => {
  it('bolds the best, underlines the second, escapes pipes and adds the caption', () => {
    const md = tableToMarkdown(TABLE);
    const lines = md.split('\n');
    expect(lines[0]).toBe('| Method | R@100 | R@200 | GT-R@100 |');
    expect(lines[1]).toBe('| --- | ---: | ---: | ---: |');
    expect(lines[2]).toBe('| BC | <u>0.1235 ± 0.0100</u> | 0.2000 | – |');
    expect(lines[3]).toBe(
      '| DAMCAR_v2 \\| ours | **0.5000 ± 0.0200** | **0.6000 ± 0.0300** | 0.7000 ± 0.0010 |',
    );
    expect(md).toContain('Table: Bias study. Dataset: Simulator; mean ± sample std over 2 seeds (1, 2).');
  });
});

describe('tableToLatex', () => {
  it('writes a booktabs table with spanning groups and marked cells', () => {
    const tex = tableToLatex(TABLE);
    expect(tex).toContain('\\begin{tabular}{lccc}');
    expect(tex).toContain('\\toprule');
    expect(tex).toContain(' & \\multicolumn{2}{c}{Retrieval} & \\multicolumn{1}{c}{Ground truth} \\\\');
    expect(tex).toContain('\\cmidrule(lr){2-3} \\cmidrule(lr){4-4}');
    expect(tex).toContain('Method & R@100 & R@200 & GT-R@100 \\\\');
    expect(tex).toContain('BC & \\underline{0.1235 $\\pm$ 0.0100} & 0.2000 & -- \\\\');
    expect(tex).toContain(
      'DAMCAR\\_v2 | ours & \\textbf{0.5000 $\\pm$ 0.0200} & \\textbf{0.6000 $\\pm$ 0.0300} & 0.7000 $\\pm$ 0.0010 \\\\',
    );
    expect(tex).toContain(
      '\\caption{Bias study. Dataset: Simulator; mean $\\pm$ sample std over 2 seeds (1, 2).}',
    );
    expect(tex.indexOf('\\midrule')).toBeLessThan(tex.indexOf('BC &'));
    expect(tex.trimEnd().endsWith('\\end{table}')).toBe(true);
  });

  it('escapes LaTeX specials', () => {
    expect(latexText('a_b & 50% #1 $x {y} ~ ^ \\')).toBe(
      'a\\_b \\& 50\\% \\#1 \\$x \\{y\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}',
    );
  });
});

describe('exportTable', () => {
  it('names the file after the experiment and sets the MIME type', () => {
    expect(exportTable(TABLE, 'csv')).toMatchObject({
      filename: 'bias-study-results.csv',
      mimeType: 'text/csv',
    });
    expect(exportTable(TABLE, 'markdown')).toMatchObject({ filename: 'bias-study-results.md' });
    expect(exportTable(TABLE, 'latex').filename).toBe('bias-study-results.tex');
  });
});

describe('warnings in the exports', () => {
  const WARNED: ResultTable = {
    ...TABLE,
    warnings: [
      { metric: 'R@200', message: 'K = 200 is at or above the 118 items retrieval searched.' },
      { row: 0, message: 'Only 1 of 2 seeds finished for this row.' },
    ],
  };

  it('keeps them where each format shows them without breaking the table', () => {
    const csv = tableToCsv(WARNED).split('\n');
    expect(csv.slice(1, 3)).toEqual([
      '# Warning: R@200: K = 200 is at or above the 118 items retrieval searched.',
      '# Warning: BC: Only 1 of 2 seeds finished for this row.',
    ]);
    expect(csv[3]).toMatch(/^label,method,/);

    const md = tableToMarkdown(WARNED);
    expect(md).toContain('\n> Warning: R@200: K = 200 is at or above the 118 items retrieval searched.');
    expect(md).toContain('\n> Warning: BC: Only 1 of 2 seeds finished for this row.');

    const tex = tableToLatex(WARNED).split('\n');
    expect(tex.slice(0, 3)).toEqual([
      '% Warning: R@200: K = 200 is at or above the 118 items retrieval searched.',
      '% Warning: BC: Only 1 of 2 seeds finished for this row.',
      '\\begin{table}[t]',
    ]);
  });

  it('adds nothing when there are none', () => {
    expect(tableToCsv(TABLE)).not.toContain('Warning');
    expect(tableToMarkdown(TABLE)).not.toContain('Warning');
    expect(tableToLatex(TABLE)).not.toContain('Warning');
  });
});
