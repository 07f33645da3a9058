/**
 * Pure shaping of result tables and stored series into chart data: which chart a table calls for
 * (a sensitivity line when the rows sweep one numeric parameter, bars otherwise), and
 * normalised histograms for Figure 5.
 */
import type { CurveSeries, ResultTable, RunHistogram } from '../../../src-main/contract/api';

export interface MetricPoint {
  label: string;
  mean: number;
  std: number;
}

export interface SweepPoint {
  x: number;
  mean: number;
  std: number;
}

/** Row means (and stds) of one metric, in table order; rows without a value are left out. */
export function metricPoints(table: ResultTable, metric: string): MetricPoint[] {
  return table.rows.flatMap((row) => {
    const cell = row.cells[metric];
    return cell ? [{ label: row.label, mean: cell.mean, std: cell.std }] : [];
  });
}

/**
 * When every row is one method with one grid parameter (labels like `DAMCAR (radius=25)`), the
 * swept parameter and its points sorted by value: the Figure 4 sensitivity line. Else null.
 */
export function sweepOf(table: ResultTable, metric: string): { param: string; points: SweepPoint[] } | null {
  if (table.rows.length < 2) return null;
  let param: string | null = null;
  const points: SweepPoint[] = [];
  for (const row of table.rows) {
    const match = /^.+ \(([^=,()]+)=(-?[\d.e+-]+)\)$/.exec(row.label);
    if (!match) return null;
    if (param !== null && match[1] !== param) return null;
    param = match[1];
    const cell = row.cells[metric];
    if (cell) points.push({ x: Number(match[2]), mean: cell.mean, std: cell.std });
  }
  return param === null ? null : { param, points: points.sort((a, b) => a.x - b.x) };
}

/** Histograms per row label, counts summed over seeds and normalised to densities (sum 1). */
export function histogramsByLabel(
  histograms: RunHistogram[],
  name: string,
): { label: string; edges: number[]; density: number[] }[] {
  const byLabel = new Map<string, { edges: number[]; counts: number[] }>();
  for (const h of histograms) {
    if (h.name !== name) continue;
    const entry = byLabel.get(h.label);
    if (!entry) byLabel.set(h.label, { edges: h.edges, counts: [...h.counts] });
    else if (entry.counts.length === h.counts.length) h.counts.forEach((c, k) => (entry.counts[k] += c));
  }
  return [...byLabel.entries()].map(([label, { edges, counts }]) => {
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    return { label, edges, density: counts.map((c) => c / total) };
  });
}

/** Curves grouped by their prefix (`damcar/L_dom` → `damcar`), one chart per group. */
export function curveGroups(series: CurveSeries[]): { group: string; series: CurveSeries[] }[] {
  const groups = new Map<string, CurveSeries[]>();
  for (const s of series) {
    const cut = s.name.lastIndexOf('/');
    const group = cut > 0 ? s.name.slice(0, cut) : 'loss';
    groups.set(group, [...(groups.get(group) ?? []), s]);
  }
  return [...groups.entries()].map(([group, list]) => ({ group, series: list }));
}
