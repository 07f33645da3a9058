/**
 * Runs one job — one (method, seed) of an experiment — in its paper's testbed: resolves the
 * protocol module (protocols/registry.ts) and the method's parameters, starts the backend, and hands
 * the module a context (protocols/types.ts ProtocolJobContext) whose events it reports: progress
 * mapped onto the whole job by the module's phase shares, timings, logs and curves. The module
 * trains and evaluates; the same request and seed give the same metrics.
 */
import type { CascadeDataset } from '../data/dataset';
import { readProcessedSync } from '../node/importers/processed';
import { worldDigest } from '../node/world-digest';
import { toCascadeDataset } from '../node/importers/to-cascade';
import { simulateCascade } from '../data/simulator';
import { throwIfCancelled } from '../methods/loop';
import { findMethodDescriptor, getProtocolModule } from '../protocols/registry';
import type { ProgressShares, ProtocolJobContext } from '../protocols/types';
import { createRng } from '../random';
import { initBackend } from '../tf/backend';
import {
  type JobDataset,
  type JobEvent,
  type JobRequest,
  type JobResult,
  formatMetrics,
  phaseProgress,
} from './job';
import { protocolOf, resolveParamValues, resolveProtocolParams } from './spec';

/** Progress shares of a testbed that declares none: data 5%, train 90%, eval 5%. */
const DEFAULT_SHARES: ProgressShares = { data: 0.05, eval: 0.05 };

type Phase = Extract<JobEvent, { type: 'progress' }>['phase'];

/**
 * The whole job's progress from its phases' own: each phase's share times the largest fraction it
 * has reported. Phases may overlap (the cascade testbed trains its ranking model when a method first
 * asks for its scores, in the middle of 'train'), so the bar is a weighted sum rather than spans
 * laid end to end: it never moves back, and for phases that run one after another it is the same.
 * Exported for its test.
 */
export function jobProgress(shares: ProgressShares): (phase: Phase, fraction: number) => number {
  const ranking = shares.ranking ?? 0;
  const weights: Partial<Record<Phase, number>> = {
    data: shares.data,
    ranking,
    train: 1 - shares.data - ranking - shares.eval,
    eval: shares.eval,
  };
  const done: Partial<Record<Phase, number>> = {};
  return (phase, fraction) => {
    if (phase === 'done') return 1;
    const clamped = Math.min(1, Math.max(0, fraction));
    done[phase] = Math.max(done[phase] ?? 0, clamped);
    let total = 0;
    for (const [name, weight] of Object.entries(weights) as [Phase, number][])
      total += weight * (done[name] ?? 0);
    return Math.min(1, total);
  };
}

let cached: { key: string; dataset: CascadeDataset } | null = null;

/**
 * Builds the job's dataset: simulated data is regenerated from its parameters (deterministic),
 * stored data is read from its processed columns (node/importers/processed.ts). The last one is
 * kept, so a worker running several seeds of one experiment builds it once.
 */
export function materializeDataset(source: JobDataset): CascadeDataset {
  const key = source.kind === 'stored' ? `stored:${source.path}` : JSON.stringify(source.params);
  if (cached && cached.key === key) return cached.dataset;
  const dataset =
    source.kind === 'stored'
      ? toCascadeDataset(readProcessedSync(source.path))
      : simulateCascade(source.params);
  cached = { key, dataset };
  return dataset;
}

/** Ends a job whose request wanted only its world's digest, right after the data phase. */
class WorldBuilt {
  constructor(readonly digest: string) {}
}

export async function runJob(
  request: JobRequest,
  emit: (e: JobEvent) => void,
  signal: AbortSignal,
): Promise<JobResult> {
  const timings: Record<string, number> = {};
  let digest: string | undefined;
  const log = (message: string, level: 'info' | 'warn' = 'info') => emit({ type: 'log', level, message });
  const progress = (phase: 'data' | 'done', fraction: number) =>
    emit(phaseProgress(phase, request.spec.training.epochs, fraction));
  // A phase timed inside another (the ranking model, trained when a method first asks for its
  // scores) is left out of the outer phase's time: 'train' stays the method's own training.
  const open: { nested: number }[] = [];
  const timed = async <T>(phase: string, work: () => T | Promise<T>): Promise<T> => {
    const frame = { nested: 0 };
    open.push(frame);
    const start = performance.now();
    let elapsed: number;
    let result: T;
    try {
      result = await work();
    } finally {
      elapsed = performance.now() - start;
      open.splice(open.lastIndexOf(frame), 1);
      const outer = open.at(-1);
      if (outer) outer.nested += elapsed;
    }
    const ms = Math.round(elapsed - frame.nested);
    timings[phase] = ms;
    emit({ type: 'timing', phase, ms });
    // Every testbed builds its whole world inside its 'data' phase (protocols/types.ts).
    if (phase === 'data' && request.worldDigest) {
      digest = worldDigest(result);
      if (request.worldDigest === 'only') throw new WorldBuilt(digest);
    }
    return result;
  };

  throwIfCancelled(signal);
  const protocol = protocolOf(request.spec);
  const module = getProtocolModule(protocol);
  if (!module) throw new Error(`Unknown protocol "${protocol}".`);
  const descriptor = findMethodDescriptor(request.method.id);
  if (!descriptor) throw new Error(`Unknown method "${request.method.id}".`);
  if (descriptor.protocol !== protocol) {
    throw new Error(`${descriptor.name} runs in the "${descriptor.protocol}" protocol, not "${protocol}".`);
  }
  const params = resolveParamValues(
    descriptor.params,
    request.method.params,
    'method.params',
    descriptor.name,
  );
  const jobFraction = jobProgress(module.progressShares?.(request.spec) ?? DEFAULT_SHARES);

  const backend = await initBackend(request.backend);
  emit({ type: 'backend', backend: backend.backend, device: backend.device, notes: backend.notes });
  for (const note of backend.notes) log(note);
  log(`Backend ${backend.backend} (${backend.device}).`);

  const context: ProtocolJobContext = {
    request,
    params,
    protocolParams: resolveProtocolParams(request.spec, {
      overrides: request.method.protocolParams,
      path: 'method.protocolParams',
    }),
    rng: createRng(request.seed),
    backend: backend.backend,
    signal,
    timed,
    materializeDataset: () => materializeDataset(request.dataset),
    emit: (event) => {
      if (event.type !== 'progress') return emit(event);
      emit({ ...event, fraction: jobFraction(event.phase, event.fraction) });
    },
  };
  if (request.prefetch) {
    // A helper on a spare core: the method-independent preparation only, no metrics.
    if (module.prefetch) await module.prefetch(context);
    return { metrics: {}, timings, backend: backend.backend, device: backend.device };
  }

  log(`Running ${request.method.label} (seed ${request.seed}) in the ${module.descriptor.name} testbed.`);
  progress('data', 0);
  let metrics: Record<string, number>;
  try {
    metrics = await module.runJob(context);
  } catch (error) {
    if (!(error instanceof WorldBuilt)) throw error;
    return {
      metrics: {},
      timings,
      backend: backend.backend,
      device: backend.device,
      worldDigest: error.digest,
    };
  }
  for (const [key, value] of Object.entries(metrics)) {
    if (!Number.isFinite(value)) throw new Error(`${descriptor.name}: metric ${key} is ${value}.`);
  }
  log(`${request.method.label}: ${formatMetrics(metrics)}`);
  progress('done', 1);
  return {
    metrics,
    timings,
    backend: backend.backend,
    device: backend.device,
    ...(digest === undefined ? {} : { worldDigest: digest }),
  };
}
