/**
 * Builds the comparison table of an experiment, shaped like the papers' tables: one row per method
 * (in the spec's order), one column per metric, each cell the mean and sample standard deviation
 * over seeds, the best value of a column ranked 1 (bold) and the second best 2 (underlined).
 */
import type {
  CurveSeries,
  ExperimentSpec,
  MetricColumn,
  ParamValues,
  ResultCell,
  ResultRow,
  ResultTable,
  RunStatus,
} from '../contract/api';
import { DEFAULT_PROTOCOL, PROTOCOL_GRID_PREFIX, SIMULATOR_GRID_PREFIX } from '../contract/api';
import { resolveMethodParams } from '../core/experiments/spec';
import { resultWarnings } from './result-warnings';

export interface TableRun {
  id: number;
  methodIndex: number;
  seed: number;
  status: RunStatus;
  metrics: Record<string, number>;
  /** Per-epoch curves (losses, validation AUC), read for the table's warnings. */
  curves: CurveSeries[];
}

export interface ResultTableInput {
  experimentId: number;
  spec: ExperimentSpec;
  runs: TableRun[];
  columns: MetricColumn[];
  /** Display names by method id, for rows without a label. */
  methodNames: Record<string, string>;
  datasetName: string;
  /** The protocol's sentence on what was measured how (core/experiments/spec.ts protocolCaption). */
  protocolCaption: string;
  /** Per row, the items of the dataset it trained on (null when unknown); see ResultWarningInput. */
  corpusItems: (number | null)[];
}

/** Mean and sample standard deviation (n - 1 in the denominator; 0 for a single value). */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  if (values.length === 1) return { mean, std: 0 };
  const squares = values.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  return { mean, std: Math.sqrt(squares / (values.length - 1)) };
}

/**
 * Ranks the cells of one column in place: 1 for every cell whose mean equals the best mean, 2 for
 * the next distinct mean, 0 otherwise. A column with fewer than two values gets no ranks, since
 * "best of one" marks nothing.
 */
export function rankColumn(
  cells: (ResultCell | null)[],
  column: Pick<MetricColumn, 'higherIsBetter' | 'target'>,
): void {
  const present = cells.filter((cell): cell is ResultCell => cell !== null);
  for (const cell of present) cell.rank = 0;
  if (present.length < 2) return;
  // Smaller badness is better: the distance to the target, or the value in the wanted direction.
  const { target, higherIsBetter } = column;
  const badness = (mean: number): number =>
    target !== undefined ? Math.abs(mean - target) : higherIsBetter ? -mean : mean;
  const distinct = [...new Set(present.map((cell) => badness(cell.mean)))].sort((a, b) => a - b);
  for (const cell of present) {
    const b = badness(cell.mean);
    if (b === distinct[0]) cell.rank = 1;
    else if (distinct.length > 1 && b === distinct[1]) cell.rank = 2;
  }
}

/**
 * A row's parameters with the method's defaults filled; the stored values alone when the method
 * no longer accepts them (a spec stored by an older version).
 */
function rowParams(spec: ExperimentSpec, index: number): ParamValues {
  const method = spec.methods[index];
  // The row's own protocol settings and simulator parameters count as parameters too, so a
  // sweep of one is charted.
  const protocolOverrides: ParamValues = {};
  for (const [key, value] of Object.entries(method.protocolParams ?? {}))
    protocolOverrides[`${PROTOCOL_GRID_PREFIX}${key}`] = value;
  for (const [key, value] of Object.entries(method.simulator ?? {}))
    if (value !== undefined) protocolOverrides[`${SIMULATOR_GRID_PREFIX}${key}`] = value;
  try {
    return { ...resolveMethodParams(method, `methods[${index}]`), ...protocolOverrides };
  } catch {
    return { ...method.params, ...protocolOverrides };
  }
}

/** The label of a spec's method row. */
export function rowLabel(spec: ExperimentSpec, index: number, methodNames: Record<string, string>): string {
  const method = spec.methods[index];
  return method.label ?? methodNames[method.id] ?? method.id;
}

export function buildResultTable(input: ResultTableInput): ResultTable {
  const { spec, columns } = input;
  const seeds = new Set(spec.seeds);
  // Per (method row, seed), the latest finished run: re-running an experiment replaces its numbers.
  const latest = new Map<string, TableRun>();
  for (const run of input.runs) {
    if (run.status !== 'finished' || !seeds.has(run.seed)) continue;
    const key = `${run.methodIndex}:${run.seed}`;
    const current = latest.get(key);
    if (!current || run.id > current.id) latest.set(key, run);
  }

  const rows: ResultRow[] = spec.methods.map((method, index) => {
    const runs = [...latest.values()].filter((run) => run.methodIndex === index);
    const cells: Record<string, ResultCell | null> = {};
    for (const column of columns) {
      const values = runs.map((run) => run.metrics[column.key]).filter((v) => typeof v === 'number');
      cells[column.key] = values.length ? { ...meanAndStd(values), n: values.length, rank: 0 } : null;
    }
    return {
      label: rowLabel(spec, index, input.methodNames),
      method: method.id,
      params: rowParams(spec, index),
      cells,
    };
  });
  for (const column of columns) {
    rankColumn(
      rows.map((row) => row.cells[column.key]),
      column,
    );
  }

  const seedList = spec.seeds.join(', ');
  const expected = spec.methods.length * spec.seeds.length;
  const seedPhrase =
    spec.seeds.length === 1
      ? `one seed (${seedList}), so no standard deviation`
      : `mean ± sample std over ${spec.seeds.length} seeds (${seedList})`;
  const parts = [
    `Dataset: ${input.datasetName}`,
    seedPhrase,
    // The parts are joined with '; ' and the caption ends in one full stop.
    input.protocolCaption.replace(/\.\s*$/, ''),
    'bold: best, underlined: second best',
  ];
  if (latest.size < expected) parts.push(`${latest.size} of ${expected} runs finished`);
  return {
    experimentId: input.experimentId,
    protocol: spec.protocol ?? DEFAULT_PROTOCOL,
    title: spec.name,
    caption: `${parts.join('; ')}.`,
    columns,
    rows,
    warnings: resultWarnings({
      seeds: spec.seeds,
      evaluation: spec.evaluation,
      rows,
      runs: [...latest.values()],
      corpusItems: input.corpusItems,
    }),
  };
}
