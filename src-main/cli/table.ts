/**
 * The comparison table as the terminal shows it: a Markdown table with padded columns, best cells
 * bold and second best underlined (ANSI on a terminal, `**x**` and `<u>x</u>` otherwise), then the
 * caption and the table's warnings, each naming the row and column it concerns.
 */
import type { ResultCell, ResultTable, ResultWarning } from '../contract/api';
import { formatCell } from '../app/export';
import { warningText } from '../app/result-warnings';

function mark(cell: ResultCell | null, ansi: boolean): { text: string; width: number } {
  if (!cell) return { text: '–', width: 1 };
  const plain = formatCell(cell);
  if (cell.rank === 0) return { text: plain, width: plain.length };
  if (ansi) {
    const code = cell.rank === 1 ? '\x1b[1m' : '\x1b[4m';
    return { text: `${code}${plain}\x1b[0m`, width: plain.length };
  }
  const text = cell.rank === 1 ? `**${plain}**` : `<u>${plain}</u>`;
  return { text, width: text.length };
}

/** `⚠ <row>, <column>: <message>`, naming only what the warning concerns. */
function warningLine(table: ResultTable, warning: ResultWarning): string {
  return `⚠ ${warningText(table, warning)}`;
}

export function renderTerminalTable(table: ResultTable, ansi: boolean): string {
  const header = ['Method', ...table.columns.map((c) => c.key)].map((text) => ({
    text,
    width: text.length,
  }));
  const body = table.rows.map((row) => [
    { text: row.label.replace(/\|/g, '\\|'), width: row.label.replace(/\|/g, '\\|').length },
    ...table.columns.map((column) => mark(row.cells[column.key], ansi)),
  ]);
  const widths = header.map((_, i) => Math.max(3, ...[header, ...body].map((cells) => cells[i].width)));
  const render = (cells: { text: string; width: number }[]): string =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.text + ' '.repeat(widths[i] - cell.width) : ' '.repeat(widths[i] - cell.width) + cell.text)).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  const warnings = table.warnings.length
    ? ['', 'Warnings:', ...table.warnings.map((warning) => warningLine(table, warning))]
    : [];
  return [
    `${table.title}`,
    '',
    render(header),
    rule,
    ...body.map(render),
    '',
    table.caption,
    ...warnings,
    '',
  ].join('\n');
}
