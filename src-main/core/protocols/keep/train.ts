/**
 * One KEEP job (KEEP, CIKM 2022): build the domains (data.ts), train the method, score the
 * sub-domain's test window and report Table 2's columns.
 *
 * - keep-base: the downstream model on the sub-domain training window.
 * - keep-sample-merging: the same model on that window plus the super-domain's click samples.
 * - keep-c: pre-training (Eq. 1-3) on the concurrent super-domain window, knowledge (Eq. 4 / 6),
 *   downstream model with the plug-in (Eq. 5). Reading of the paper's "KEEP-C keeps the knowledge
 *   extraction and plugging process unchanged except the pre-training and plugging are co-trained
 *   with the same data": the two stages stay separate, but pre-training sees only the cross-domain
 *   setting's data (the super-domain window that coincides with the sub-domain's training days).
 * - keep: the same with pre-training on the earlier super-domain window (its `pretrainShare`).
 * In both, the extractor is frozen after pre-training and K(u, i) is an input of the downstream
 * model; the paper's "fine-tuned with two-day sub-domain data" is read as training the plug-in
 * and the downstream model on the sub-domain (knowledge as input, not as initialisation).
 * With every knowledge part switched off, KEEP is Base (Table 3's first row): same random stream.
 *
 * Every job also trains Base on the same seed (the same random streams as the keep-base job) to
 * report Improv. = GAUC - GAUC(Base), the paper's second column, as a paired difference.
 * Epochs: the paper makes one pass over data ordered by day; the simulated domains are small, so
 * both stages run `training.epochs` shuffled passes.
 */
import type { TrainingSpec } from '../../../contract/api';
import type { JobEvent } from '../../experiments/job';
import { runEpochs, throwIfCancelled } from '../../methods/loop';
import { type EarlyStoppingResult, type StoppingRule, trainWithEarlyStopping } from './early-stopping';
import { ParamReader } from '../../methods/param-spec';
import { KEEP_METHODS } from './methods';
import { KEEP_SETTINGS } from './settings';
import type { Rng } from '../../random';
import { hashUniform } from '../../random';
import type { ProtocolJobContext } from '../types';
import {
  type BehaviourLog,
  type ClickLog,
  type KeepData,
  TASKS,
  type Task,
  describeKeepData,
  keepDataFromLog,
  keepDataParams,
  simulateKeepData,
} from './data';
import { DownstreamModel, type PlugInInit } from './model-downstream';
import { type ExtractorArchitecture, KnowledgeExtractor, PretrainSampler } from './model-extractor';
import { range } from './features';
import { gauc, groundTruthGauc } from './metrics';
import { rocAuc } from '../../metrics/auc';
import {
  CachedKnowledge,
  type Extractors,
  type KnowledgeForm,
  type KnowledgeParts,
  type KnowledgeSource,
  extractorsFor,
  servingKnowledge,
} from './knowledge';
import { catalogueOf } from '../../data/dataset';

/** User-id embedding width relative to the other embeddings (paper: 48 vs 16). */
export const USER_EMBEDDING_FACTOR = 3;
/** Seed of the pretrainShare subset (fixed, so every seed of an experiment sees the same subset). */
const SUBSET_SEED = 0x5eed;
/** Number of user-activity groups of Table 7 (quartiles of super-domain clicks). */
export const ACTIVITY_GROUPS = 4;

/** Builds the job's domains from the request's dataset and the protocol's parameters. */
export function buildKeepData(ctx: ProtocolJobContext): KeepData {
  const params = keepDataParams(ctx.protocolParams);
  const source = ctx.request.dataset;
  const world = ctx.materializeDataset();
  if (source.kind === 'simulated') return simulateKeepData(world, source.params, params);
  return keepDataFromLog(world, params);
}

/** A context whose progress fractions land in [start, start + share) of the training phase. */
function stageContext(
  ctx: ProtocolJobContext,
  start: number,
  share: number,
): Pick<ProtocolJobContext, 'emit' | 'signal'> {
  return {
    signal: ctx.signal,
    emit: (event: JobEvent) => {
      if (event.type === 'progress') ctx.emit({ ...event, fraction: start + share * event.fraction });
      else ctx.emit(event);
    },
  };
}

/** Concatenates click logs (super-domain logs contribute their clicks). */
function mergeLogs(logs: ClickLog[]): ClickLog {
  const n = logs.reduce((s, l) => s + l.user.length, 0);
  const out: ClickLog = { user: new Int32Array(n), item: new Int32Array(n), click: new Uint8Array(n) };
  let at = 0;
  for (const l of logs) {
    out.user.set(l.user, at);
    out.item.set(l.item, at);
    out.click.set(l.click, at);
    at += l.user.length;
  }
  return out;
}

/** The rows of a behaviour log with hashUniform(row) < share (a fixed random subset). */
function subsetLog(log: BehaviourLog, share: number): BehaviourLog {
  if (share >= 1) return log;
  const rows: number[] = [];
  for (let r = 0; r < log.user.length; r++) if (hashUniform(SUBSET_SEED, r, 1) < share) rows.push(r);
  const pick = <T extends Int32Array | Uint8Array>(col: T, make: (n: number) => T): T => {
    const out = make(rows.length);
    rows.forEach((r, k) => (out[k] = col[r]));
    return out;
  };
  const ints = (n: number) => new Int32Array(n);
  const bytes = (n: number) => new Uint8Array(n);
  return {
    user: pick(log.user, ints),
    item: pick(log.item, ints),
    click: pick(log.click, bytes),
    conversion: pick(log.conversion, bytes),
    cart: pick(log.cart, bytes),
  };
}

interface DownstreamRun {
  label: string;
  curve: string;
  log: ClickLog;
  /** Knowledge rows ([rows * dim]) of the training, validation and test logs, or null without a plug-in. */
  knowledge: { train: Float32Array; valid: Float32Array; test: Float32Array } | null;
  knowledgeDim: number;
  plugLayer: number;
  plugInInit: PlugInInit;
  rng: Rng;
}

/** A downstream model's test scores at its best validation step, and how its training stopped. */
interface DownstreamFit {
  scores: Float32Array;
  fit: EarlyStoppingResult;
}

/** The stopping rule every downstream model trains under (settings.ts). */
function stoppingRule(ctx: ProtocolJobContext): StoppingRule {
  const read = new ParamReader(KEEP_SETTINGS, ctx.protocolParams, 'protocolParams');
  return {
    maxSteps: read.number('maxSteps'),
    evalEvery: read.number('evalEvery'),
    patience: read.number('patience'),
  };
}

/** Trains one downstream model under the stopping rule (early-stopping.ts) and scores the test window. */
async function fitDownstream(
  ctx: ProtocolJobContext,
  stage: Pick<ProtocolJobContext, 'emit' | 'signal'>,
  data: KeepData,
  training: TrainingSpec,
  run: DownstreamRun,
): Promise<DownstreamFit> {
  const model = new DownstreamModel({
    ...catalogueOf(data),
    embeddingDim: training.embeddingDim,
    learningRate: training.learningRate,
    rng: run.rng.fork(1),
    useUserId: new ParamReader(KEEP_SETTINGS, ctx.protocolParams, 'protocolParams').boolean(
      'downstreamUserId',
    ),
    knowledgeDim: run.knowledgeDim,
    plugLayer: run.plugLayer,
    plugInInit: run.plugInInit,
  });
  const { log, knowledge, knowledgeDim } = run;
  const valid = data.targetValid;
  const test = data.targetTest;
  let scores: Float32Array = new Float32Array(test.user.length);
  try {
    const fit = await trainWithEarlyStopping({
      ctx: stage,
      label: run.label,
      rows: log.user.length,
      batchSize: training.batchSize,
      shuffle: run.rng.fork(2),
      rule: stoppingRule(ctx),
      curve: run.curve,
      step: (rows) => {
        let k: Float32Array | null = null;
        if (knowledge) {
          k = new Float32Array(rows.length * knowledgeDim);
          rows.forEach((r, b) =>
            k?.set(knowledge.train.subarray(r * knowledgeDim, (r + 1) * knowledgeDim), b * knowledgeDim),
          );
        }
        return model.trainStep(
          Int32Array.from(rows, (r) => log.user[r]),
          Int32Array.from(rows, (r) => log.item[r]),
          Float32Array.from(rows, (r) => log.click[r]),
          k,
        );
      },
      validate: async () =>
        gauc(valid.user, await model.predict(valid.user, valid.item, knowledge?.valid ?? null), valid.click)
          .gauc,
      onBest: async () => {
        scores = await model.predict(test.user, test.item, knowledge?.test ?? null);
      },
    });
    return { scores, fit };
  } finally {
    model.dispose();
  }
}

async function pretrain(
  stage: Pick<ProtocolJobContext, 'emit' | 'signal'>,
  method: string,
  architecture: ExtractorArchitecture,
  log: BehaviourLog,
  tasks: Task[],
  alpha: number,
  data: KeepData,
  training: TrainingSpec,
  rng: Rng,
): Promise<KnowledgeExtractor> {
  const extractor = new KnowledgeExtractor({
    architecture,
    tasks,
    ...catalogueOf(data),
    embeddingDim: training.embeddingDim,
    userEmbeddingDim: USER_EMBEDDING_FACTOR * training.embeddingDim,
    learningRate: training.learningRate,
    alpha,
    rng: rng.fork(1),
  });
  const sampler = new PretrainSampler(log, tasks, data.numUsers, rng.fork(2));
  const point = new Float64Array(tasks.length);
  const pair = new Float64Array(tasks.length);
  let rows = 0;
  const prefix = `${method}/pretrain${architecture === 'interaction' ? '' : `-${architecture}`}`;
  try {
    await runEpochs({
      ctx: stage,
      label: `${method} pre-training (${architecture})`,
      examples: range(0, log.user.length),
      epochs: training.epochs,
      batchSize: training.batchSize,
      shuffle: rng.fork(3),
      lossCurve: `${prefix}/loss`,
      step: async (batchRows) => {
        const result = await extractor.trainStep(sampler.batch(batchRows));
        for (let t = 0; t < tasks.length; t++) {
          point[t] += result.point[t] * batchRows.length;
          pair[t] += result.pair[t] * batchRows.length;
        }
        rows += batchRows.length;
        return result.loss;
      },
      afterEpoch: () => {
        const out: Record<string, number> = {};
        tasks.forEach((task, t) => {
          out[`${prefix}/${task}/point`] = point[t] / rows;
          out[`${prefix}/${task}/pair`] = pair[t] / rows;
        });
        point.fill(0);
        pair.fill(0);
        rows = 0;
        return out;
      },
    });
    return extractor;
  } catch (error) {
    extractor.dispose();
    throw error;
  }
}

function sumClicks(log: BehaviourLog, numUsers: number): Int32Array {
  const counts = new Int32Array(numUsers);
  for (let r = 0; r < log.user.length; r++) counts[log.user[r]] += log.click[r];
  return counts;
}

/**
 * GAUC, AUC, GT-GAUC (simulated data) and Table 7's GAUC per user-activity quartile (users ranked
 * by their super-domain clicks in the pre-training window, quartile 1 the sparsest).
 */
export function evaluateScores(data: KeepData, scores: Float32Array): Record<string, number> {
  const test = data.targetTest;
  const out: Record<string, number> = {
    GAUC: gauc(test.user, scores, test.click).gauc,
    AUC: rocAuc(scores, test.click),
  };
  if (data.targetClickProbability) {
    const p = Float64Array.from(test.user, (u, r) => data.targetClickProbability?.(u, test.item[r]) ?? NaN);
    out['GT-GAUC'] = groundTruthGauc(test.user, scores, p);
  }
  const clicks = sumClicks(data.superPretrain, data.numUsers);
  const testUsers = [...new Set(test.user)].sort((a, b) => clicks[a] - clicks[b] || a - b);
  const groupOf = new Int32Array(data.numUsers).fill(-1);
  testUsers.forEach((u, k) => (groupOf[u] = Math.floor((k * ACTIVITY_GROUPS) / testUsers.length)));
  for (let g = 0; g < ACTIVITY_GROUPS; g++) {
    const rows = range(0, test.user.length).filter((r) => groupOf[test.user[r]] === g);
    out[`GAUC Q${g + 1}`] = gauc(
      Array.from(rows, (r) => test.user[r]),
      Array.from(rows, (r) => scores[r]),
      Array.from(rows, (r) => test.click[r]),
    ).gauc;
  }
  return out;
}

/** Tasks switched on (Table 4); throws naming the parameter when none is. */
function tasksOf(read: ParamReader): Task[] {
  const keys: Record<Task, string> = { click: 'clickTask', conversion: 'conversionTask', cart: 'cartTask' };
  const tasks = TASKS.filter((t) => read.boolean(keys[t]));
  if (tasks.length === 0)
    throw new Error('params.clickTask: at least one pre-training task (click, conversion, cart) must be on');
  return tasks;
}

export async function runKeepJob(ctx: ProtocolJobContext): Promise<Record<string, number>> {
  const method = ctx.request.method.id;
  const training = ctx.request.spec.training;
  const descriptor = KEEP_METHODS.find((m) => m.id === method);
  if (!descriptor) throw new Error(`method.id: "${method}" is not a method of the KEEP protocol`);
  const read = new ParamReader(descriptor, ctx.params);
  const log = (message: string) => ctx.emit({ type: 'log', level: 'info', message });

  const data = await ctx.timed('data', () => buildKeepData(ctx));
  const total = data.superPretrain.user.length + data.superConcurrent.user.length;
  ctx.emit({
    type: 'dataset',
    name: data.name,
    users: data.numUsers,
    items: data.numItems,
    interactions: total + data.targetTrain.user.length + data.targetTest.user.length,
    positives:
      data.superPretrain.click.reduce((s, c) => s + c, 0) +
      data.superConcurrent.click.reduce((s, c) => s + c, 0) +
      data.targetTrain.click.reduce((s, c) => s + c, 0) +
      data.targetTest.click.reduce((s, c) => s + c, 0),
    hasGroundTruth: data.targetClickProbability !== undefined,
  });
  log(describeKeepData(data));
  throwIfCancelled(ctx.signal);

  // What the method trains, to split the training progress by work (rows x epochs).
  const twoStage = method === 'keep' || method === 'keep-c';
  const parts: KnowledgeParts = twoStage
    ? {
        user: read.boolean('userKnowledge'),
        item: read.boolean('itemKnowledge'),
        interaction: read.boolean('interactionKnowledge'),
      }
    : { user: false, item: false, interaction: false };
  const usesKnowledge = parts.user || parts.item || parts.interaction;
  const form = twoStage ? read.choice<KnowledgeForm>('knowledgeForm') : 'full';
  const tasks = twoStage ? tasksOf(read) : [];
  const pretrainLog =
    method === 'keep' ? subsetLog(data.superPretrain, read.number('pretrainShare')) : data.superConcurrent;
  if (usesKnowledge && pretrainLog.user.length === 0)
    throw new Error('params.pretrainShare: the pre-training subset is empty; raise the share');
  const mergedLog =
    method === 'keep-sample-merging'
      ? mergeLogs([
          data.targetTrain,
          ...(read.choice('mergeWindow') === 'all' ? [data.superPretrain] : []),
          data.superConcurrent,
        ])
      : data.targetTrain;
  const targetRows = data.targetTrain.user.length;
  const architectures = usesKnowledge ? extractorsFor(form) : [];
  // Progress split by optimisation steps: pre-training's passes, then up to maxSteps per downstream model.
  const rule = stoppingRule(ctx);
  const work = {
    base: method === 'keep-base' ? 0 : rule.maxSteps,
    pretrain: (architectures.length * training.epochs * pretrainLog.user.length) / training.batchSize,
    downstream: rule.maxSteps,
  };
  const totalWork = Math.max(1, work.base + work.pretrain + work.downstream);
  let done = 0;
  const nextStage = (amount: number) => {
    const stage = stageContext(ctx, done / totalWork, amount / totalWork);
    done += amount;
    return stage;
  };

  const extractors: Extractors = {};
  try {
    const { base, own } = await ctx.timed('train', async () => {
      // Base on the same seed (streams of the keep-base job), for Improv.
      const baseRng = ctx.rng.fork(1);
      let base: DownstreamFit | null = null;
      if (method !== 'keep-base')
        base = await fitDownstream(ctx, nextStage(work.base), data, training, {
          label: 'Base (for Improv.)',
          curve: `${method}/base`,
          log: data.targetTrain,
          knowledge: null,
          knowledgeDim: 0,
          plugLayer: 1,
          plugInInit: 'zero',
          rng: baseRng,
        });
      if (method === 'keep-base' || method === 'keep-sample-merging') {
        if (method === 'keep-sample-merging')
          log(`Sample Merging: ${mergedLog.user.length} samples (${targetRows} from the sub-domain).`);
        const own = await fitDownstream(ctx, nextStage(work.downstream), data, training, {
          label: method === 'keep-base' ? 'Base' : 'Sample Merging',
          curve: `${method}/downstream`,
          log: mergedLog,
          knowledge: null,
          knowledgeDim: 0,
          plugLayer: 1,
          plugInInit: 'zero',
          // Common random numbers (see below): Sample Merging starts from Base's initialisation.
          rng: baseRng,
        });
        return { base, own };
      }
      // KEEP / KEEP-C: stage 1, knowledge extraction.
      const alpha = read.number('alpha');
      let source: KnowledgeSource | null = null;
      if (usesKnowledge) {
        log(
          `${method}: pre-training ${architectures.join(' + ')} on ${pretrainLog.user.length} super-domain impressions ` +
            `(tasks ${tasks.join(', ')}, α = ${alpha}).`,
        );
        for (const [k, arch] of architectures.entries()) {
          extractors[arch] = await pretrain(
            nextStage(work.pretrain / architectures.length),
            method,
            arch,
            pretrainLog,
            tasks,
            alpha,
            data,
            training,
            ctx.rng.fork(10 + k),
          );
          const probe = data.superConcurrent === pretrainLog ? data.targetTrain : data.superConcurrent;
          const clickIndex = tasks.indexOf('click');
          if (clickIndex >= 0 && probe.user.length > 0) {
            const extractor = extractors[arch];
            const logits = (await extractor?.logits(probe.user, probe.item))?.[clickIndex];
            const transfer = (await extractor?.logits(data.targetTrain.user, data.targetTrain.item))?.[
              clickIndex
            ];
            if (logits && transfer)
              log(
                `${method} ${arch} extractor: click AUC ${rocAuc(logits, probe.click).toFixed(4)} on held-out impressions; ` +
                  `its click score alone has GAUC ${gauc(data.targetTrain.user, transfer, data.targetTrain.click).gauc.toFixed(4)} ` +
                  'on the sub-domain training window.',
              );
          }
        }
        source = await servingKnowledge(form, extractors, parts, data);
        log(
          `${method}: K = [${source.layout.map((p) => `${p.name} (${p.dim})`).join(', ')}], ${form} form, m = ${read.number('plugLayer')}.`,
        );
        if (source instanceof CachedKnowledge) {
          const { users, items, userCategories } = source.entries;
          log(
            `${method}: serving cache of ${users} user + ${items} item + ${userCategories} user-category rows ` +
              `(N_u + N_i + N_uc = ${users + items + userCategories}, against N_u x N_i = ${data.numUsers * data.numItems} pairs).`,
          );
        }
      } else {
        log(`${method}: no knowledge part is switched on; the plug-in is left out (this is Base).`);
      }
      throwIfCancelled(ctx.signal);
      // Stage 2, knowledge plugging.
      const knowledge = source
        ? {
            train: await source.knowledge(data.targetTrain.user, data.targetTrain.item),
            valid: await source.knowledge(data.targetValid.user, data.targetValid.item),
            test: await source.knowledge(data.targetTest.user, data.targetTest.item),
          }
        : null;
      const own = await fitDownstream(ctx, nextStage(work.downstream), data, training, {
        label: `${method} downstream`,
        curve: `${method}/downstream`,
        log: data.targetTrain,
        knowledge,
        knowledgeDim: source?.dim ?? 0,
        plugLayer: read.number('plugLayer'),
        plugInInit: read.choice<PlugInInit>('plugInInit'),
        // Common random numbers: every downstream model of a seed draws its shared parameters'
        // initialisation and its batch order from Base's stream, so KEEP's model starts as Base
        // (with the zero plug-in, exactly) and sees the same batches; Improv. then measures the
        // knowledge, not a second draw of initialisation and batch order (issue #15: those made
        // the paired improvement's seed spread 0.01, above the paper's +0.007). Without
        // knowledge this is Table 3's first row, Base itself.
        rng: baseRng,
      });
      return { base, own };
    });
    return await ctx.timed('eval', () => {
      const metrics = evaluateScores(data, own.scores);
      const baseMetrics = base ? evaluateScores(data, base.scores) : metrics;
      metrics['Improv.'] = metrics.GAUC - baseMetrics.GAUC;
      if (metrics['GT-GAUC'] !== undefined)
        metrics['GT Improv.'] = metrics['GT-GAUC'] - baseMetrics['GT-GAUC'];
      metrics['Valid GAUC'] = own.fit.bestValue;
      metrics['Best step'] = own.fit.bestStep;
      metrics['Stop step'] = own.fit.stoppedStep;
      metrics['Base best step'] = base ? base.fit.bestStep : own.fit.bestStep;
      return metrics;
    });
  } finally {
    for (const e of Object.values(extractors)) e?.dispose();
  }
}
