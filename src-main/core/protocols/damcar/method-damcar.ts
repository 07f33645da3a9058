/**
 * DAMCAR (Chen et al., "Mitigating Sample Selection Bias with Robust Domain Adaption in Multimedia
 * Recommendation", ACM MM 2024), Algorithm 1, on the DSSM retrieval model:
 *
 * 1. Target domain generation (Section 4.1, Eq. 1-3, unexposed.ts + graph/random-walk.ts): random
 *    walks with restart on the bipartite graph of the TRAINING exposures (watch time > 0, weights
 *    = watch time) keep, per user, the unexposed items visited at least as often ('gte', Eq. 3 as
 *    written; 'gt' = strictly more) as the mean visited exposed item: S_sam. "w/o TDG"
 *    (`targetDomain: 'random'`, Section 5.3) draws the same number per user uniformly from the
 *    user's unexposed items instead.
 * 2. Robust pseudo-label generation (Section 4.2, Eq. 4-11, model.ts): a label generator
 *    (encoder E 300-200-100, g 128-100, label head Phi and domain classifier Psi) trained on
 *    S_T = S_exp u S_sam for `training.epochs` epochs with L_ce (Eq. 6), the EMA teacher's
 *    supervision L_sup (Eq. 9-10) and the adversarial L_dom through a gradient reversal layer
 *    (Eq. 7-8), total Eq. 11: L_ce + lambda1 L_sup - lambda2 L_dom. "w/o EMA" (`useEma: false`)
 *    has no teacher and no L_sup. `adversary`: 'unbounded' is Eq. 11 literally, which diverges
 *    under Adagrad on the simulator; 'bounded' (default) lets the encoder push the domain
 *    classifier to chance but not beyond (model.ts); 'ramped' scales the reversed gradient
 *    by DANN's schedule (model-adversary.ts). `targetLabelPath`: the target samples' final pseudo-labels
 *    are Phi(g(z^t)) as the authors' code labels every sample ('through-g', default) or Phi(z^t)
 *    as Eq. 5 writes it ('direct').
 * 3. Modified pseudo-labels (Eq. 12, Algorithm 1 line 9): y_mpl = 1 on exposed positives, the
 *    generator's yhat elsewhere (exposed negatives included). "w/o MPL" (`useMpl: false`) keeps
 *    yhat everywhere.
 * 4. Hybrid training (Section 4.3, Eq. 13-17, Algorithm 1 lines 10-16): a fresh DSSM trained on
 *    S_T for `training.epochs` epochs with L_train = L_mpl + lambda3 L_con, L_mpl the BCE with
 *    y_mpl (Eq. 14), L_con the squared gap to the ranking model's score y_rank (Eq. 15-16).
 *
 * Everything is built from the training split; valid rows only feed the 'valid/bce' curve.
 * Defaults: R = 25, H = 50 (the paper's WeChat setting), alpha = 0.99, and the authors' code's
 * lambda1 = 0.5, lambda2 = 0.2, lambda3 = 0.3; Table 4's grids are the `paperGrid`s.
 * Curves: damcar/L_total, L_ce, L_sup, L_dom (stage one), damcar/L_train, L_mpl, L_con (hybrid).
 * The 'target-domain predictions' histogram (Figure 5) is taken on the random-walk S_sam.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MethodDescriptor } from '../../../contract/api';
import type { RadiusUnit, VisitComparison } from '../../graph/random-walk';
import {
  type PairSamples,
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
  stageContext,
  validationCurve,
} from './method-common';
import { hybridTrainingTerms, modifiedPseudoLabels } from './losses';
import { ADVERSARY_PARAM, type AdversaryMode } from './model-adversary';
import { DamcarLabelGenerator } from './model';
import { runEpochs, throwIfCancelled } from '../../methods/loop';
import type { MethodContext, MethodModule, TrainedRetrieval } from './methods';
import { TARGET_DOMAIN_DEFAULTS, csrToPairs, randomTargetDomainPairs, targetDomain } from './unexposed';
import { catalogueOf } from '../../data/dataset';

const TABLE4_LAMBDA1 = [0.5, 0.6, 0.7, 0.8, 0.9];
const TABLE4_LAMBDA2_3 = [0.1, 0.2, 0.3, 0.4, 0.5];

export const DAMCAR_DESCRIPTOR: MethodDescriptor = {
  id: 'damcar',
  name: 'DAMCAR',
  paper: 'DAMCAR (ACM MM 2024)',
  summary:
    'Target domain of hard unexposed samples by random walks (Eq. 1-3); pseudo-labels from adversarial ' +
    'domain adaptation with a gradient reversal layer and an EMA teacher (Eq. 4-11); modified pseudo-labels ' +
    '(Eq. 12); hybrid DSSM training with ranking distillation (Eq. 13-17). Needs a ranking model.',
  equations: ['Eq. 1-3', 'Eq. 4-8', 'Eq. 9-10', 'Eq. 11', 'Eq. 12', 'Eq. 13-17', 'Algorithm 1'],
  stage: 'retrieval',
  protocol: 'damcar',
  params: [
    {
      kind: 'number',
      key: 'radius',
      label: 'Walk radius R',
      help: 'Hops per random walk before it restarts at the user (paper: 25 on WeChat, 30 on TikTok).',
      default: TARGET_DOMAIN_DEFAULTS.radius,
      min: 1,
      max: 200,
      step: 1,
      integer: true,
    },
    {
      kind: 'number',
      key: 'walks',
      label: 'Walks per user H',
      help: 'Random walks per user (paper: 50 on WeChat, 60 on TikTok).',
      default: TARGET_DOMAIN_DEFAULTS.walksPerUser,
      min: 1,
      max: 1000,
      step: 1,
      integer: true,
    },
    {
      kind: 'choice',
      key: 'comparison',
      label: 'Eq. 3 comparison',
      help: "Keep an unexposed item whose visit count is >= (paper's Eq. 3) or > (authors' code) the mean of the user's visited exposed items.",
      default: TARGET_DOMAIN_DEFAULTS.comparison,
      options: [
        { value: 'gte', label: '>= mean (paper)' },
        { value: 'gt', label: '> mean (authors’ code)' },
      ],
    },
    {
      kind: 'choice',
      key: 'radiusUnit',
      label: 'Radius unit',
      help: 'R counts edge hops (u->i and i->u each count; R = 25 gives 13 item visits per walk) or u->i->u round trips.',
      default: TARGET_DOMAIN_DEFAULTS.radiusUnit,
      options: [
        { value: 'hop', label: 'hops' },
        { value: 'round-trip', label: 'round trips' },
      ],
    },
    {
      kind: 'choice',
      key: 'targetDomain',
      label: 'Target domain',
      help: "'random' is the w/o TDG ablation: as many unexposed items per user as the random walks keep, drawn uniformly.",
      default: 'random-walk',
      options: [
        { value: 'random-walk', label: 'random walk (TDG)' },
        { value: 'random', label: 'uniform random (w/o TDG)' },
      ],
    },
    ADVERSARY_PARAM,
    {
      kind: 'choice',
      key: 'targetLabelPath',
      label: 'Target pseudo-label path',
      help:
        "Final pseudo-labels of target samples: 'through-g' = Phi(g(z^t)), the path the labelled source samples " +
        "train, as the authors' code labels every sample (default); 'direct' = Phi(z^t), Eq. 5 read literally.",
      default: 'through-g',
      options: [
        { value: 'through-g', label: "Phi(g(z^t)) (authors' code)" },
        { value: 'direct', label: 'Phi(z^t) (Eq. 5 literally)' },
      ],
    },
    {
      kind: 'number',
      key: 'alpha',
      label: 'EMA smoothing alpha',
      help: 'Eq. 9: teacher = alpha * teacher + (1 - alpha) * student after every step (paper: 0.99).',
      default: 0.99,
      min: 0,
      max: 1,
      step: 0.001,
      integer: false,
    },
    {
      kind: 'number',
      key: 'lambda1',
      label: 'lambda1 (L_sup)',
      help: 'Eq. 11 weight of the teacher supervision loss L_sup (authors’ code: 0.5; Table 4 grid 0.5-0.9).',
      default: 0.5,
      min: 0,
      max: 2,
      step: 0.1,
      integer: false,
      paperGrid: TABLE4_LAMBDA1,
    },
    {
      kind: 'number',
      key: 'lambda2',
      label: 'lambda2 (L_dom)',
      help: 'Eq. 11 weight of the domain loss L_dom, reversed for the encoder (authors’ code: 0.2; Table 4 grid 0.1-0.5).',
      default: 0.2,
      min: 0,
      max: 2,
      step: 0.1,
      integer: false,
      paperGrid: TABLE4_LAMBDA2_3,
    },
    {
      kind: 'number',
      key: 'lambda3',
      label: 'lambda3 (L_con)',
      help: 'Eq. 17 weight of the ranking-consistency loss L_con (authors’ code: 0.3; Table 4 grid 0.1-0.5).',
      default: 0.3,
      min: 0,
      max: 2,
      step: 0.1,
      integer: false,
      paperGrid: TABLE4_LAMBDA2_3,
    },
    {
      kind: 'boolean',
      key: 'useEma',
      label: 'EMA teacher',
      help: 'Off = the w/o EMA ablation: no teacher, no L_sup.',
      default: true,
    },
    {
      kind: 'boolean',
      key: 'useMpl',
      label: 'Modified pseudo-labels (Eq. 12)',
      help: 'Off = the w/o MPL ablation: the generated pseudo-labels are used for exposed positives too.',
      default: true,
    },
  ],
};

/** What the hybrid stage trains on (Algorithm 1, lines 9-10), one entry per sample of S_T. */
export interface HybridData extends PairSamples {
  /** [n] 1 for S_exp, 0 for S_sam */
  exposed: Uint8Array;
  /** [n] y^s on exposed samples, 0 on target samples */
  labels: Float32Array;
  /** [n] the label generator's yhat */
  pseudoLabels: Float32Array;
  /** [n] the targets of L_mpl: Eq. 12 (or yhat for w/o MPL) */
  mplTargets: Float32Array;
  /** [n] y_rank (Eq. 15) */
  rankScores: Float32Array;
}

/** Observers of DAMCAR's intermediate results (tests and diagnostics). */
export interface DamcarHooks {
  /** S_sam as trained on, and the random-walk domain's per-user sizes. */
  onTargetDomain?(info: { samples: PairSamples; randomWalkCounts: Int32Array; mode: string }): void;
  onStageOne?(info: { hasTeacher: boolean; teacherSteps: number; steps: number }): void;
  onHybridData?(data: HybridData): void;
}

export async function trainDamcar(ctx: MethodContext, hooks: DamcarHooks = {}): Promise<TrainedRetrieval> {
  const ranking = requireRanking(ctx, 'DAMCAR');
  const params = new ParamReader(DAMCAR_DESCRIPTOR, ctx.params);
  const mode = params.choice<'random-walk' | 'random'>('targetDomain');
  const useEma = params.boolean('useEma');
  const useMpl = params.boolean('useMpl');
  const alpha = params.number('alpha');
  const weights = { lambda1: params.number('lambda1'), lambda2: params.number('lambda2') };
  const lambda3 = params.number('lambda3');
  const { training } = ctx;

  // 1. Target domain (Eq. 1-3), or w/o TDG's uniform sample of the same size per user.
  const domain = targetDomain(ctx, {
    radius: params.number('radius'),
    walksPerUser: params.number('walks'),
    comparison: params.choice<VisitComparison>('comparison'),
    radiusUnit: params.choice<RadiusUnit>('radiusUnit'),
  });
  const walkSamples = csrToPairs(domain.offsets, domain.items);
  const targets = mode === 'random' ? randomTargetDomainPairs(ctx, domain) : walkSamples;
  const randomWalkCounts = Int32Array.from(
    { length: ctx.dataset.numUsers },
    (_, u) => domain.offsets[u + 1] - domain.offsets[u],
  );
  hooks.onTargetDomain?.({ samples: targets, randomWalkCounts, mode });
  const source = exposedTrainSamples(ctx);
  const numSource = source.users.length;
  const all = concatPairs(source, targets);
  const n = all.users.length;
  ctx.emit({
    type: 'log',
    level: 'info',
    message:
      `DAMCAR: target domain of ${targets.users.length} unexposed samples (${mode === 'random' ? 'uniform, w/o TDG' : 'random walk'}) ` +
      `for ${numSource} exposed training samples.`,
  });
  throwIfCancelled(ctx.signal);

  // 2. Label generator (Eq. 4-11), the first half of the progress bar.
  const generator = new DamcarLabelGenerator({
    ...catalogueOf(ctx.dataset),
    embeddingDim: training.embeddingDim,
    learningRate: training.learningRate,
    rng: ctx.rng.fork(11),
    emaAlpha: useEma ? alpha : null,
    adversary: params.choice<AdversaryMode>('adversary'),
  });
  const exposedFlag = new Uint8Array(n);
  exposedFlag.fill(1, 0, numSource);
  let pseudoLabels: Float32Array;
  try {
    const stageOne = new TermMeans();
    let steps = 0;
    const totalSteps = training.epochs * Math.ceil(n / training.batchSize);
    await runEpochs({
      ctx: stageContext(ctx, 0, 0.5),
      label: 'DAMCAR label generator',
      examples: range(n),
      epochs: training.epochs,
      batchSize: training.batchSize,
      shuffle: ctx.rng.fork(12),
      lossCurve: 'damcar/L_total',
      step: async (rows) => {
        const sourceRows = rows.filter((r) => r < numSource);
        const targetRows = rows.filter((r) => r >= numSource);
        const values = await generator.trainStep(
          {
            sourceUsers: pick(all.users, sourceRows),
            sourceItems: pick(all.items, sourceRows),
            sourceLabels: pick(source.labels, sourceRows),
            targetUsers: pick(all.users, targetRows),
            targetItems: pick(all.items, targetRows),
          },
          weights,
          steps / totalSteps,
        );
        steps++;
        stageOne.add('damcar/L_ce', values.ce, sourceRows.length);
        if (useEma) stageOne.add('damcar/L_sup', values.sup, targetRows.length);
        stageOne.add('damcar/L_dom', values.dom, rows.length);
        return values.total;
      },
      afterEpoch: () => stageOne.flush(),
    });
    hooks.onStageOne?.({ hasTeacher: generator.hasTeacher, teacherSteps: generator.teacherSteps, steps });
    throwIfCancelled(ctx.signal);
    // Algorithm 1 line 9: pseudo-labels of every sample of S_T.
    const throughG = params.choice<'direct' | 'through-g'>('targetLabelPath') === 'through-g';
    pseudoLabels = await generator.pseudoLabels(
      all.users,
      all.items,
      throughG ? new Uint8Array(n).fill(1) : exposedFlag,
    );
  } finally {
    generator.dispose();
  }

  // 3. Eq. 12 and Eq. 15.
  const labels = new Float32Array(n);
  labels.set(source.labels);
  const mplTargets = useMpl ? modifiedPseudoLabels(pseudoLabels, exposedFlag, labels) : pseudoLabels;
  const rankScores = await rankingScores(ranking, all);
  hooks.onHybridData?.({ ...all, exposed: exposedFlag, labels, pseudoLabels, mplTargets, rankScores });
  let targetMean = 0;
  for (let k = numSource; k < n; k++) targetMean += pseudoLabels[k];
  ctx.emit({
    type: 'log',
    level: 'info',
    message: `DAMCAR: mean pseudo-label on the target domain ${(targetMean / Math.max(1, n - numSource)).toFixed(4)}.`,
  });

  // 4. Hybrid training (Eq. 13-17), the second half.
  const model = createDssm(ctx, ctx.rng.fork(1));
  const hybrid = new TermMeans();
  const stash = new ScalarStash();
  try {
    await runEpochs({
      ctx: stageContext(ctx, 0.5, 0.5),
      label: 'DAMCAR hybrid training',
      examples: range(n),
      epochs: training.epochs,
      batchSize: training.batchSize,
      shuffle: ctx.rng.fork(2),
      lossCurve: 'damcar/L_train',
      step: async (rows) => {
        const mpl = pick(mplTargets, rows);
        const rank = pick(rankScores, rows);
        const loss = await model.trainStepWith(
          { users: pick(all.users, rows), items: pick(all.items, rows) },
          (logits) => {
            const terms = hybridTrainingTerms(logits, tf.tensor1d(mpl), tf.tensor1d(rank), lambda3);
            stash.keep([terms.mpl, terms.con]);
            return terms.total;
          },
        );
        const [lMpl, lCon] = await stash.read();
        hybrid.add('damcar/L_mpl', lMpl, rows.length);
        hybrid.add('damcar/L_con', lCon, rows.length);
        return loss;
      },
      afterEpoch: async () => ({ ...(await validationCurve(ctx, model)), ...hybrid.flush() }),
    });
    await emitTargetDomainHistogram(ctx, model, walkSamples);
    return await retrievalVectors(ctx, model);
  } finally {
    model.dispose();
  }
}

export const damcarMethod: MethodModule = {
  descriptor: DAMCAR_DESCRIPTOR,
  readsRanking: true,
  train: (ctx) => trainDamcar(ctx),
};
