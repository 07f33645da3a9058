/**
 * Result tables as CSV, Markdown and LaTeX (booktabs). Pure functions: the same table always gives
 * the same text.
 */
import type { ExportFormat, ResultCell, ResultTable } from '../contract/api';
import { warningText } from './result-warnings';

/** Digits after the point in Markdown and LaTeX cells (CSV keeps full precision). */
export const DISPLAY_DIGITS = 4;

export function formatCell(cell: ResultCell): string {
  const mean = cell.mean.toFixed(DISPLAY_DIGITS);
  return cell.n > 1 ? `${mean} ± ${cell.std.toFixed(DISPLAY_DIGITS)}` : mean;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * One row per method; per metric three columns: mean, std, n (empty when no run produced it).
 * The first line is `# <title>. <caption>` (what produced the numbers: data, seeds, retrieval
 * model, method readings), which pandas' `read_csv(comment='#')` and R's `comment.char = '#'` skip.
 */
export function tableToCsv(table: ResultTable): string {
  const header = ['label', 'method'];
  for (const column of table.columns)
    header.push(`${column.key} mean`, `${column.key} std`, `${column.key} n`);
  const lines = [
    `# ${`${table.title}. ${table.caption}`.replace(/[\r\n]+/g, ' ')}`,
    ...warningLines(table).map((line) => `# Warning: ${line}`),
    header.map(csvField).join(','),
  ];
  for (const row of table.rows) {
    const fields = [row.label, row.method];
    for (const column of table.columns) {
      const cell = row.cells[column.key];
      fields.push(...(cell ? [String(cell.mean), String(cell.std), String(cell.n)] : ['', '', '']));
    }
    lines.push(fields.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The table's warnings, one line each, for the exports (the same text the CLI prints). */
function warningLines(table: ResultTable): string[] {
  return table.warnings.map((warning) => warningText(table, warning).replace(/[\r\n]+/g, ' '));
}

function markdownText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function markdownCell(cell: ResultCell | null): string {
  if (!cell) return '–';
  const text = formatCell(cell);
  if (cell.rank === 1) return `**${text}**`;
  if (cell.rank === 2) return `<u>${text}</u>`;
  return text;
}

/** Metric keys name the columns (they are distinct across groups; LaTeX shows the groups). */
export function tableToMarkdown(table: ResultTable): string {
  const header = ['Method', ...table.columns.map((column) => markdownText(column.key))];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${['---', ...table.columns.map(() => '---:')].join(' | ')} |`,
    ...table.rows.map(
      (row) =>
        `| ${[markdownText(row.label), ...table.columns.map((column) => markdownCell(row.cells[column.key]))].join(' | ')} |`,
    ),
  ];
  const warnings = warningLines(table).map((line) => `\n> Warning: ${markdownText(line)}`);
  return `${lines.join('\n')}\n\nTable: ${markdownText(table.title)}. ${markdownText(table.caption)}\n${warnings.join('\n')}${warnings.length ? '\n' : ''}`;
}

const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '±': '$\\pm$',
};

export function latexText(text: string): string {
  return text.replace(/[\\&%$#_{}~^±]/g, (char) => LATEX_SPECIALS[char]);
}

function latexCell(cell: ResultCell | null): string {
  if (!cell) return '--';
  const text = latexText(formatCell(cell));
  if (cell.rank === 1) return `\\textbf{${text}}`;
  if (cell.rank === 2) return `\\underline{${text}}`;
  return text;
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'experiment'
  );
}

/** Runs of neighbouring columns that share a group: the spanning headers. */
function columnGroups(table: ResultTable): { group: string; start: number; span: number }[] {
  const groups: { group: string; start: number; span: number }[] = [];
  table.columns.forEach((column, index) => {
    const last = groups[groups.length - 1];
    if (last && last.group === column.group) last.span += 1;
    else groups.push({ group: column.group, start: index, span: 1 });
  });
  return groups;
}

/** A booktabs table (needs \usepackage{booktabs}); group headers span their columns. */
export function tableToLatex(table: ResultTable): string {
  const lines = [
    // Comments: the source shows them to whoever pastes the table; the typeset paper does not.
    ...warningLines(table).map((line) => `% Warning: ${line}`),
    '\\begin{table}[t]',
    '  \\centering',
    `  \\caption{${latexText(table.title)}. ${latexText(table.caption)}}`,
    `  \\label{tab:${slug(table.title)}-${table.experimentId}}`,
    `  \\begin{tabular}{l${'c'.repeat(table.columns.length)}}`,
    '    \\toprule',
  ];
  if (table.columns.length > 0) {
    const groups = columnGroups(table);
    lines.push(
      `    ${['', ...groups.map((g) => `\\multicolumn{${g.span}}{c}{${latexText(g.group)}}`)].join(' & ')} \\\\`,
      `    ${groups.map((g) => `\\cmidrule(lr){${g.start + 2}-${g.start + g.span + 1}}`).join(' ')}`,
    );
  }
  lines.push(
    `    ${['Method', ...table.columns.map((column) => latexText(column.key))].join(' & ')} \\\\`,
    '    \\midrule',
    ...table.rows.map(
      (row) =>
        `    ${[latexText(row.label), ...table.columns.map((column) => latexCell(row.cells[column.key]))].join(' & ')} \\\\`,
    ),
    '    \\bottomrule',
    '  \\end{tabular}',
    '\\end{table}',
  );
  return `${lines.join('\n')}\n`;
}

const FORMATS: Record<
  ExportFormat,
  { extension: string; mimeType: string; render: (t: ResultTable) => string }
> = {
  csv: { extension: 'csv', mimeType: 'text/csv', render: tableToCsv },
  markdown: { extension: 'md', mimeType: 'text/markdown', render: tableToMarkdown },
  latex: { extension: 'tex', mimeType: 'application/x-tex', render: tableToLatex },
};

export function exportTable(
  table: ResultTable,
  format: ExportFormat,
): { filename: string; mimeType: string; content: string } {
  const { extension, mimeType, render } = FORMATS[format];
  return { filename: `${slug(table.title)}-results.${extension}`, mimeType, content: render(table) };
}
