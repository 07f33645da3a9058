/**
 * MUDA (modified unsupervised domain adaptation), baseline (v) of DAMCAR (ACM MM 2024, section
 * 5.1.3, after Wang et al., "An Empirical Study of Selection Bias in Pinterest Ads Retrieval",
 * KDD 2023 [56]): "uses unexposed data with the pseudo-labels derived by transforming the ranking
 * model's predictions into binary classes for retrieval model training".
 *
 * Data: S_exp, the exposed training interactions with their finish labels y, and S_unexp, the
 * unexposed pool of unexposed.ts (per user, `unexposedRatio` times as many uniformly drawn items
 * not exposed to the user in training as the user has exposed training items). Pseudo-labels:
 *   y_pl = 1 if Rank(u, i) >= threshold else 0      (Rank = DAMCAR Eq. 15)
 * Loss: binary cross-entropy over the union, shuffled together (Eq. 14 with y_mpl = y on S_exp
 * and y_pl on S_unexp):
 *   L = -1/|S_exp u S_unexp| sum [ t log sigmoid(s(u, i)) + (1 - t) log(1 - sigmoid(s(u, i))) ]
 * Curves: 'muda/L_bce' (L), and its parts on the exposed and the unexposed samples.
 *
 * Hyper-parameters: `threshold` (default 0.5), `unexposedRatio` (default 1). The paper gives
 * neither; 0.5 is the usual cut of a calibrated probability.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MethodDescriptor } from '../../../contract/api';
import {
  ParamReader,
  ScalarStash,
  TermMeans,
  concatPairs,
  createDssm,
  emitTargetDomainHistogram,
  exposedTrainSamples,
  pick,
  rankingScores,
  range,
  requireRanking,
  retrievalVectors,
  validationCurve,
} from './method-common';
import { runEpochs } from '../../methods/loop';
import type { MethodContext, MethodModule, TrainedRetrieval } from './methods';
import { UNEXPOSED_RATIO_PARAM, unexposedPool } from './unexposed';

export const MUDA_DESCRIPTOR: MethodDescriptor = {
  id: 'muda',
  name: 'MUDA',
  paper: 'DAMCAR (ACM MM 2024), baseline (Wang et al., KDD 2023)',
  summary:
    'Modified unsupervised domain adaptation: unexposed samples get binary pseudo-labels from the ranking ' +
    "model's predictions (score >= threshold) and the DSSM trains on them together with the labelled exposed " +
    'data. Needs a ranking model.',
  equations: ['Eq. 14 on S_exp u S_unexp with binarised Eq. 15 labels on S_unexp'],
  stage: 'retrieval',
  protocol: 'damcar',
  params: [
    {
      kind: 'number',
      key: 'threshold',
      label: 'Pseudo-label threshold',
      help: 'An unexposed sample is labelled 1 when the ranking model predicts at least this probability, else 0.',
      default: 0.5,
      min: 0.01,
      max: 0.99,
      step: 0.01,
      integer: false,
    },
    UNEXPOSED_RATIO_PARAM,
  ],
};

async function trainMuda(ctx: MethodContext): Promise<TrainedRetrieval> {
  const ranking = requireRanking(ctx, 'MUDA');
  const params = new ParamReader(MUDA_DESCRIPTOR, ctx.params);
  const threshold = params.number('threshold');
  const exposed = exposedTrainSamples(ctx);
  const pool = unexposedPool(ctx, params.number('unexposedRatio'));
  const poolScores = await rankingScores(ranking, pool);
  const pseudo = Float32Array.from(poolScores, (p) => (p >= threshold ? 1 : 0));
  let positives = 0;
  for (const t of pseudo) positives += t;
  ctx.emit({
    type: 'log',
    level: 'info',
    message: `MUDA: ${exposed.users.length} exposed and ${pool.users.length} unexposed samples; ${positives} unexposed pseudo-positives (threshold ${threshold}).`,
  });
  const all = concatPairs(exposed, pool);
  const targets = new Float32Array(all.users.length);
  targets.set(exposed.labels);
  targets.set(pseudo, exposed.users.length);
  const numExposed = exposed.users.length;
  const model = createDssm(ctx, ctx.rng.fork(1));
  const terms = new TermMeans();
  const stash = new ScalarStash();
  try {
    await runEpochs({
      ctx,
      label: 'MUDA',
      examples: range(all.users.length),
      epochs: ctx.training.epochs,
      batchSize: ctx.training.batchSize,
      shuffle: ctx.rng.fork(2),
      lossCurve: 'muda/L_bce',
      step: async (rows) => {
        const batchTargets = pick(targets, rows);
        const exposedMask = Float32Array.from(rows, (r) => (r < numExposed ? 1 : 0));
        let exposedRows = 0;
        for (const m of exposedMask) exposedRows += m;
        const loss = await model.trainStepWith(
          { users: pick(all.users, rows), items: pick(all.items, rows) },
          (logits) => {
            // Per-sample BCE softplus(x) - x t; its sums over the two parts feed the curves.
            const perSample = tf.sub(tf.softplus(logits), tf.mul(logits, tf.tensor1d(batchTargets)));
            const mask = tf.tensor1d(exposedMask);
            stash.keep([tf.sum(tf.mul(perSample, mask)), tf.sum(tf.mul(perSample, tf.sub(1, mask)))]);
            return tf.mean(perSample);
          },
        );
        const [exposedSum, unexposedSum] = await stash.read();
        terms.add('muda/L_exposed', exposedSum / Math.max(1, exposedRows), exposedRows);
        terms.add(
          'muda/L_unexposed',
          unexposedSum / Math.max(1, rows.length - exposedRows),
          rows.length - exposedRows,
        );
        return loss;
      },
      afterEpoch: async () => ({ ...(await validationCurve(ctx, model)), ...terms.flush() }),
    });
    await emitTargetDomainHistogram(ctx, model);
    return await retrievalVectors(ctx, model);
  } finally {
    model.dispose();
  }
}

export const mudaMethod: MethodModule = {
  descriptor: MUDA_DESCRIPTOR,
  readsRanking: true,
  train: trainMuda,
};
