/**
 * Pure shaping of result tables and stored series into chart data: bars per row for the chosen
 * metrics (DAMCAR Figure 3), sensitivity lines where rows of one method differ in one numeric
 * parameter (Figure 4), normalised prediction histograms (Figure 5) and loss curves by prefix.
 * Every value plotted from a table is a row's mean over seeds; the std rides along for error bars.
 */
import type { CurveSeries, ParamValue, ResultTable, RunHistogram } from '../../../src-main/contract/api';

/** One bar series per row: its mean (null where no run finished), std and seed count per metric. */
export interface BarSeries {
  label: string;
  means: (number | null)[];
  stds: (number | null)[];
  n: number[];
}

/** Figure 3's layout: the chosen metrics along x, one bar per row within each metric. */
export function comparisonBars(table: ResultTable, metrics: readonly string[]): BarSeries[] {
  return table.rows
    .map((row) => {
      const cells = metrics.map((metric) => row.cells[metric] ?? null);
      return {
        label: row.label,
        means: cells.map((cell) => cell?.mean ?? null),
        stds: cells.map((cell) => (cell && cell.n > 1 ? cell.std : null)),
        n: cells.map((cell) => cell?.n ?? 0),
      };
    })
    .filter((series) => series.means.some((mean) => mean !== null));
}

export interface SweepPoint {
  x: number;
  /** The row this point comes from. */
  label: string;
  /** Per chosen metric: mean over seeds, std (null for one seed or no value). */
  means: (number | null)[];
  stds: (number | null)[];
}

export interface Sweep {
  /** Method id of the swept rows, e.g. `damcar`. */
  method: string;
  /** The parameter that varies, e.g. `radius`. */
  param: string;
  /** Points sorted by the parameter's value. */
  points: SweepPoint[];
}

function sameValue(a: ParamValue | undefined, b: ParamValue | undefined): boolean {
  return a === b;
}

/**
 * The Figure 4 sweeps of a table: for each method whose rows (at least two) differ in exactly one
 * parameter, that parameter numeric and distinct in every row, the rows as points sorted by the
 * value. Rows of other methods and rows that differ in more than one parameter (a 2-D grid, an
 * ablation's switches) give no sweep.
 */
export function sweepsOf(table: ResultTable, metrics: readonly string[]): Sweep[] {
  const byMethod = new Map<string, ResultTable['rows']>();
  for (const row of table.rows) byMethod.set(row.method, [...(byMethod.get(row.method) ?? []), row]);
  const sweeps: Sweep[] = [];
  for (const [method, rows] of byMethod) {
    if (rows.length < 2) continue;
    const keys = new Set(rows.flatMap((row) => Object.keys(row.params ?? {})));
    const varying = [...keys].filter((key) =>
      rows.some((row) => !sameValue(row.params?.[key], rows[0].params?.[key])),
    );
    if (varying.length !== 1) continue;
    const param = varying[0];
    const xs = rows.map((row) => row.params?.[param]);
    if (!xs.every((x): x is number => typeof x === 'number')) continue;
    if (new Set(xs).size !== xs.length) continue;
    const points = rows
      .map((row, k) => {
        const cells = metrics.map((metric) => row.cells[metric] ?? null);
        return {
          x: xs[k],
          label: row.label,
          means: cells.map((cell) => cell?.mean ?? null),
          stds: cells.map((cell) => (cell && cell.n > 1 ? cell.std : null)),
        };
      })
      .sort((a, b) => a.x - b.x);
    sweeps.push({ method, param, points });
  }
  return sweeps;
}

/**
 * The metrics a paper figure shows by default: the first three of the testbed's chart group
 * (ProtocolPresentation.chartGroup; DAMCAR's Figures 3 and 4 plot the ranking stage's N@10, M@10,
 * H@10), else the table's first three.
 */
export function defaultChartMetrics(table: ResultTable, chartGroup: string | undefined): string[] {
  const keys = table.columns.map((column) => column.key);
  const group = table.columns.filter((column) => column.group === chartGroup).map((column) => column.key);
  if (group.length >= 3) return group.slice(0, 3);
  return keys.slice(0, Math.min(3, keys.length));
}

export interface Density {
  label: string;
  method: string;
  edges: number[];
  /** Share of the samples per bin (sums to 1). */
  density: number[];
  /** Mean prediction estimated from the bin midpoints. */
  mean: number;
  /** Samples behind the histogram, over all seeds. */
  samples: number;
}

/** Histograms per row label, counts summed over seeds and normalised to densities (sum 1). */
export function histogramsByLabel(histograms: RunHistogram[], name: string): Density[] {
  const byLabel = new Map<string, { method: string; edges: number[]; counts: number[] }>();
  for (const h of histograms) {
    if (h.name !== name) continue;
    const entry = byLabel.get(h.label);
    if (!entry) byLabel.set(h.label, { method: h.method, edges: h.edges, counts: [...h.counts] });
    else if (entry.counts.length === h.counts.length) h.counts.forEach((c, k) => (entry.counts[k] += c));
  }
  return [...byLabel.entries()].map(([label, { method, edges, counts }]) => {
    const samples = counts.reduce((a, b) => a + b, 0);
    const density = counts.map((c) => c / (samples || 1));
    const mean = density.reduce((sum, d, k) => sum + d * ((edges[k] + edges[k + 1]) / 2), 0);
    return { label, method, edges, density, mean, samples };
  });
}

/**
 * Which histogram labels Figure 5 overlays at first: the rows of the testbed's paired methods
 * (ProtocolPresentation.pairedMethods; DAMCAR: BC and DAMCAR) when the experiment has them, else
 * every label.
 */
export function defaultHistogramLabels(
  densities: readonly Density[],
  pairedMethods: readonly string[],
): string[] {
  const paired = densities.filter((d) => pairedMethods.includes(d.method)).map((d) => d.label);
  return paired.length > 0 ? paired : densities.map((d) => d.label);
}

/**
 * Curves grouped for one chart each: by the name's first segment (`damcar/L_dom` → `damcar`,
 * `ranking/valid/auc` → `ranking`), except the generic `train/…` and `valid/…` series (BC's loss,
 * every method's validation BCE), which share one `bce` chart. Series keep their full names.
 */
export function curveGroups(series: CurveSeries[]): { group: string; series: CurveSeries[] }[] {
  const groups = new Map<string, CurveSeries[]>();
  for (const s of series) {
    const cut = s.name.indexOf('/');
    const head = cut > 0 ? s.name.slice(0, cut) : 'loss';
    const group = head === 'train' || head === 'valid' ? 'bce' : head;
    groups.set(group, [...(groups.get(group) ?? []), s]);
  }
  return [...groups.entries()].map(([group, list]) => ({ group, series: list }));
}
