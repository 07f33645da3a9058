/**
 * Grid search in experiment specs: a method row with `grid: { lambda1: [0.5, 0.6], lambda2: [...] }`
 * stands for one row per combination (DAMCAR Table 4 tunes lambda1-3 this way). Expansion happens
 * when a spec is validated, so stored experiments, runs and result tables only see plain rows.
 */
import type { ParamValue, ParamValues } from '../../contract/api';

/** The most rows one grid may expand into: 5 x 5 x 5 (Table 4) fits, a typo with 10^4 does not. */
export const MAX_GRID_ROWS = 200;

export interface GridRow {
  params: ParamValues;
  /** e.g. `λ1=0.5, λ2=0.2`: the grid's values in the order of the grid's keys. */
  suffix: string;
}

const GREEK: Record<string, string> = { lambda1: 'λ1', lambda2: 'λ2', lambda3: 'λ3', alpha: 'α' };

/** Cartesian product of the grid's values, first key varying slowest. */
export function expandGrid(grid: Record<string, ParamValue[]>): GridRow[] {
  let rows: GridRow[] = [{ params: {}, suffix: '' }];
  for (const [key, values] of Object.entries(grid)) {
    // A swept protocol setting or simulator parameter (`simulator.exposureBias`) is labelled by
    // its own name.
    const name = GREEK[key] ?? key.replace(/^(protocolParams|simulator)\./, '');
    rows = rows.flatMap((row) =>
      values.map((value) => ({
        params: { ...row.params, [key]: value },
        suffix: row.suffix ? `${row.suffix}, ${name}=${value}` : `${name}=${value}`,
      })),
    );
  }
  return rows;
}

/** Rows a grid expands into, without building them. */
export function gridSize(grid: Record<string, ParamValue[]>): number {
  return Object.values(grid).reduce((size, values) => size * values.length, 1);
}
