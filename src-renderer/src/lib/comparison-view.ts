/**
 * What the comparison view derives from a ComparisonTable (contract/comparison.ts): rows sorted by
 * a metric column, the parameters shown ("differences only" or all), significance marks and their
 * tooltips, and the axes of the parallel-coordinates chart.
 */
import type {
  ComparedParam,
  ComparedValue,
  ComparisonCell,
  ComparisonRow,
  ComparisonTable,
} from '../../../src-main/contract/comparison';
import { formatMetric } from './format';

export type SortDirection = 'ascending' | 'descending';

export interface RowSort {
  /** A metric column key, or null for the table's own order (experiment, then method row). */
  column: string | null;
  direction: SortDirection;
}

/** Rows ordered by a metric's mean; rows without a value for it always go last. */
export function sortRows(rows: readonly ComparisonRow[], sort: RowSort): ComparisonRow[] {
  const { column } = sort;
  if (column === null) return [...rows];
  const sign = sort.direction === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a.cells[column]?.mean;
    const y = b.cells[column]?.mean;
    if (x === undefined && y === undefined) return 0;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return sign * (x - y);
  });
}

/** The next sort after clicking a column header: descending, then ascending, then unsorted. */
export function nextSort(current: RowSort, column: string): RowSort {
  if (current.column !== column) return { column, direction: 'descending' };
  if (current.direction === 'descending') return { column, direction: 'ascending' };
  return { column: null, direction: 'descending' };
}

/** The parameters to show: only those that differ between rows, or all of them. */
export function shownParams(table: ComparisonTable, differencesOnly: boolean): ComparedParam[] {
  return differencesOnly ? table.params.filter((param) => param.differs) : table.params;
}

/** Whether the cell differs from the baseline at the table's significance level. */
export function isSignificant(cell: ComparisonCell | null | undefined, alpha: number): boolean {
  return cell?.versusBaseline != null && cell.versusBaseline.p < alpha;
}

/** A p-value as papers print it: three significant digits, or "< 0.001". */
export function formatP(p: number): string {
  if (p < 0.001) return '< 0.001';
  return p.toPrecision(3);
}

/** The tooltip of a cell: n, and against the baseline the paired difference and p (or why none). */
export function cellNote(cell: ComparisonCell, isBaseline: boolean): string {
  const seeds = `n = ${cell.n}`;
  if (isBaseline) return `${seeds} (baseline)`;
  const versus = cell.versusBaseline;
  if (!versus) return `${seeds}; fewer than 2 seeds shared with the baseline, not tested`;
  const sign = versus.meanDifference >= 0 ? '+' : '−';
  return (
    `${seeds}; vs baseline over ${versus.pairs} paired seeds: ` +
    `Δ = ${sign}${formatMetric(Math.abs(versus.meanDifference))}, p = ${formatP(versus.p)}`
  );
}

/** A parameter value as shown in the table. */
export function formatValue(value: ComparedValue): string {
  if (value === null) return '–';
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}

/**
 * Axes of the parallel-coordinates chart: every differing parameter that is a number in every
 * row (a grid's swept values), then the chosen metric. Null when nothing numeric varies.
 */
export function parallelAxes(
  table: ComparisonTable,
  metric: string,
): { params: ComparedParam[]; metric: string } | null {
  const params = table.params.filter(
    (param) => param.differs && table.rows.every((row) => typeof row.params[param.key] === 'number'),
  );
  if (params.length === 0 || !table.columns.some((column) => column.key === metric)) return null;
  return { params, metric };
}
