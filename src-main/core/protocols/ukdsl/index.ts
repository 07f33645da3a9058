/**
 * UKDSL (Meta): "A Unified Knowledge-Distillation and Semi-Supervised Learning Framework to
 * Improve Industrial Ads Delivery Systems", as a Cascade Lab testbed.
 *
 * What it builds: a two-stage ranking funnel (funnel.ts; a job's funnel: data.ts) where an early stage picks a
 * consideration set per request and a later stage picks the impressions among it; impressions are
 * labelled, the rest of the consideration set is not (the simulator keeps its true click
 * probability for evaluation). Methods (methods.ts, train.ts): section 3.2's calibration
 * simulation (Figure 2), the impression-only early-stage baseline and UKDSL's semi-supervised
 * cross-stage distillation (Table 1), semi-supervised feature selection with each combination
 * rule (Table 2), and distillation from a foundation model with dependent / auxiliary tasks
 * (Table 3). Metrics (metrics.ts): calibration and normalized entropy on impression and
 * consideration data, NE relative change against the table's reference, AUC.
 *
 * Scale: everything is far smaller than the paper's production system (MLPs of tens to hundreds
 * of units on 12 scalar fields instead of production models on thousands of features), so only
 * the direction and rough size of the effects can be compared with the paper's numbers.
 *
 * What this testbed can and cannot show. The simulated funnel's later stage selects impressions on
 * an affinity the early stage cannot see, so an early model trained on impressions is
 * over-calibrated on the consideration set (section 3.2), and the simulator keeps the true click
 * probability of every unlabelled row: Tables 1-2 are measured on the paper's two corpora
 * (impressions of test requests against their labels, their whole consideration sets against the
 * later stage and against the truth). Budget: every compared student makes the same optimizer
 * steps (setting trainingBudget; equal epochs gave the distilled student 1.46 times the
 * baseline's), and 8 epochs is where their NE has converged; the last iterate's calibration still
 * moves by a few percent between epochs and seeds, which is the size of Table 3's effects, not of
 * Table 1's. Table 3 needs a teacher that knows what the student could learn with more data: on
 * the default world the student is at its ceiling (5 times the impressions move its NE by 0.06%),
 * so its spec uses a data-limited student (9,600 training impressions) and a foundation model with
 * 4 times more history (setting foundationHistory); the foundation model's own extra field is a
 * pair signal the student cannot represent, so only its better estimate of what the student sees
 * can transfer. What it cannot show: the paper's production scale and numbers, a served later
 * stage (the teacher here is a model trained on the same impressions), multi-task foundation
 * models, and, on stored logs, any ground truth for the unlabelled rows.
 */
import type { ExperimentSpec, MetricColumn } from '../../../contract/api';
import type { ProtocolModule } from '../types';
import { PAPER, UKDSL_METHODS } from './methods';
import { M } from './metrics';
import { UKDSL_PROTOCOL_PARAMS } from './settings';
import { runUkdslJob } from './train';

/** The methods that train models (the others: section 3.2's simulation). */
const TRAINING_METHODS = new Set(['ukdsl-baseline', 'ukdsl', 'ukdsl-ssfs', 'ukdsl-sslfm']);

/** The result table's columns, grouped as the paper's tables (calibration, NE, NE change), AUC beside them. */
function columns(spec: ExperimentSpec, hasGroundTruth: boolean): MetricColumn[] {
  const ids = new Set(spec.methods.map((m) => m.id));
  const columns: MetricColumn[] = [];
  if (ids.has('ukdsl-sim')) {
    const group = 'Section 3.2 calibration (simulation)';
    for (const key of [M.simCross, M.simFirst, M.simFirstExpected, M.simSecond, M.simSecondOwn])
      columns.push({ key, group, higherIsBetter: false });
    columns.push({ key: M.simReturn, group, higherIsBetter: true });
  }
  if ([...ids].some((id) => TRAINING_METHODS.has(id))) {
    const calibrationGroup = 'Model calibration (pred / reference)';
    columns.push({ key: M.calImp, group: calibrationGroup, higherIsBetter: false, target: 1 });
    columns.push({ key: M.calCdTeacher, group: calibrationGroup, higherIsBetter: false, target: 1 });
    if (hasGroundTruth)
      columns.push({ key: M.calCdTruth, group: calibrationGroup, higherIsBetter: false, target: 1 });
    const changeGroup = 'NE relative change vs reference (%)';
    columns.push({ key: M.dNeImp, group: changeGroup, higherIsBetter: false });
    columns.push({ key: M.dNeCdTeacher, group: changeGroup, higherIsBetter: false });
    if (hasGroundTruth) columns.push({ key: M.dNeCdTruth, group: changeGroup, higherIsBetter: false });
    const neGroup = 'Normalized entropy';
    columns.push({ key: M.neImp, group: neGroup, higherIsBetter: false });
    columns.push({ key: M.neCdTeacher, group: neGroup, higherIsBetter: false });
    if (hasGroundTruth) columns.push({ key: M.neCdTruth, group: neGroup, higherIsBetter: false });
    columns.push({ key: M.aucImp, group: 'AUC', higherIsBetter: true });
    if (hasGroundTruth) columns.push({ key: M.aucCdTruth, group: 'AUC', higherIsBetter: true });
    if (ids.has('ukdsl-ssfs'))
      columns.push({ key: M.features, group: 'Feature selection', higherIsBetter: false });
  }
  return columns;
}

function caption(spec: ExperimentSpec): string {
  const training = [...new Set(spec.methods.map((m) => m.id))].some((id) => TRAINING_METHODS.has(id));
  const parts: string[] = [];
  if (spec.methods.some((m) => m.id === 'ukdsl-sim'))
    parts.push('Section 3.2 simulation: calibration ratios (1 = calibrated; above 1 over-calibrated)');
  if (training)
    parts.push(
      'Test requests of the funnel: IMP = impressions against their labels; CD = unlabelled consideration rows ' +
        "against the method's teacher (later stage; foundation model for SSLFM) and, on simulated data, the true " +
        'click probability; calibration = mean prediction / mean reference (1 is best; "lower is better" marks ' +
        'assume over-calibration); ΔNE % against the family reference trained with the same seed (Table 1: ' +
        'Baseline, Table 2: IMP importance only, Table 3: no tasks)',
    );
  return parts.join('. ');
}

export const ukdslProtocol: ProtocolModule = {
  descriptor: {
    id: 'ukdsl',
    name: 'UKDSL cross-stage semi-supervised distillation',
    paper: PAPER,
    summary:
      'A two-stage ranking funnel: the early stage picks a consideration set per request, the later stage the ' +
      'impressions, which alone get labels. The early-stage model is trained on impressions only (baseline) or with ' +
      'the later stage labelling the unlabelled consideration data (UKDSL), with semi-supervised feature selection ' +
      'and foundation-model distillation; calibration, NE and AUC on impression and consideration data. Stored ' +
      'datasets: impressions = the exposure log, consideration data = sampled unexposed items, no ground truth.',
    params: UKDSL_PROTOCOL_PARAMS,
    methods: UKDSL_METHODS.map((m) => m.id),
    // The settings of experiments/ukdsl-table1/2 (Table 3's data-limited world trains 24 epochs).
    training: { epochs: 8, batchSize: 512, learningRate: 0.02, embeddingDim: 16 },
    evaluationSettings: [],
    presentation: { rankingStage: false, figures: {}, pairedMethods: [] },
  },
  methods: UKDSL_METHODS,
  columns,
  caption,
  runJob: runUkdslJob,
};
