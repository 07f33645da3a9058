/**
 * KD (knowledge distillation), baseline (ii) of DAMCAR (ACM MM 2024, section 5.1.3, after
 * RankFlow [48]): "uses the ranking model's predictions as the ground-truth labels for retrieval
 * model training". The DSSM is trained on the exposed training interactions (the data BC uses),
 * with the cascade's ranking model (DeepFM or DCN, spec.ranking.model) as the teacher:
 *   y_kd = (1 - w) * y_rank + w * y,   y_rank = Rank(u, i)  (DAMCAR Eq. 15)
 *   L_kd = -1/|S_exp| sum_{S_exp} [ y_kd log sigmoid(s(u, i)) + (1 - y_kd) log(1 - sigmoid(s(u, i))) ]
 * i.e. Eq. 14's soft-label cross-entropy with the ranking score as the label. The paper's KD is
 * w = 0 (pure distillation, the default); `labelWeight` w > 0 mixes in the true finish label y
 * (BCE is linear in its target, so this equals (1 - w) * BCE(y_rank) + w * BCE(y)).
 *
 * Hyper-parameters: `labelWeight` (default 0, range [0, 1]). Epochs, batch size, learning rate
 * (Adagrad) and embedding size come from the experiment's training settings.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MethodDescriptor } from '../../../contract/api';
import { sigmoidBce } from '../../tf/losses';
import {
  ParamReader,
  createDssm,
  emitTargetDomainHistogram,
  exposedTrainSamples,
  pick,
  rankingScores,
  requireRanking,
  retrievalVectors,
  validationCurve,
} from './method-common';
import { runEpochs } from '../../methods/loop';
import type { MethodContext, MethodModule, TrainedRetrieval } from './methods';

export const KD_DESCRIPTOR: MethodDescriptor = {
  id: 'kd',
  name: 'KD',
  paper: 'DAMCAR (ACM MM 2024), baseline',
  summary:
    "Knowledge distillation: trains the DSSM on exposed training interactions with the ranking model's " +
    'predicted probabilities as (soft) labels, optionally mixed with the true finish label. Needs a ranking model.',
  equations: ['Eq. 14 on S_exp with y_mpl = (1 - w) y_rank + w y', 'Eq. 15'],
  stage: 'retrieval',
  protocol: 'damcar',
  params: [
    {
      kind: 'number',
      key: 'labelWeight',
      label: 'True-label weight w',
      help:
        'Soft label = (1 - w) * ranking score + w * finish label. 0 = pure distillation as in the paper; ' +
        '1 = BC.',
      default: 0,
      min: 0,
      max: 1,
      step: 0.05,
      integer: false,
    },
  ],
};

async function trainKd(ctx: MethodContext): Promise<TrainedRetrieval> {
  const ranking = requireRanking(ctx, 'KD');
  const labelWeight = new ParamReader(KD_DESCRIPTOR, ctx.params).number('labelWeight');
  const exposed = exposedTrainSamples(ctx);
  const rank = await rankingScores(ranking, exposed);
  const targets = Float32Array.from(rank, (p, k) => (1 - labelWeight) * p + labelWeight * exposed.labels[k]);
  const model = createDssm(ctx, ctx.rng.fork(1));
  try {
    await runEpochs({
      ctx,
      label: 'KD',
      examples: Int32Array.from({ length: exposed.users.length }, (_, k) => k),
      epochs: ctx.training.epochs,
      batchSize: ctx.training.batchSize,
      shuffle: ctx.rng.fork(2),
      lossCurve: 'kd/L_kd',
      step: async (rows) => {
        const batchTargets = pick(targets, rows);
        return model.trainStepWith(
          { users: pick(exposed.users, rows), items: pick(exposed.items, rows) },
          (logits) => sigmoidBce(logits, tf.tensor1d(batchTargets)),
        );
      },
      afterEpoch: () => validationCurve(ctx, model),
    });
    await emitTargetDomainHistogram(ctx, model);
    return await retrievalVectors(ctx, model);
  } finally {
    model.dispose();
  }
}

export const kdMethod: MethodModule = {
  descriptor: KD_DESCRIPTOR,
  readsRanking: true,
  train: trainKd,
};
