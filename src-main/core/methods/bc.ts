/**
 * BC (binary classification), the base method of DAMCAR's comparison (DAMCAR, ACM MM 2024,
 * section 5.1.3, baseline (i)): the DSSM retrieval model trained with binary cross-entropy on the
 * exposed training interactions only, label = finish (y). It is Eq. 14's loss restricted to
 * S_exp with the true labels:
 *   L = -1/|S_exp| sum_{S_exp} [ y log sigmoid(s(u, i)) + (1 - y) log(1 - sigmoid(s(u, i))) ],
 * where s(u, i) is the inner product of the two towers. Unexposed items are never seen, which is
 * the sample selection bias the other methods address.
 *
 * Hyper-parameters: none of its own; epochs, batch size, learning rate (Adagrad) and embedding
 * size come from the experiment's training settings.
 */
import type { MethodDescriptor } from '../../contract/api';
import { DssmModel } from '../models/dssm';
import { emitTargetDomainHistogram } from './common';
import { runEpochs } from './loop';
import type { MethodContext, MethodModule, TrainedRetrieval } from './types';
import { catalogueOf } from '../data/dataset';

export const BC_DESCRIPTOR: MethodDescriptor = {
  id: 'bc',
  name: 'BC',
  paper: 'DAMCAR (ACM MM 2024), baseline',
  summary:
    'Binary classification: trains the DSSM retrieval model with binary cross-entropy on exposed ' +
    'training interactions only (label = finish), ignoring unexposed items and hence sample selection bias.',
  equations: ['Eq. 14 on S_exp with y_mpl = y'],
  stage: 'retrieval',
  protocol: 'damcar',
  params: [],
};

/** Validation loss is computed on at most this many validation rows per epoch. */
const VALIDATION_ROWS = 20_000;
const EVAL_BATCH = 4096;

async function trainBc(ctx: MethodContext): Promise<TrainedRetrieval> {
  const { dataset, training } = ctx;
  const cols = dataset.interactions;
  const model = new DssmModel({
    ...catalogueOf(dataset),
    embeddingDim: training.embeddingDim,
    learningRate: training.learningRate,
    rng: ctx.rng.fork(1),
  });
  const batchOf = (rows: Int32Array) => ({
    users: Int32Array.from(rows, (r) => cols.user[r]),
    items: Int32Array.from(rows, (r) => cols.item[r]),
    targets: Float32Array.from(rows, (r) => cols.label[r]),
  });
  const validRows = ctx.split.valid.subarray(0, VALIDATION_ROWS);
  try {
    await runEpochs({
      ctx,
      label: 'BC',
      examples: ctx.split.train,
      epochs: training.epochs,
      batchSize: training.batchSize,
      shuffle: ctx.rng.fork(2),
      lossCurve: 'train/bce',
      step: (rows) => model.trainStep(batchOf(rows)),
      afterEpoch: (): Record<string, number> => {
        if (validRows.length === 0) return {};
        let sum = 0;
        for (let start = 0; start < validRows.length; start += EVAL_BATCH) {
          const rows = validRows.subarray(start, start + EVAL_BATCH);
          sum += model.evaluateBce(batchOf(rows)) * rows.length;
        }
        return { 'valid/bce': sum / validRows.length };
      },
    });
    // DAMCAR Figure 5: BC's predictions on the (default) random-walk target domain.
    emitTargetDomainHistogram(ctx, model);
    return { dim: model.outputDim, userVectors: model.userVectors(), itemVectors: model.itemVectors() };
  } finally {
    model.dispose();
  }
}

export const bcMethod: MethodModule = { descriptor: BC_DESCRIPTOR, train: trainBc };
