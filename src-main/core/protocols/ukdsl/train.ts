/**
 * One UKDSL job: the job's funnel (data.ts), the models of each method family, and evaluation on
 * impression and consideration data (UKDSL (Meta), sections 3-4).
 *
 * Models (fixed sizes, scaled down for CPU; the paper's production models are far larger):
 *   early-stage student  MLP 32-16 on the early-stage fields          (Tables 1-2 student)
 *   later-stage model    MLP 128-64 on early + late fields            (Tables 1-2 teacher, Table 3 student)
 *   foundation model     MLP 256-128 on every field                   (Table 3 teacher)
 *   simplified student   MLP 16 on the candidate fields               (section 4.2's importance models)
 * Every model trains with the experiment's epochs, batch size and Adagrad learning rate; the later
 * stage and the foundation model train on the training impressions only.
 *
 * Evaluation is on the test requests: impressions against their labels, and unlabelled
 * consideration rows against the method's teacher (the later stage; for SSLFM the foundation
 * model) as the paper's cross-stage calibration and NE, and on simulated data also against the
 * true click probability (calibration, NE) and the would-be labels (AUC). The relative NE columns
 * compare with the method family's reference trained in the same job with the same seed: the
 * impression-only baseline (Table 1), IMP importance only (Table 2), the task-less later-stage
 * model (Table 3). Teachers, references and importances are cached per (data, seed, training) in
 * the worker, so the rows of one experiment share them.
 *
 * Simplifications against the paper (stated so results are read correctly):
 * - The teacher that labels consideration data is a later-stage model trained here on the
 *   impressions; in production it is the served later-stage model whose logged predictions are
 *   reused, and the logging funnel here is section 3.2's pair of noisy scorers (funnel.ts).
 * - The foundation model is single-task (the paper's foundation models are multi-task); its edge
 *   is size and one field no production stage sees.
 * - Section 4.2's last step ("select the best mix that balances both data sets") is left to the
 *   researcher: each combination rule is a row of the Table 2 spec. Both importance models use
 *   the simplified student; the IMP one trains on impressions only (the regular, biased approach).
 * - Loss weights are not given in the paper; they are parameters (methods.ts), and unlabelled
 *   rows are weighted by their inverse sampling rate by default.
 * - Model evaluation runs inside the 'train' timing (predictions are taken as each model finishes).
 */
import { throwIfCancelled } from '../../methods/loop';
import { ParamReader } from '../../methods/param-spec';
import type { Rng } from '../../random';
import type { ProtocolJobContext } from '../types';
import {
  type Funnel,
  type FunnelData,
  SPLIT_HISTORY,
  SPLIT_TEST,
  SPLIT_TRAIN,
  SPLIT_VALID,
  fieldsOfStages,
  rowsWhere,
} from './funnel';
import { cached } from './cache';
import { dataKeyOf, funnelOf } from './data';
import {
  M,
  type FeatureCombination,
  calibration,
  combineFeatureImportance,
  normalizedEntropy,
  relativeChangePercent,
} from './metrics';
import { rocAuc } from '../../metrics/auc';
import { type ModelHeads, FieldModel, type TrainingSink, fitModel, progressSlice } from './model';
import { UKDSL_METHODS } from './methods';
import { simulateTwoStage } from './section3';
import { UKDSL_SETTINGS } from './settings';

export const STUDENT_HIDDEN = [32, 16];
export const LATER_STAGE_HIDDEN = [128, 64];
export const FOUNDATION_HIDDEN = [256, 128];
export const IMPORTANCE_HIDDEN = [16];

interface Shared {
  ctx: ProtocolJobContext;
  funnel: Funnel;
  data: FunnelData;
  /** Cache key prefix: data, seed and training settings. */
  key: string;
  trainImp: Int32Array;
  trainCd: Int32Array;
  validImp: Int32Array;
  validCd: Int32Array;
  testImp: Int32Array;
  testCd: Int32Array;
  /** Impressions of the foundation model's extra history (empty unless `foundationHistory` > 0). */
  historyImp: Int32Array;
  /** Optimizer steps per epoch of every model (equal-steps budget), or null (equal epochs). */
  stepsPerEpoch: number | null;
}

function sharedOf(ctx: ProtocolJobContext, funnel: Funnel, dataKey: string): Shared {
  const data = funnel.data;
  const shared: Shared = {
    ctx,
    funnel,
    data,
    key: `${dataKey} seed ${ctx.request.seed} ${JSON.stringify(ctx.request.spec.training)}`,
    trainImp: rowsWhere(data, SPLIT_TRAIN, 1),
    trainCd: rowsWhere(data, SPLIT_TRAIN, 0),
    validImp: rowsWhere(data, SPLIT_VALID, 1),
    validCd: rowsWhere(data, SPLIT_VALID, 0),
    testImp: rowsWhere(data, SPLIT_TEST, 1),
    testCd: rowsWhere(data, SPLIT_TEST, 0),
    historyImp: rowsWhere(data, SPLIT_HISTORY, 1),
    stepsPerEpoch: null,
  };
  const budget = new ParamReader(UKDSL_SETTINGS, ctx.protocolParams, 'protocolParams').choice(
    'trainingBudget',
  );
  if (budget === 'equal-steps')
    shared.stepsPerEpoch = Math.ceil(shared.trainImp.length / ctx.request.spec.training.batchSize);
  if (shared.trainImp.length === 0) throw new Error('dataset: the funnel has no training impressions');
  if (shared.testImp.length === 0 || shared.testCd.length === 0)
    throw new Error(
      'dataset: the funnel has no test impressions or test consideration rows; use more users or requests',
    );
  return shared;
}

/**
 * The batch size of a student trained on `examples` rows: the experiment's, or under the
 * equal-steps budget the one that makes every student's epoch the same number of steps (one pass
 * over its rows).
 */
function batchSizeFor(s: Shared, examples: number): number {
  const batchSize = s.ctx.request.spec.training.batchSize;
  return s.stepsPerEpoch === null ? batchSize : Math.max(1, Math.ceil(examples / s.stepsPerEpoch));
}

interface ModelSpec {
  fields: readonly number[];
  hidden: readonly number[];
  heads?: ModelHeads;
  /** Distinguishes the model's initialisation and shuffling streams. */
  stream: number;
  /** A teacher: `epochs` passes at the batch size whatever the budget (it is no compared method). */
  teacher?: boolean;
}

/**
 * Trains a model on examples and returns its predictions on `predictRows` (the model is disposed).
 * `targetsOf` gives the targets and weights per example row, per head.
 */
async function trainAndPredict(
  s: Shared,
  sink: TrainingSink,
  label: string,
  spec: ModelSpec,
  examples: { rows: Int32Array; targets: Float32Array; weights: Float32Array },
  predictRows: Int32Array[],
  headNames: readonly string[],
): Promise<Float32Array[]> {
  const { training } = s.ctx.request.spec;
  const rng: Rng = s.ctx.rng.fork(spec.stream);
  const model = new FieldModel({
    data: s.data,
    fields: spec.fields,
    hidden: spec.hidden,
    heads: spec.heads,
    embeddingDim: training.embeddingDim,
    learningRate: training.learningRate,
    rng: rng.fork(1),
  });
  try {
    await fitModel({
      sink,
      model,
      examples,
      epochs: training.epochs,
      batchSize: spec.teacher ? training.batchSize : batchSizeFor(s, examples.rows.length),
      shuffle: rng.fork(2),
      label,
      headNames,
    });
    const predictions: Float32Array[] = [];
    for (const rows of predictRows) predictions.push(await model.predict(rows));
    return predictions;
  } finally {
    model.dispose();
  }
}

function concatRows(...parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Probabilities of a model for every row of the data (index = row). */
function scatter(rows: number, parts: Int32Array[], values: Float32Array[]): Float32Array {
  const out = new Float32Array(rows).fill(NaN);
  parts.forEach((p, k) => p.forEach((row, j) => (out[row] = values[k][j])));
  return out;
}

/** The later-stage model (Tables 1-2 teacher): early + late fields, trained on impressions. */
function laterStage(s: Shared, sink: TrainingSink): Promise<Float32Array> {
  return cached(`later ${s.key}`, async () => {
    const fields = fieldsOfStages(s.data, ['early', 'late']);
    const rows = s.trainImp;
    const preds = await trainAndPredict(
      s,
      sink,
      'later-stage',
      { fields, hidden: LATER_STAGE_HIDDEN, stream: 11, teacher: true },
      {
        rows,
        targets: Float32Array.from(rows, (r) => s.data.label[r]),
        weights: new Float32Array(rows.length).fill(1),
      },
      [s.trainImp, s.trainCd, s.validCd, s.testImp, s.testCd],
      ['main'],
    );
    return scatter(s.data.rows, [s.trainImp, s.trainCd, s.validCd, s.testImp, s.testCd], preds);
  });
}

/**
 * The foundation model (Table 3 teacher): every field, the largest MLP, trained on the training
 * impressions and its extra history's (`foundationHistory`).
 */
function foundation(s: Shared, sink: TrainingSink): Promise<Float32Array> {
  return cached(`foundation ${s.key}`, async () => {
    const fields = fieldsOfStages(s.data, ['early', 'late', 'foundation']);
    const rows = concatRows(s.trainImp, s.historyImp);
    const preds = await trainAndPredict(
      s,
      sink,
      'foundation',
      { fields, hidden: FOUNDATION_HIDDEN, stream: 12, teacher: true },
      {
        rows,
        targets: Float32Array.from(rows, (r) => s.data.label[r]),
        weights: new Float32Array(rows.length).fill(1),
      },
      [s.trainCd, s.testImp, s.testCd],
      ['main'],
    );
    return scatter(s.data.rows, [s.trainCd, s.testImp, s.testCd], preds);
  });
}

/**
 * Examples of section 4.1's distillation: impressions with (1 - beta) y + beta teacher (weight 1),
 * consideration rows with the teacher's prediction (weight lambda, times the data's
 * unlabeledSamplingWeight when `samplingCorrection`; none when lambda = 0).
 */
function distillationExamples(
  s: Shared,
  teacher: Float32Array,
  lambda: number,
  beta: number,
  samplingCorrection = true,
): { rows: Int32Array; targets: Float32Array; weights: Float32Array } {
  const cdWeight = lambda * (samplingCorrection ? s.data.unlabeledSamplingWeight : 1);
  const cd = lambda > 0 ? s.trainCd : new Int32Array(0);
  const rows = concatRows(s.trainImp, cd);
  const targets = Float32Array.from(rows, (r, k) =>
    k < s.trainImp.length
      ? beta > 0
        ? (1 - beta) * s.data.label[r] + beta * teacher[r]
        : s.data.label[r]
      : teacher[r],
  );
  const weights = Float32Array.from(rows, (_, k) => (k < s.trainImp.length ? 1 : cdWeight));
  return { rows, targets, weights };
}

interface Evaluation {
  metrics: Record<string, number>;
}

function gather(values: ArrayLike<number>, rows: Int32Array): Float32Array {
  return Float32Array.from(rows, (r) => values[r]);
}

/** Metrics of predictions on the test impressions and test consideration rows. */
function evaluate(
  s: Shared,
  predImp: Float32Array,
  predCd: Float32Array,
  teacher: Float32Array,
  reference: Record<string, number> | null,
): Evaluation {
  const labels = gather(s.data.label, s.testImp);
  const teacherCd = gather(teacher, s.testCd);
  const metrics: Record<string, number> = {
    [M.calImp]: calibration(predImp, labels),
    [M.calCdTeacher]: calibration(predCd, teacherCd),
    [M.neImp]: normalizedEntropy(predImp, labels),
    [M.neCdTeacher]: normalizedEntropy(predCd, teacherCd),
    [M.aucImp]: rocAuc(predImp, labels),
  };
  const truth = s.funnel.truth;
  if (truth) {
    const prob = gather(truth.probability, s.testCd);
    metrics[M.calCdTruth] = calibration(predCd, prob);
    metrics[M.neCdTruth] = normalizedEntropy(predCd, prob);
    metrics[M.aucCdTruth] = rocAuc(predCd, gather(truth.label, s.testCd));
  }
  const ref = reference ?? metrics;
  metrics[M.dNeImp] = relativeChangePercent(metrics[M.neImp], ref[M.neImp]);
  metrics[M.dNeCdTeacher] = relativeChangePercent(metrics[M.neCdTeacher], ref[M.neCdTeacher]);
  if (truth) metrics[M.dNeCdTruth] = relativeChangePercent(metrics[M.neCdTruth], ref[M.neCdTruth]);
  return { metrics };
}

function describeMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ');
}

/** Trains the early-stage student on `fields` (distillation when lambda > 0) and evaluates it. */
async function earlyStudent(
  s: Shared,
  sink: TrainingSink,
  label: string,
  fields: readonly number[],
  teacher: Float32Array,
  lambda: number,
  beta: number,
  reference: Record<string, number> | null,
  samplingCorrection = true,
): Promise<Record<string, number>> {
  const [predImp, predCd] = await trainAndPredict(
    s,
    sink,
    label,
    { fields, hidden: STUDENT_HIDDEN, stream: 21 },
    distillationExamples(s, teacher, lambda, beta, samplingCorrection),
    [s.testImp, s.testCd],
    ['main'],
  );
  return evaluate(s, predImp, predCd, teacher, reference).metrics;
}

function baselineReference(
  s: Shared,
  sink: TrainingSink,
  teacher: Float32Array,
): Promise<Record<string, number>> {
  return cached(`baseline ${s.key}`, () =>
    earlyStudent(s, sink, 'ukdsl-baseline', fieldsOfStages(s.data, ['early']), teacher, 0, 0, null),
  );
}

/** The typed reader of the job's method parameters (methods.ts declares them). */
function methodParams(ctx: ProtocolJobContext): ParamReader {
  const method = UKDSL_METHODS.find((m) => m.id === ctx.request.method.id);
  if (!method) throw new Error(`method.id: "${ctx.request.method.id}" is not a method of the UKDSL testbed`);
  return new ParamReader(method, ctx.params);
}

function logTeacher(s: Shared, name: string, teacher: Float32Array): void {
  const predCd = gather(teacher, s.testCd);
  const predImp = gather(teacher, s.testImp);
  const labels = gather(s.data.label, s.testImp);
  let line = `${name}: Cal IMP ${calibration(predImp, labels).toFixed(3)}, NE IMP ${normalizedEntropy(predImp, labels).toFixed(4)}`;
  const truth = s.funnel.truth;
  if (truth) {
    const prob = gather(truth.probability, s.testCd);
    line += `, Cal CD (truth) ${calibration(predCd, prob).toFixed(3)}, NE CD (truth) ${normalizedEntropy(predCd, prob).toFixed(4)}`;
  }
  s.ctx.emit({ type: 'log', level: 'info', message: line });
}

/* ------------------------------------------------------------------------------------------ */
/* Section 4.2: perturbation importance.                                                       */

export interface FeatureImportance {
  /** Candidate field indices, aligned with the two importance arrays. */
  fields: number[];
  imp: number[];
  cd: number[];
}

/**
 * Perturbation importance of each field for a trained model: mean increase of NE on `rows`
 * against `targets` when the field's values are permuted across those rows.
 */
export async function perturbationImportance(
  model: FieldModel,
  fields: readonly number[],
  rows: Int32Array,
  targets: Float32Array,
  repeats: number,
  rng: Rng,
  signal?: AbortSignal,
): Promise<number[]> {
  const base = normalizedEntropy(await model.predict(rows), targets);
  const importance: number[] = [];
  for (const field of fields) {
    let sum = 0;
    for (let r = 0; r < repeats; r++) {
      if (signal) throwIfCancelled(signal);
      const source = rng.shuffle(Int32Array.from(rows));
      sum += normalizedEntropy(await model.predict(rows, { field, source }), targets) - base;
    }
    importance.push(sum / repeats);
  }
  return importance;
}

function featureImportance(
  s: Shared,
  sink: TrainingSink,
  teacher: Float32Array,
  repeats: number,
): Promise<FeatureImportance> {
  return cached(`importance ${s.key} ${repeats}`, async () => {
    const fields = fieldsOfStages(s.data, ['early']);
    const { training } = s.ctx.request.spec;
    const rng = s.ctx.rng.fork(31);
    const measure = async (
      label: string,
      examples: { rows: Int32Array; targets: Float32Array; weights: Float32Array },
      rows: Int32Array,
      targets: Float32Array,
      stream: number,
      part: TrainingSink,
    ): Promise<number[]> => {
      const model = new FieldModel({
        data: s.data,
        fields,
        hidden: IMPORTANCE_HIDDEN,
        embeddingDim: training.embeddingDim,
        learningRate: training.learningRate,
        rng: rng.fork(stream),
      });
      try {
        await fitModel({
          sink: part,
          model,
          examples,
          epochs: training.epochs,
          batchSize: batchSizeFor(s, examples.rows.length),
          shuffle: rng.fork(stream + 1),
          label,
          headNames: ['main'],
        });
        return await perturbationImportance(
          model,
          fields,
          rows,
          targets,
          repeats,
          rng.fork(stream + 2),
          s.ctx.signal,
        );
      } finally {
        model.dispose();
      }
    };
    if (s.validImp.length === 0 || s.validCd.length === 0)
      throw new Error('dataset: the funnel has no withheld (valid) rows for perturbation importance');
    // Regular (biased) importance: a model of impressions, scored on withheld impressions.
    const imp = await measure(
      'ssfs-importance-imp',
      distillationExamples(s, teacher, 0, 0),
      s.validImp,
      gather(s.data.label, s.validImp),
      1,
      progressSlice(sink, 0, 0.5),
    );
    // Section 4.2 steps 1-4: mixed data, scored on withheld consideration rows with teacher labels.
    const cd = await measure(
      'ssfs-importance-cd',
      distillationExamples(s, teacher, 1, 0),
      s.validCd,
      gather(teacher, s.validCd),
      11,
      progressSlice(sink, 0.5, 0.5),
    );
    const lines = fields.map((f, k) => `${s.data.fields[f].name} ${imp[k].toFixed(4)} / ${cd[k].toFixed(4)}`);
    s.ctx.emit({
      type: 'log',
      level: 'info',
      message: `Perturbation importance (IMP / CD): ${lines.join(', ')}`,
    });
    return { fields, imp, cd };
  });
}

/* ------------------------------------------------------------------------------------------ */

/** Runs one method of the testbed on a prepared funnel (runJob's body; tests call it directly). */
export async function runOnFunnel(
  ctx: ProtocolJobContext,
  funnel: Funnel,
  dataKey: string,
): Promise<Record<string, number>> {
  const method = ctx.request.method.id;
  const s = sharedOf(ctx, funnel, dataKey);
  ctx.emit({
    type: 'log',
    level: 'info',
    message:
      `${funnel.data.name}: ${funnel.summary}; train ${s.trainImp.length} impressions + ${s.trainCd.length} ` +
      `unlabelled, test ${s.testImp.length} + ${s.testCd.length}; ` +
      (s.stepsPerEpoch === null
        ? `every student makes ${ctx.request.spec.training.epochs} epochs at batch ${ctx.request.spec.training.batchSize}.`
        : `every student makes ${ctx.request.spec.training.epochs} x ${s.stepsPerEpoch} steps (equal-steps budget).`),
  });
  const sink: TrainingSink = { emit: ctx.emit, signal: ctx.signal };
  const earlyFields = fieldsOfStages(s.data, ['early']);

  const result = await ctx.timed('train', async (): Promise<Record<string, number>> => {
    switch (method) {
      case 'ukdsl-baseline':
      case 'ukdsl': {
        const teacher = await laterStage(s, progressSlice(sink, 0, 0.4));
        logTeacher(s, 'Later-stage model (teacher)', teacher);
        const reference = await baselineReference(s, progressSlice(sink, 0.4, 0.2), teacher);
        if (method === 'ukdsl-baseline') return reference;
        return earlyStudent(
          s,
          progressSlice(sink, 0.6, 0.4),
          'ukdsl',
          earlyFields,
          teacher,
          methodParams(ctx).number('considerationWeight'),
          methodParams(ctx).number('impressionTeacherBlend'),
          reference,
          methodParams(ctx).boolean('samplingCorrection'),
        );
      }
      case 'ukdsl-ssfs': {
        const teacher = await laterStage(s, progressSlice(sink, 0, 0.3));
        const read = methodParams(ctx);
        const repeats = read.number('permutationRepeats');
        const importance = await featureImportance(s, progressSlice(sink, 0.3, 0.3), teacher, repeats);
        const k = read.number('featuresKept');
        const rule = read.choice<FeatureCombination>('combine');
        const lambda = read.choice('finalTraining') === 'impressions' ? 0 : 1;
        const select = (r: FeatureCombination) =>
          combineFeatureImportance(importance.imp, importance.cd, k, r).map((p) => importance.fields[p]);
        const chosen = select(rule);
        ctx.emit({
          type: 'log',
          level: chosen.length === 0 ? 'warn' : 'info',
          message:
            `SSFS ${rule}, k = ${k}: ${chosen.length} features kept` +
            (chosen.length > 0
              ? ` (${chosen.map((f) => s.data.fields[f].name).join(', ')})`
              : ', the student predicts one rate'),
        });
        const reference = await cached(`ssfs-imp ${s.key} ${repeats} ${k} ${lambda}`, () =>
          earlyStudent(
            s,
            progressSlice(sink, 0.6, 0.2),
            'ukdsl-ssfs-imp',
            select('imp'),
            teacher,
            lambda,
            0,
            null,
          ),
        );
        const metrics =
          rule === 'imp'
            ? { ...reference }
            : await earlyStudent(
                s,
                progressSlice(sink, 0.8, 0.2),
                'ukdsl-ssfs',
                chosen,
                teacher,
                lambda,
                0,
                reference,
              );
        return { ...metrics, [M.features]: chosen.length };
      }
      case 'ukdsl-sslfm': {
        const teacher = await foundation(s, progressSlice(sink, 0, 0.4));
        logTeacher(s, 'Foundation model (teacher)', teacher);
        const fields = fieldsOfStages(s.data, ['early', 'late']);
        const read = methodParams(ctx);
        const dependent = read.boolean('dependentTask');
        const auxiliary = read.boolean('auxiliaryTask');
        const dependentWeight = read.number('dependentWeight');
        const auxiliaryWeight = read.number('auxiliaryWeight');
        const train = async (
          heads: ModelHeads,
          label: string,
          part: TrainingSink,
          reference: Record<string, number> | null,
        ) => {
          const headNames = [
            'main',
            ...(heads.dependent ? ['dep'] : []),
            ...(heads.auxiliary ? ['aux'] : []),
          ];
          const h = headNames.length;
          const useCd = heads.dependent || heads.auxiliary;
          const rows = useCd ? concatRows(s.trainImp, s.trainCd) : s.trainImp;
          const targets = new Float32Array(rows.length * h);
          const weights = new Float32Array(rows.length * h);
          rows.forEach((r, k) => {
            const isImp = k < s.trainImp.length;
            // Main task: impressions and their labels. Dependent / auxiliary: unlabelled rows, foundation labels.
            targets[k * h] = isImp ? s.data.label[r] : 0;
            weights[k * h] = isImp ? 1 : 0;
            let c = 1;
            if (heads.dependent) {
              targets[k * h + c] = isImp ? 0 : teacher[r];
              weights[k * h + c++] = isImp ? 0 : dependentWeight;
            }
            if (heads.auxiliary) {
              targets[k * h + c] = isImp ? 0 : teacher[r];
              weights[k * h + c] = isImp ? 0 : auxiliaryWeight;
            }
          });
          const [predImp, predCd] = await trainAndPredict(
            s,
            part,
            label,
            { fields, hidden: LATER_STAGE_HIDDEN, heads, stream: 41 },
            { rows, targets, weights },
            [s.testImp, s.testCd],
            headNames,
          );
          return evaluate(s, predImp, predCd, teacher, reference).metrics;
        };
        const reference = await cached(`sslfm-base ${s.key}`, () =>
          train(
            { dependent: false, auxiliary: false },
            'ukdsl-sslfm-base',
            progressSlice(sink, 0.4, 0.2),
            null,
          ),
        );
        if (!dependent && !auxiliary) return reference;
        return train({ dependent, auxiliary }, 'ukdsl-sslfm', progressSlice(sink, 0.6, 0.4), reference);
      }
      default:
        throw new Error(`method.id: "${method}" is not a method of the UKDSL testbed`);
    }
  });
  ctx.emit({
    type: 'log',
    level: 'info',
    message: `${ctx.request.method.label}: ${describeMetrics(result)}`,
  });
  return result;
}

/** Section 3.2's simulation (no data, no training). */
export async function runSimulation(ctx: ProtocolJobContext): Promise<Record<string, number>> {
  const read = methodParams(ctx);
  const result = await ctx.timed('eval', () =>
    simulateTwoStage(
      {
        candidates: read.number('candidates'),
        firstStageK: read.number('firstStageK'),
        secondStageK: read.number('secondStageK'),
        cpmMean: read.number('cpmMean'),
        cpmStd: read.number('cpmStd'),
        firstStageNoise: read.number('firstStageNoise'),
        secondStageNoise: read.number('secondStageNoise'),
        trials: read.number('trials'),
      },
      ctx.rng.fork(51),
      () => throwIfCancelled(ctx.signal),
    ),
  );
  const metrics = {
    [M.simCross]: result.crossStageOnS1,
    [M.simFirst]: result.firstStageOnS1,
    [M.simFirstExpected]: result.firstStageOnS1Expected,
    [M.simSecond]: result.secondStageOnS1,
    [M.simSecondOwn]: result.secondStageOnS2,
    [M.simReturn]: result.returnShare,
  };
  ctx.emit({ type: 'log', level: 'info', message: `Section 3.2 simulation: ${describeMetrics(metrics)}` });
  return metrics;
}

/** The protocol's runJob: section 3's simulation, or data then one training method. */
export async function runUkdslJob(ctx: ProtocolJobContext): Promise<Record<string, number>> {
  throwIfCancelled(ctx.signal);
  if (ctx.request.method.id === 'ukdsl-sim') return runSimulation(ctx);
  const funnel = await ctx.timed('data', () => funnelOf(ctx));
  let impressions = 0;
  let clicks = 0;
  for (let k = 0; k < funnel.data.rows; k++) {
    // The foundation model's history is not part of the production log.
    if (funnel.data.split[k] === SPLIT_HISTORY) continue;
    impressions += funnel.data.impressed[k];
    clicks += funnel.data.label[k];
  }
  ctx.emit({
    type: 'dataset',
    name: funnel.data.name,
    users: funnel.users,
    items: funnel.items,
    interactions: impressions,
    positives: clicks,
    hasGroundTruth: funnel.truth !== null,
  });
  throwIfCancelled(ctx.signal);
  return runOnFunnel(ctx, funnel, dataKeyOf(ctx));
}
