/**
 * Comparing any set of runs, from any experiments, side by side: one row per (experiment, method
 * row), its parameters (with which of them differ between rows), and per metric the mean and
 * spread over seeds with a paired significance test against a chosen baseline row.
 */
import type { MetricColumn } from './api';

/** A parameter value as shown: numbers, words and switches; null where a row has no such setting. */
export type ComparedValue = string | number | boolean | null;

export interface ComparisonCell {
  mean: number;
  /** Sample standard deviation over seeds (0 for one seed). */
  std: number;
  /** Finished runs (seeds) that produced the value. */
  n: number;
  /** 1 = best in the column (bold), 2 = second best (underlined), 0 = neither. */
  rank: 0 | 1 | 2;
  /**
   * Against the baseline row: the seeds both ran, the mean of (this - baseline) over them and the
   * two-sided paired t-test's p-value; null for the baseline itself or with fewer than 2 shared seeds.
   */
  versusBaseline: { pairs: number; meanDifference: number; p: number } | null;
}

export interface ComparisonRow {
  /** `<experimentId>:<methodIndex>`: stable across re-runs of the experiment. */
  key: string;
  label: string;
  experimentId: number;
  experimentName: string;
  method: string;
  methodName: string;
  /** The runs behind the row's cells: the latest finished run per seed. */
  runIds: number[];
  seeds: number[];
  /** Values by ComparisonTable.params key. */
  params: Record<string, ComparedValue>;
  cells: Record<string, ComparisonCell | null>;
}

export interface ComparedParam {
  /** e.g. `training.learningRate`, `params.alpha`, `simulator.items`, `dataset`. */
  key: string;
  label: string;
  /** Whether any two rows hold different values (the "differences only" view keeps these). */
  differs: boolean;
}

export interface ComparisonTable {
  rows: ComparisonRow[];
  /** Union of the rows' metric columns, in the order they first appear. */
  columns: MetricColumn[];
  params: ComparedParam[];
  baselineKey: string | null;
  /** The significance level cells are marked at. */
  alpha: number;
  /** Names the test, the pairing and the mark, for the view's caption and exports. */
  caption: string;
}
