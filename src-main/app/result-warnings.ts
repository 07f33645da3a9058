/**
 * Why a number of a results table is not meaningful, said beside the table instead of only in a
 * run's log: a recall cut-off that covers the whole corpus, a ranking model no better than chance,
 * a training loss that rose, and a cell without a spread over seeds.
 */
import type { CurveSeries, EvaluationSpec, ResultRow, ResultTable, ResultWarning } from '../contract/api';

/** What the warnings read of one run behind a row: the latest finished run of a (row, seed). */
export interface WarningRun {
  id: number;
  methodIndex: number;
  seed: number;
  curves: CurveSeries[];
}

export interface ResultWarningInput {
  seeds: readonly number[];
  evaluation: Pick<EvaluationSpec, 'corpus'>;
  rows: ResultRow[];
  runs: WarningRun[];
  /**
   * Per row, the items of the dataset it trained on (null when unknown): the most that retrieval
   * can search, all of them with corpus 'all', a subset with 'test'.
   */
  corpusItems: (number | null)[];
}

/**
 * A ranking model's validation AUC closer than this to 0.5 ranks little better than a coin: on the
 * sizes the workbench trains, a model that learned something sits well above 0.55, while the
 * AUC of random scores on a few thousand validation rows scatters by about ±0.02 around 0.5.
 */
export const CHANCE_AUC_BAND = 0.05;

/**
 * A training loss whose last epoch's mean is above the first epoch's by more than this share of
 * the first rose for real: epoch-to-epoch noise of a converging run stays within a few percent.
 */
export const LOSS_RISE_MARGIN = 0.1;

/** The ranking model's per-epoch validation AUC curve (core/models/ranking-model.ts). */
const RANKING_AUC_CURVE = 'ranking/valid/auc';

/**
 * The curves runEpochs (core/methods/loop.ts) writes as an epoch's mean training loss: its default
 * `train/loss` and the `lossCurve` names the methods and protocols pass (`ranking/train/bce`,
 * `train/bce`, `damcar/L_total`, `damcar/L_train`, `kd/L_kd`, `tl/L_bce`, `tl/L_finetune`,
 * `ar/L_total`, `muda/L_bce`, `<method>/total`, `<prefix>/L_total`, `<prefix>/loss`,
 * `<method>/bce`, `<method>/base/bce`). Loss terms (e.g. `damcar/L_dom`, an adversary's loss that
 * is meant to rise) and validation curves are not matched.
 */
const TRAINING_LOSS_CURVE =
  /^(?:ranking\/train\/bce|damcar\/L_train|kd\/L_kd|tl\/L_bce|tl\/L_finetune|muda\/L_bce|[^/]+\/(?:loss|total|L_total|bce|base\/bce))$/;

/** Retrieval recall columns and their cut-off K: `R@K` and its ground-truth twin `GT-R@K`. */
const RECALL_COLUMN = /^(?:GT-)?R@(\d+)$/;

function finitePoints(series: CurveSeries): { step: number; value: number }[] {
  return series.points
    .filter(
      (point): point is { step: number; value: number } =>
        point.value !== null && Number.isFinite(point.value),
    )
    .sort((a, b) => a.step - b.step);
}

/** (a) Recall at a K that covers every item is 1 by construction. */
function cutoffWarnings(input: ResultWarningInput): ResultWarning[] {
  const warnings: ResultWarning[] = [];
  const metrics = [...new Set(input.rows.flatMap((row) => Object.keys(row.cells)))];
  const searched =
    input.evaluation.corpus === 'all'
      ? (items: number) => `the ${items} items retrieval searched`
      : (items: number) => `the ${items} items of the dataset, more than its test split holds`;
  for (const metric of metrics) {
    const match = RECALL_COLUMN.exec(metric);
    if (!match) continue;
    const k = Number(match[1]);
    const affected = input.rows.flatMap((row, index) => {
      const items = input.corpusItems[index] ?? null;
      return row.cells[metric] && items !== null && k >= items ? [{ index, items }] : [];
    });
    if (affected.length === 0) continue;
    const message = (items: number) =>
      `K = ${k} is at or above ${searched(items)}, so ${metric} is 1 by construction: every relevant item is retrieved.`;
    const filled = input.rows.filter((row) => row.cells[metric]).length;
    const sameItems = affected.every((entry) => entry.items === affected[0].items);
    if (affected.length === filled && sameItems)
      warnings.push({ metric, message: message(affected[0].items) });
    else
      for (const { index, items } of affected) warnings.push({ row: index, metric, message: message(items) });
  }
  return warnings;
}

/** (b) and (c): what a run's curves say of its training. */
function curveWarnings(run: WarningRun): ResultWarning[] {
  const warnings: ResultWarning[] = [];
  for (const series of run.curves) {
    const points = finitePoints(series);
    if (points.length === 0) continue;
    const first = points[0];
    const last = points[points.length - 1];
    if (series.name === RANKING_AUC_CURVE && Math.abs(last.value - 0.5) < CHANCE_AUC_BAND) {
      warnings.push({
        row: run.methodIndex,
        runId: run.id,
        message:
          `Seed ${run.seed}: the ranking model's validation AUC is ${last.value.toFixed(4)}, within ` +
          `${CHANCE_AUC_BAND} of chance (0.5), so its re-ranking (the Ranking columns) is close to random.`,
      });
    } else if (
      TRAINING_LOSS_CURVE.test(series.name) &&
      points.length >= 2 &&
      last.value - first.value > LOSS_RISE_MARGIN * Math.abs(first.value)
    ) {
      warnings.push({
        row: run.methodIndex,
        runId: run.id,
        message:
          `Seed ${run.seed}: the training loss ${series.name} rose from ${first.value.toFixed(4)} ` +
          `(epoch ${first.step}) to ${last.value.toFixed(4)} (epoch ${last.step}), so training did not converge.`,
      });
    }
  }
  return warnings;
}

/** (d) A cell of one seed shows no standard deviation, so row differences may be seed noise. */
function seedWarnings(input: ResultWarningInput): ResultWarning[] {
  if (input.seeds.length < 2) {
    const hasCells = input.rows.some((row) => Object.values(row.cells).some((cell) => cell !== null));
    if (!hasCells) return [];
    return [
      {
        message:
          `One seed (${input.seeds.join(', ')}): each cell is a single run with no standard deviation, ` +
          'so differences between rows may be seed noise; run 2 or more seeds.',
      },
    ];
  }
  return input.rows.flatMap((row, index) => {
    const counts = Object.values(row.cells).flatMap((cell) => (cell ? [cell.n] : []));
    if (counts.length === 0 || Math.min(...counts) >= 2) return [];
    return [
      {
        row: index,
        message:
          `Only 1 of ${input.seeds.length} seeds finished for this row: its cells are a single run ` +
          'with no standard deviation.',
      },
    ];
  });
}

/**
 * Every warning of a results table, in a stable order: the table's (seeds), then the columns'
 * (cut-offs), then the rows' in row order.
 */
export function resultWarnings(input: ResultWarningInput): ResultWarning[] {
  const runs = [...input.runs].sort((a, b) => a.methodIndex - b.methodIndex || a.seed - b.seed);
  const all = [...seedWarnings(input), ...cutoffWarnings(input), ...runs.flatMap(curveWarnings)];
  const tableWide = all.filter((warning) => warning.row === undefined);
  const rowWise = all
    .filter((warning) => warning.row !== undefined)
    .sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  return [...tableWide, ...rowWise];
}

/** A warning as one line of text, led by the row and column it concerns: "BC, R@200: K = …". */
export function warningText(table: ResultTable, warning: ResultWarning): string {
  const where = [
    ...(warning.row !== undefined ? [table.rows[warning.row]?.label ?? `row ${warning.row + 1}`] : []),
    ...(warning.metric !== undefined ? [warning.metric] : []),
  ];
  return `${where.length ? `${where.join(', ')}: ` : ''}${warning.message}`;
}
