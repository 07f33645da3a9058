/**
 * AR (adversarial regularisation), baseline (iv) of DAMCAR (ACM MM 2024, section 5.1.3, after
 * Goodfellow et al. [21]): "trains a domain classifier from the intermediate output of the
 * retrieval model and uses loss's negative as regularization".
 *
 * Reading. The DSSM's intermediate output is the pair of tower outputs (u_vec, i_vec), the last
 * representation before the inner-product score. A domain classifier D, one dense layer with a
 * sigmoid (the form DAMCAR gives its own domain classifier, section 5.1.5), reads their
 * concatenation and predicts exposed (source, 1) versus unexposed (target, 0); its loss is DAMCAR's
 * Eq. 8 form. Data: S_exp, the exposed training interactions with finish labels, and S_unexp, the
 * unexposed pool of unexposed.ts (per user `unexposedRatio` times as many uniformly drawn items not
 * exposed in training as exposed training items), shuffled together into batches.
 *   L_bce = -mean_{S_exp} [ y log sigmoid(s) + (1 - y) log(1 - sigmoid(s)) ]      (unexposed: no label)
 *   L_dom = -mean_{S_exp} log D([u_vec; i_vec]) - mean_{S_unexp} log(1 - D([u_vec; i_vec]))
 *   towers minimise  L_bce - lambda * L_dom,   D minimises L_dom
 * Both in one pass: gradient reversal between the towers' output and D, and the minimised
 * objective L_bce + lambda * L_dom. As in DAMCAR (model-adversary.ts), 'unbounded' is the plain reversal
 * (the towers maximise L_dom without limit; on the simulator this diverges: L_bce ~ 8 in epoch 1),
 * 'bounded' (default) lets the towers push D only to chance on each sample.
 *
 * Hyper-parameters: `adversarialWeight` lambda (default 0.2, the value DAMCAR's authors use for
 * the same term, lambda2), `adversary` (default 'bounded'), `unexposedRatio` (default 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MethodDescriptor } from '../../../contract/api';
import { DenseAdagrad, Mlp } from '../../tf/dense';
import {
  ParamReader,
  ScalarStash,
  TermMeans,
  concatPairs,
  createDssm,
  emitTargetDomainHistogram,
  exposedTrainSamples,
  pick,
  range,
  retrievalVectors,
  validationCurve,
} from './method-common';
import { ADVERSARY_PARAM, type AdversaryMode, adversarialDomainLoss } from './model-adversary';
import { meanBceWithLogits } from './losses';
import { runEpochs } from '../../methods/loop';
import type { MethodContext, MethodModule, TrainedRetrieval } from './methods';
import { UNEXPOSED_RATIO_PARAM, unexposedPool } from './unexposed';

export const AR_DESCRIPTOR: MethodDescriptor = {
  id: 'ar',
  name: 'AR',
  paper: 'DAMCAR (ACM MM 2024), baseline',
  summary:
    "Adversarial regularisation: a domain classifier on the DSSM towers' output tells exposed from unexposed " +
    'samples; through a gradient reversal layer the towers are trained on the BCE of exposed data minus the ' +
    "classifier's loss.",
  equations: ['Eq. 14 on S_exp with y_mpl = y', 'Eq. 8 form on (S_exp, S_unexp)', 'GRL'],
  stage: 'retrieval',
  protocol: 'damcar',
  params: [
    {
      kind: 'number',
      key: 'adversarialWeight',
      label: 'Adversarial weight lambda',
      help: "Weight of the domain classifier's loss, subtracted from the towers' objective.",
      default: 0.2,
      min: 0,
      max: 2,
      step: 0.05,
      integer: false,
    },
    ADVERSARY_PARAM,
    UNEXPOSED_RATIO_PARAM,
  ],
};

async function trainAr(ctx: MethodContext): Promise<TrainedRetrieval> {
  const params = new ParamReader(AR_DESCRIPTOR, ctx.params);
  const lambda = params.number('adversarialWeight');
  const adversary = params.choice<AdversaryMode>('adversary');
  const exposed = exposedTrainSamples(ctx);
  const pool = unexposedPool(ctx, params.number('unexposedRatio'));
  const all = concatPairs(exposed, pool);
  const numExposed = exposed.users.length;
  const model = createDssm(ctx, ctx.rng.fork(1));
  const classifier = new Mlp(2 * model.outputDim, [1], ctx.rng.fork(3));
  const classifierOptimizer = new DenseAdagrad(classifier.variables(), {
    learningRate: ctx.training.learningRate,
  });
  const terms = new TermMeans();
  const stash = new ScalarStash();
  const totalSteps = ctx.training.epochs * Math.ceil(all.users.length / ctx.training.batchSize);
  let steps = 0;
  try {
    await runEpochs({
      ctx,
      label: 'AR',
      examples: range(all.users.length),
      epochs: ctx.training.epochs,
      batchSize: ctx.training.batchSize,
      shuffle: ctx.rng.fork(2),
      lossCurve: 'ar/L_total',
      step: async (batch) => {
        // Exposed rows first, so each domain is one slice.
        const rows = Int32Array.from([
          ...batch.filter((r) => r < numExposed),
          ...batch.filter((r) => r >= numExposed),
        ]);
        const numSource = batch.filter((r) => r < numExposed).length;
        const labels = Float32Array.from(rows.subarray(0, numSource), (r) => exposed.labels[r]);
        await model.trainStepOnTowers(
          { users: pick(all.users, rows), items: pick(all.items, rows) },
          (userVec, itemVec, logits) => {
            const features = tf.concat([userVec, itemVec], 1);
            const size = rows.length;
            const bce = meanBceWithLogits(tf.slice(logits, 0, numSource), tf.tensor1d(labels));
            const dom = adversarialDomainLoss(
              classifier,
              numSource > 0 ? tf.slice(features, [0, 0], [numSource, -1]) : null,
              size > numSource ? tf.slice(features, [numSource, 0], [size - numSource, -1]) : null,
              adversary,
              steps / totalSteps,
            );
            stash.keep([bce, dom]);
            return tf.add(bce, tf.mul(dom, lambda));
          },
          {
            extraVariables: classifier.variables(),
            applyExtraGradients: (grads) => classifierOptimizer.apply(grads),
          },
        );
        steps++;
        const [bce, dom] = await stash.read();
        terms.add('ar/L_bce', bce, numSource);
        terms.add('ar/L_dom', dom, rows.length);
        return bce - lambda * dom;
      },
      afterEpoch: async () => ({ ...(await validationCurve(ctx, model)), ...terms.flush() }),
    });
    await emitTargetDomainHistogram(ctx, model);
    return await retrievalVectors(ctx, model);
  } finally {
    model.dispose();
    classifier.dispose();
    classifierOptimizer.dispose();
  }
}

export const arMethod: MethodModule = {
  descriptor: AR_DESCRIPTOR,
  readsRanking: false,
  train: trainAr,
};
