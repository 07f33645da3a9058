/**
 * BC (binary classification), the base method of DAMCAR's comparison (DAMCAR, ACM MM 2024,
 * section 5.1.3, baseline (i)): the DSSM retrieval model trained with binary cross-entropy on the
 * exposed training interactions only, label = finish (y). It is Eq. 14's loss restricted to
 * S_exp with the true labels:
 *   L = -1/|S_exp| sum_{S_exp} [ y log sigmoid(s(u, i)) + (1 - y) log(1 - sigmoid(s(u, i))) ],
 * where s(u, i) is the retrieval model's training score (models/dssm.ts; the testbed's settings
 * choose the inner product or the authors' gamma-scaled cosine plus bias). Unexposed items are
 * never seen, which is the sample selection bias the other methods address.
 *
 * Hyper-parameters: none of its own; epochs, batch size, learning rate (Adagrad) and embedding
 * size come from the experiment's training settings, the retrieval model from the testbed's.
 */
import type { MethodDescriptor } from '../../../contract/api';
import { createDssm, emitTargetDomainHistogram, retrievalVectors, validationCurve } from './method-common';
import { runEpochs } from '../../methods/loop';
import type { MethodContext, MethodModule, TrainedRetrieval } from './methods';

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

async function trainBc(ctx: MethodContext): Promise<TrainedRetrieval> {
  const cols = ctx.dataset.interactions;
  const model = createDssm(ctx, ctx.rng.fork(1));
  try {
    await runEpochs({
      ctx,
      label: 'BC',
      examples: ctx.split.train,
      epochs: ctx.training.epochs,
      batchSize: ctx.training.batchSize,
      shuffle: ctx.rng.fork(2),
      lossCurve: 'train/bce',
      step: (rows) =>
        model.trainStep({
          users: Int32Array.from(rows, (r) => cols.user[r]),
          items: Int32Array.from(rows, (r) => cols.item[r]),
          targets: Float32Array.from(rows, (r) => cols.label[r]),
        }),
      afterEpoch: () => validationCurve(ctx, model),
    });
    // DAMCAR Figure 5: BC's predictions on the (default) random-walk target domain.
    await emitTargetDomainHistogram(ctx, model);
    return await retrievalVectors(ctx, model);
  } finally {
    model.dispose();
  }
}

export const bcMethod: MethodModule = {
  descriptor: BC_DESCRIPTOR,
  readsRanking: false,
  train: trainBc,
};
