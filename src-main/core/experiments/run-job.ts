/**
 * Runs one job — one (method, seed) of an experiment — from backend to metrics:
 * backend -> data (materialise, stats, 6:2:2 split) -> train (the method) -> evaluate
 * (retrieval metrics, plus ground truth on simulated data). Every phase reports through `emit`;
 * the same request and seed give the same metrics.
 */
import type { CascadeDataset } from '../data/dataset';
import { datasetStats, groupItemsByUser, trainingView } from '../data/dataset';
import { simulateCascade } from '../data/simulator';
import { splitByUserTime } from '../data/split';
import { throwIfCancelled } from '../methods/loop';
import { getMethod } from '../methods/registry';
import type { MethodContext } from '../methods/types';
import { evaluateRetrieval } from '../metrics/retrieval';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import type { JobDataset, JobEvent, JobRequest, JobResult } from './job';
import { resolveParamValues } from './spec';

/** Shares of the overall progress fraction per phase. */
const DATA_SHARE = 0.05;
const TRAIN_SHARE = 0.9;

let cached: { key: string; dataset: CascadeDataset } | null = null;

/**
 * Builds the job's dataset. Simulated data is regenerated from its parameters (deterministic)
 * and the last one is kept, so a worker running several seeds of one experiment builds it once.
 */
export function materializeDataset(source: JobDataset): CascadeDataset {
  if (source.kind === 'stored') {
    throw new Error(
      `Stored datasets are not supported by the engine yet (dataset ${source.datasetId} at ${source.path}); ` +
        'use a simulated dataset for now.',
    );
  }
  const key = JSON.stringify(source.params);
  if (cached && cached.key === key) return cached.dataset;
  const dataset = simulateCascade(source.params);
  cached = { key, dataset };
  return dataset;
}

/** Distinct items of the rows, ascending. */
function distinctItems(dataset: CascadeDataset, rows: Int32Array): Int32Array {
  const seen = new Uint8Array(dataset.numItems);
  for (const r of rows) seen[dataset.interactions.item[r]] = 1;
  const out: number[] = [];
  for (let i = 0; i < seen.length; i++) if (seen[i]) out.push(i);
  return Int32Array.from(out);
}

export async function runJob(
  request: JobRequest,
  emit: (e: JobEvent) => void,
  signal: AbortSignal,
): Promise<JobResult> {
  const timings: Record<string, number> = {};
  const log = (message: string, level: 'info' | 'warn' = 'info') => emit({ type: 'log', level, message });
  const progress = (phase: 'data' | 'train' | 'eval' | 'done', fraction: number) =>
    emit({
      type: 'progress',
      phase,
      epoch: 0,
      epochs: request.spec.training.epochs,
      step: 0,
      stepsPerEpoch: 0,
      loss: null,
      samplesPerSecond: null,
      fraction,
    });
  const timed = async <T>(phase: string, work: () => T | Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    const ms = Math.round(performance.now() - start);
    timings[phase] = ms;
    emit({ type: 'timing', phase, ms });
    return result;
  };

  throwIfCancelled(signal);
  const method = getMethod(request.method.id);
  if (!method) throw new Error(`Unknown method "${request.method.id}".`);
  const params = resolveParamValues(
    method.descriptor.params,
    request.method.params,
    'method.params',
    method.descriptor.name,
  );

  const backend = await initBackend(request.backend);
  emit({ type: 'backend', backend: backend.backend, device: backend.device, notes: backend.notes });
  for (const note of backend.notes) log(note);
  log(`Backend ${backend.backend} (${backend.device}).`);

  // Data.
  progress('data', 0);
  const { dataset, split } = await timed('data', () => {
    const ds = materializeDataset(request.dataset);
    return { dataset: ds, split: splitByUserTime(trainingView(ds)) };
  });
  const stats = datasetStats(dataset);
  emit({
    type: 'dataset',
    name: dataset.name,
    users: stats.users,
    items: stats.items,
    interactions: stats.interactions,
    positives: stats.positives,
    hasGroundTruth: stats.hasGroundTruth,
  });
  log(
    `${dataset.name}: ${stats.interactions} interactions (${(stats.positiveRate * 100).toFixed(1)}% finished); ` +
      `split ${split.train.length}/${split.valid.length}/${split.test.length} (train/valid/test).`,
  );
  progress('data', DATA_SHARE);
  throwIfCancelled(signal);

  // Training.
  const ctx: MethodContext = {
    dataset: trainingView(dataset),
    split,
    training: request.spec.training,
    params,
    rng: createRng(request.seed),
    signal,
    // The ranking stage arrives with the cascade testbed (DeepFM / DCN); until then, none.
    ranking: null,
    emit: (event) => {
      if (event.type === 'progress' && event.phase === 'train') {
        emit({ ...event, fraction: DATA_SHARE + TRAIN_SHARE * event.fraction });
      } else {
        emit(event);
      }
    },
  };
  log(`Training ${request.method.label} (seed ${request.seed}).`);
  const trained = await timed('train', () => method.train(ctx));
  throwIfCancelled(signal);

  // Evaluation.
  progress('eval', DATA_SHARE + TRAIN_SHARE);
  const evaluation = request.spec.evaluation;
  const groundTruth = dataset.groundTruth;
  const result = await timed('eval', () =>
    evaluateRetrieval({
      userVectors: trained.userVectors,
      itemVectors: trained.itemVectors,
      dim: trained.dim,
      numUsers: dataset.numUsers,
      numItems: dataset.numItems,
      testPositives: groupItemsByUser(dataset, split.test, { onlyPositive: true, unique: true }),
      corpus: evaluation.corpus === 'test' ? distinctItems(dataset, split.test) : null,
      ks: evaluation.retrievalK,
      ...(groundTruth ? { groundTruthPositives: (u: number) => groundTruth.unexposedPositives(u) } : {}),
    }),
  );
  log(
    `Evaluated ${result.evaluatedUsers} test users over ${evaluation.corpus === 'all' ? 'all items' : 'test-split items'}` +
      (groundTruth ? `, ${result.groundTruthUsers} with ground truth` : '') +
      ': ' +
      Object.entries(result.metrics)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', '),
  );
  progress('done', 1);
  return { metrics: result.metrics, timings, backend: backend.backend, device: backend.device };
}
