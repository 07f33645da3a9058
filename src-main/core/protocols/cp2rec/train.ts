/**
 * One CP2Rec job: the confounded log (data.ts), the method's training (methods.ts, model.ts,
 * losses.ts) and its evaluation on the biased and unbiased tests (metrics.ts).
 */
import type { ParamValues } from '../../../contract/api';
import { throwIfCancelled, runEpochs } from '../../methods/loop';
import type { ProtocolJobContext } from '../types';
import {
  type Cp2recData,
  type Cp2recRows,
  type UnbiasedLabels,
  confoundedDataFromLog,
  PROXY_NAMES,
  forkFor,
  simulateConfoundedLog,
} from './data';
import { inversePropensityWeights } from './losses';
import { type MethodConfig, methodConfig } from './methods';
import { groupByUser, headItems, ksOf, listAccuracy, popularityBias, popularityPercentile } from './metrics';
import { rocAuc } from '../../metrics/auc';
import { DebiasCtrModel } from './model';
import { catalogueOf } from '../../data/dataset';

function numberOf(values: ParamValues, key: string, fallback: number): number {
  const v = values[key];
  return typeof v === 'number' ? v : fallback;
}

function buildData(ctx: ProtocolJobContext): Cp2recData {
  const source = ctx.request.dataset;
  if (source.kind === 'simulated') {
    const labels = ctx.protocolParams.unbiasedLabels;
    return simulateConfoundedLog(source.params, {
      confounding: numberOf(ctx.protocolParams, 'confounding', 1),
      unbiasedLabels: (labels === 'behaviour' ? 'behaviour' : 'interest') satisfies UnbiasedLabels,
      unbiasedItemsPerUser: numberOf(ctx.protocolParams, 'unbiasedItemsPerUser', 50),
      proxyNoise: numberOf(ctx.protocolParams, 'proxyNoise', 0),
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
  const headShare = numberOf(ctx.protocolParams, 'headShare', 0.2);
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

export async function runCp2recJob(ctx: ProtocolJobContext): Promise<Record<string, number>> {
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
      (data.hasPosition ? '' : '; no position recorded, position proxy = 0') +
      (data.proxyConfounderCorrelation
        ? '; correlation of each proxy with its confounder over the training rows: ' +
          PROXY_NAMES.map((name, k) => `${name} ${data.proxyConfounderCorrelation?.[k].toFixed(3)}`).join(
            ', ',
          )
        : ''),
  });
  throwIfCancelled(ctx.signal);
  const trained = await ctx.timed('train', () => train(ctx, data, config));
  try {
    return await ctx.timed('eval', () => evaluate(ctx, data, trained));
  } finally {
    trained.model.dispose();
  }
}
