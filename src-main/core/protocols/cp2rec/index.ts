/**
 * CP2Rec (ACM MM 2023) testbed: CTR prediction on a log whose confounders (item popularity, video
 * duration, list position) drive both exposure and the observed label, with the confounders'
 * expert proxy features observable (data.ts). Methods (methods.ts): Base, IPS, Proxy-as-feature,
 * PAL and CP2Rec with its switches. Evaluation: AUC / NDCG@K / Recall@K on the biased test
 * (held-out log) and, on simulated data, on an unbiased test (randomised exposure from the ground
 * truth), plus the popularity bias of the top-K lists (metrics.ts).
 *
 * Why a ranking (CTR) model and not retrieval: the paper is about CTR prediction (its title), the
 * confounders act on the click/finish label of an exposure (position exists only for an exposure in
 * a list), and the debiasing is measured by how a scored candidate list is ordered.
 */
import type { ExperimentSpec, MetricColumn } from '../../../contract/api';
import { throwIfCancelled, runEpochs } from '../../methods/loop';
import { ParamReader } from '../../methods/param-spec';
import type { ProtocolJobContext, ProtocolModule } from '../types';
import {
  type Cp2recData,
  type Cp2recRows,
  type UnbiasedLabels,
  confoundedDataFromLog,
  forkFor,
  simulateConfoundedLog,
} from './data';
import { inversePropensityWeights } from './losses';
import { CP2REC_METHODS, CP2REC_METHOD_IDS, type MethodConfig, methodConfig } from './methods';
import { groupByUser, headItems, listAccuracy, popularityBias, popularityPercentile } from './metrics';
import { rocAuc } from '../../metrics/auc';
import { DebiasCtrModel } from './model';
import { catalogueOf } from '../../data/dataset';

export const BIASED_GROUP = 'Biased test (held-out log)';
export const UNBIASED_GROUP = 'Unbiased test (randomised exposure)';
export const BIAS_GROUP_UNBIASED = 'Popularity bias of top-K (unbiased-test lists)';
export const BIAS_GROUP_BIASED = 'Popularity bias of top-K (biased-test lists)';

const DEFAULT_K = [10];

/** The testbed's settings of a job, read as declared (the descriptor below). */
function settings(ctx: ProtocolJobContext): ParamReader {
  return new ParamReader(cp2recProtocol.descriptor, ctx.protocolParams);
}

function ksOf(spec: Pick<ExperimentSpec, 'evaluation'>): number[] {
  const ks = spec.evaluation?.retrievalK;
  return ks && ks.length > 0 ? ks : DEFAULT_K;
}

function columns(spec: ExperimentSpec, hasGroundTruth: boolean): MetricColumn[] {
  const ks = ksOf(spec);
  const out: MetricColumn[] = [];
  const push = (key: string, group: string, higherIsBetter = true) =>
    out.push({ key, group, higherIsBetter });
  push('B-AUC', BIASED_GROUP);
  for (const k of ks) push(`B-NDCG@${k}`, BIASED_GROUP);
  for (const k of ks) push(`B-Recall@${k}`, BIASED_GROUP);
  if (hasGroundTruth) {
    push('U-AUC', UNBIASED_GROUP);
    for (const k of ks) push(`U-NDCG@${k}`, UNBIASED_GROUP);
    for (const k of ks) push(`U-Recall@${k}`, UNBIASED_GROUP);
  }
  const biasGroup = hasGroundTruth ? BIAS_GROUP_UNBIASED : BIAS_GROUP_BIASED;
  for (const k of ks) push(`PopPct@${k}`, biasGroup, false);
  for (const k of ks) push(`Head@${k}`, biasGroup, false);
  return out;
}

function caption(spec: ExperimentSpec): string {
  const ks = ksOf(spec).join(', ');
  const labels =
    spec.protocolParams?.unbiasedLabels === 'behaviour' ? 'logged behaviour' : 'de-confounded interest';
  return (
    `AUC, NDCG@K and Recall@K (K = ${ks}) per user on the biased test (last 20% of each user's log) and, on ` +
    `simulated data, on the unbiased test (randomly exposed items, ${labels} labels); popularity bias ` +
    `(PopPct, Head share) of each user's top-K, lower = less popularity amplification`
  );
}

function buildData(ctx: ProtocolJobContext): Cp2recData {
  const source = ctx.request.dataset;
  if (source.kind === 'simulated') {
    const read = settings(ctx);
    return simulateConfoundedLog(source.params, {
      confounding: read.number('confounding'),
      unbiasedLabels: read.choice<UnbiasedLabels>('unbiasedLabels'),
      unbiasedItemsPerUser: read.number('unbiasedItemsPerUser'),
    });
  }
  return confoundedDataFromLog(ctx.materializeDataset());
}

function countPositives(rows: Cp2recRows): number {
  let s = 0;
  for (const y of rows.label) s += y;
  return s;
}

interface Trained {
  model: DebiasCtrModel;
  config: MethodConfig;
}

async function train(ctx: ProtocolJobContext, data: Cp2recData, config: MethodConfig): Promise<Trained> {
  const { training } = ctx.request.spec;
  const methodId = ctx.request.method.id;
  const rows = data.train;
  const n = rows.user.length;
  if (config.auxLoss === 'random' && config.tradeoff > 0 && data.randomisedRows === 0) {
    throw new Error(
      `methods[].params.auxLoss: "random" needs randomised-exposure training rows, but ${data.name} has none ` +
        '(stored logs, or a simulator with exposureBias = 1); use "ips"',
    );
  }
  const ones = new Float32Array(n).fill(1);
  const ips =
    config.ipsOnBiasedLoss || config.auxLoss === 'ips'
      ? inversePropensityWeights(rows.item, data.itemTrainCount, config.propensityPower, config.maxWeight)
      : ones;
  const randomMask = Float32Array.from(rows.randomised);
  const biasedWeights = config.ipsOnBiasedLoss ? ips : ones;
  const auxWeights = config.auxLoss === 'random' ? randomMask : ips;
  const lossWeights =
    config.auxLoss === 'none'
      ? { biased: 1, auxiliary: 0, orthogonality: config.orthWeight }
      : { biased: 1 - config.tradeoff, auxiliary: config.tradeoff, orthogonality: config.orthWeight };
  const model = new DebiasCtrModel({
    ...catalogueOf(data),
    embeddingDim: training.embeddingDim,
    hiddenUnits: config.hiddenUnits,
    representationDim: config.representationDim,
    learningRate: training.learningRate,
    rng: forkFor(ctx.rng, 'init'),
    proxiesAsFeatures: config.proxiesAsFeatures,
    biasBranch: config.biasBranch,
  });
  const termNames = ['biased', 'auxiliary', 'orthogonality'] as const;
  const termSums = [0, 0, 0];
  let termRows = 0;
  const pick = (column: Float32Array, batch: Int32Array) => Float32Array.from(batch, (r) => column[r]);
  try {
    await runEpochs({
      ctx,
      label: config.label,
      examples: Int32Array.from({ length: n }, (_, r) => r),
      epochs: training.epochs,
      batchSize: training.batchSize,
      shuffle: forkFor(ctx.rng, 'shuffle'),
      lossCurve: `${methodId}/total`,
      step: async (batch) => {
        const proxies = new Float32Array(batch.length * 3);
        batch.forEach((r, b) => proxies.set(rows.proxies.subarray(r * 3, r * 3 + 3), b * 3));
        const result = await model.trainStep(
          {
            users: Int32Array.from(batch, (r) => rows.user[r]),
            items: Int32Array.from(batch, (r) => rows.item[r]),
            proxies,
            labels: pick(rows.label, batch),
            biasedRowWeights: pick(biasedWeights, batch),
            auxiliaryRowWeights: pick(auxWeights, batch),
          },
          lossWeights,
        );
        for (let t = 0; t < 3; t++) termSums[t] += result.terms[t] * batch.length;
        termRows += batch.length;
        return result.total;
      },
      afterEpoch: () => {
        const out: Record<string, number> = {};
        termNames.forEach((name, t) => {
          out[`${methodId}/${name}`] = termSums[t] / Math.max(1, termRows);
          termSums[t] = 0;
        });
        termRows = 0;
        return out;
      },
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, config };
}

async function evaluate(
  ctx: ProtocolJobContext,
  data: Cp2recData,
  { model, config }: Trained,
): Promise<Record<string, number>> {
  const ks = ksOf(ctx.request.spec);
  const headShare = settings(ctx).number('headShare');
  const percentile = popularityPercentile(data.itemTrainCount);
  const head = headItems(data.itemTrainCount, headShare);
  const metrics: Record<string, number> = {};
  const scoreRows = (rows: Cp2recRows) =>
    model.score({ users: rows.user, items: rows.item, proxies: rows.proxies }, config.serveWithBias);

  const biasedScores = await scoreRows(data.biasedTest);
  const biasedGroups = groupByUser(data.biasedTest.user, data.numUsers);
  metrics['B-AUC'] = rocAuc(biasedScores, data.biasedTest.label);
  for (const k of ks) {
    const acc = listAccuracy(biasedGroups, biasedScores, data.biasedTest.label, k);
    metrics[`B-NDCG@${k}`] = acc.ndcg;
    metrics[`B-Recall@${k}`] = acc.recall;
  }
  throwIfCancelled(ctx.signal);
  let biasRows = data.biasedTest;
  let biasScores = biasedScores;
  let biasGroups = biasedGroups;
  if (data.unbiasedTest) {
    const unbiased = data.unbiasedTest;
    const scores = await scoreRows(unbiased);
    const groups = groupByUser(unbiased.user, data.numUsers);
    metrics['U-AUC'] = rocAuc(scores, unbiased.label);
    for (const k of ks) {
      const acc = listAccuracy(groups, scores, unbiased.label, k);
      metrics[`U-NDCG@${k}`] = acc.ndcg;
      metrics[`U-Recall@${k}`] = acc.recall;
    }
    if (data.unbiasedTestLogit) {
      ctx.emit({
        type: 'log',
        level: 'info',
        message:
          `unbiased test: AUC of the ground-truth logit the labels were drawn from (the ceiling) ` +
          `${rocAuc(data.unbiasedTestLogit, unbiased.label).toFixed(4)}; this model ${metrics['U-AUC'].toFixed(4)}`,
      });
    }
    biasRows = unbiased;
    biasScores = scores;
    biasGroups = groups;
  }
  for (const k of ks) {
    const bias = popularityBias(biasGroups, biasRows.item, biasScores, k, percentile, head);
    metrics[`PopPct@${k}`] = bias.popPercentile;
    metrics[`Head@${k}`] = bias.headShare;
  }
  return metrics;
}

async function runJob(ctx: ProtocolJobContext): Promise<Record<string, number>> {
  const config = methodConfig(ctx.request.method.id, ctx.params);
  const data = await ctx.timed('data', () => buildData(ctx));
  const positives = countPositives(data.train) + countPositives(data.biasedTest);
  const interactions = data.train.user.length + data.biasedTest.user.length;
  ctx.emit({
    type: 'dataset',
    name: data.name,
    users: data.numUsers,
    items: data.numItems,
    interactions,
    positives,
    hasGroundTruth: data.unbiasedTest !== null,
  });
  ctx.emit({
    type: 'log',
    level: 'info',
    message:
      `${data.name}: ${data.train.user.length} training rows (${data.randomisedRows} randomised), ` +
      `${data.biasedTest.user.length} biased-test rows, ` +
      (data.unbiasedTest
        ? `${data.unbiasedTest.user.length} unbiased-test rows; click rate log ${(positives / interactions).toFixed(3)}, ` +
          `unbiased ${(countPositives(data.unbiasedTest) / data.unbiasedTest.user.length).toFixed(3)}`
        : 'no unbiased test (stored log: biased test only)') +
      (data.hasPosition ? '' : '; no position recorded, position proxy = 0'),
  });
  throwIfCancelled(ctx.signal);
  const trained = await ctx.timed('train', () => train(ctx, data, config));
  try {
    return await ctx.timed('eval', () => evaluate(ctx, data, trained));
  } finally {
    trained.model.dispose();
  }
}

export const cp2recProtocol: ProtocolModule = {
  descriptor: {
    id: 'cp2rec',
    name: 'CP2Rec confounding-proxy debiasing',
    paper: 'CP2Rec (ACM MM 2023)',
    summary:
      'CTR prediction on a log whose confounders (item popularity, video duration, list position) drive both ' +
      'exposure and label, with their expert proxy features observable. Methods are trained on the log and ' +
      'evaluated on a held-out biased test and, on simulated data, an unbiased randomised-exposure test from the ' +
      'ground truth, with the popularity bias of their top-K lists. Stored logs: proxies from the log, biased test only.',
    params: [
      {
        kind: 'number',
        key: 'confounding',
        label: 'Confounding strength gamma',
        help: "Scales the confounders' effects on exposure and on the logged label (0 = none). Simulated data.",
        default: 1,
        min: 0,
        max: 3,
        step: 0.1,
        integer: false,
      },
      {
        kind: 'choice',
        key: 'unbiasedLabels',
        label: 'Unbiased-test labels',
        help:
          'interest: de-confounded labels (conformity, duration and position effects removed); behaviour: the ' +
          'logged behaviour under randomised exposure and position. Simulated data.',
        default: 'interest',
        options: [
          { value: 'interest', label: 'De-confounded interest' },
          { value: 'behaviour', label: 'Logged behaviour, randomised exposure' },
        ],
      },
      {
        kind: 'number',
        key: 'unbiasedItemsPerUser',
        label: 'Unbiased-test items per user',
        help: 'Randomly drawn never-exposed items per user in the unbiased test.',
        default: 50,
        min: 5,
        max: 1000,
        step: 1,
        integer: true,
      },
      {
        kind: 'number',
        key: 'headShare',
        label: 'Head share',
        help: 'Share of items (most exposed in training) that count as the head for Head@K.',
        default: 0.2,
        min: 0.01,
        max: 0.5,
        step: 0.01,
        integer: false,
      },
    ],
    methods: CP2REC_METHOD_IDS,
    // The settings of experiments/cp2rec-*.json.
    training: { epochs: 3, batchSize: 256, learningRate: 0.05, embeddingDim: 16 },
    evaluationSettings: ['retrievalK'],
  },
  methods: CP2REC_METHODS,
  columns,
  caption,
  runJob,
};
