/**
 * Builds the side-by-side comparison of chosen runs (contract/comparison.ts): rows are (experiment,
 * method row) pairs, cells the mean ± sample std over the latest finished run of each seed, and a
 * two-sided paired t-test against the baseline row over the seeds both rows ran
 * (core/metrics/significance.ts).
 */
import type { ExperimentSpec, MetricColumn, ParamValues, RunStatus } from '../contract/api';
import type {
  ComparedParam,
  ComparedValue,
  ComparisonCell,
  ComparisonRow,
  ComparisonTable,
} from '../contract/comparison';
import { pairedTTest } from '../core/metrics/significance';
import { meanAndStd, rankColumn } from './results';

/** The significance level marked in the table, as the papers mark it. */
export const SIGNIFICANCE_LEVEL = 0.05;

export interface ComparedRun {
  id: number;
  experimentId: number;
  experimentName: string;
  methodIndex: number;
  method: string;
  methodName: string;
  label: string;
  seed: number;
  status: RunStatus;
  metrics: Record<string, number>;
  /** The method's parameters as the run trained with them (defaults filled). */
  params: ParamValues;
  datasetName: string | null;
}

export interface ComparisonInput {
  runs: ComparedRun[];
  /** The spec of every experiment a run belongs to. */
  specs: ReadonlyMap<number, ExperimentSpec>;
  /** The metric columns of every experiment a run belongs to (its paper table's columns). */
  columns: ReadonlyMap<number, MetricColumn[]>;
  /** Labels of parameters by ComparedParam key (e.g. `params.alpha` -> `α (DAMCAR)`); key otherwise. */
  paramLabels?: ReadonlyMap<string, string>;
  baselineKey?: string;
}

function rowKey(run: Pick<ComparedRun, 'experimentId' | 'methodIndex'>): string {
  return `${run.experimentId}:${run.methodIndex}`;
}

function isComparedValue(value: unknown): value is ComparedValue {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Nested settings flattened to dotted keys (`training.learningRate`); arrays as their JSON. */
function flatten(prefix: string, value: unknown, into: Record<string, ComparedValue>): void {
  if (value === undefined) return;
  if (isComparedValue(value)) {
    into[prefix] = value;
  } else if (Array.isArray(value)) {
    into[prefix] = JSON.stringify(value);
  } else if (typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) flatten(`${prefix}.${key}`, inner, into);
  }
}

/** Everything a row was run with that can differ between rows, flattened. */
function rowSettings(spec: ExperimentSpec, run: ComparedRun): Record<string, ComparedValue> {
  const row = spec.methods[run.methodIndex];
  const settings: Record<string, ComparedValue> = {
    method: run.methodName,
    dataset:
      run.datasetName ?? (spec.dataset.kind === 'stored' ? `dataset ${spec.dataset.datasetId}` : 'simulated'),
    protocol: spec.protocol ?? null,
  };
  flatten('params', run.params, settings);
  flatten('training', spec.training, settings);
  flatten('evaluation', spec.evaluation, settings);
  flatten('ranking', spec.ranking, settings);
  flatten('protocolParams', { ...spec.protocolParams, ...row?.protocolParams }, settings);
  if (spec.dataset.kind === 'simulated')
    flatten('simulator', { ...spec.dataset.params, ...row?.simulator }, settings);
  return settings;
}

export function buildComparison(input: ComparisonInput): ComparisonTable {
  // Per row and seed, the latest finished run: a re-run replaces its numbers, as in the results table.
  const latest = new Map<string, Map<number, ComparedRun>>();
  const firstRun = new Map<string, ComparedRun>();
  for (const run of [...input.runs].sort((a, b) => a.id - b.id)) {
    const key = rowKey(run);
    if (!firstRun.has(key)) firstRun.set(key, run);
    if (run.status !== 'finished') continue;
    const bySeed = latest.get(key) ?? new Map<number, ComparedRun>();
    bySeed.set(run.seed, run);
    latest.set(key, bySeed);
  }
  const orderedKeys = [...firstRun.keys()].sort((a, b) => {
    const [ea, ma] = a.split(':').map(Number);
    const [eb, mb] = b.split(':').map(Number);
    return ea - eb || ma - mb;
  });

  const columns: MetricColumn[] = [];
  for (const key of orderedKeys) {
    for (const column of input.columns.get(firstRun.get(key)?.experimentId ?? -1) ?? []) {
      if (!columns.some((existing) => existing.key === column.key)) columns.push(column);
    }
  }

  const baselineKey =
    input.baselineKey !== undefined && orderedKeys.includes(input.baselineKey)
      ? input.baselineKey
      : (orderedKeys[0] ?? null);
  const baselineRuns = baselineKey !== null ? (latest.get(baselineKey) ?? new Map()) : new Map();

  const rows: ComparisonRow[] = orderedKeys.map((key) => {
    const first = firstRun.get(key) as ComparedRun;
    const bySeed = latest.get(key) ?? new Map<number, ComparedRun>();
    const seeds = [...bySeed.keys()].sort((a, b) => a - b);
    const spec = input.specs.get(first.experimentId);
    const cells: Record<string, ComparisonCell | null> = {};
    for (const column of columns) {
      const values = seeds
        .map((seed) => bySeed.get(seed)?.metrics[column.key])
        .filter(Number.isFinite) as number[];
      if (values.length === 0) {
        cells[column.key] = null;
        continue;
      }
      let versusBaseline: ComparisonCell['versusBaseline'] = null;
      if (key !== baselineKey) {
        const pairs = seeds.flatMap((seed) => {
          const mine = bySeed.get(seed)?.metrics[column.key];
          const theirs = (baselineRuns.get(seed) as ComparedRun | undefined)?.metrics[column.key];
          return Number.isFinite(mine) && Number.isFinite(theirs) ? [[mine as number, theirs as number]] : [];
        });
        const test = pairedTTest(
          pairs.map(([mine]) => mine),
          pairs.map(([, theirs]) => theirs),
        );
        if (test) versusBaseline = { pairs: test.n, meanDifference: test.meanDifference, p: test.p };
      }
      cells[column.key] = { ...meanAndStd(values), n: values.length, rank: 0, versusBaseline };
    }
    return {
      key,
      label: first.label,
      experimentId: first.experimentId,
      experimentName: first.experimentName,
      method: first.method,
      methodName: first.methodName,
      runIds: seeds.map((seed) => (bySeed.get(seed) as ComparedRun).id),
      seeds,
      params: spec ? rowSettings(spec, first) : { method: first.methodName },
      cells,
    };
  });
  for (const column of columns)
    rankColumn(
      rows.map((row) => row.cells[column.key]),
      column,
    );

  // Parameters in first-seen order; a row without a setting holds null, which differs from a value.
  const paramKeys: string[] = [];
  for (const row of rows)
    for (const key of Object.keys(row.params)) if (!paramKeys.includes(key)) paramKeys.push(key);
  for (const row of rows) for (const key of paramKeys) row.params[key] ??= null;
  const params: ComparedParam[] = paramKeys.map((key) => ({
    key,
    label: input.paramLabels?.get(key) ?? key,
    differs: new Set(rows.map((row) => JSON.stringify(row.params[key]))).size > 1,
  }));

  const baseline = rows.find((row) => row.key === baselineKey);
  const caption =
    rows.length === 0
      ? 'No runs chosen.'
      : `Mean ± sample standard deviation over seeds (the latest finished run of each). ` +
        `p: two-sided paired t-test against ${baseline ? `"${baseline.label}" (${baseline.experimentName})` : 'the baseline'} ` +
        `over the seeds both rows ran; * marks p < ${SIGNIFICANCE_LEVEL}. ` +
        `Rows sharing fewer than 2 seeds with the baseline are not tested.`;
  return { rows, columns, params, baselineKey, alpha: SIGNIFICANCE_LEVEL, caption };
}
