/**
 * Test support for protocol modules (imported by *.test.ts only): a small simulated cascade, and a
 * ProtocolJobContext around it collecting the events the job emits.
 */
import type { ParamValues, ProtocolId, SimulatorParams, TrainingSpec } from '../../contract/api';
import type { CascadeDataset } from '../data/dataset';
import { resolveSimulatorParams, simulateCascade } from '../data/simulator';
import type { JobEvent, JobRequest } from '../experiments/job';
import { materializeDataset } from '../experiments/run-job';
import { createRng } from '../random';
import type { ProtocolJobContext } from './types';

/** Simulator settings of a small cascade log: 60 users, 120 items, 16 exposures each. */
export const TINY_SIMULATOR: Partial<SimulatorParams> = {
  users: 60,
  items: 120,
  categories: 6,
  latentDim: 4,
  multimodalDim: 5,
  exposuresPerUser: 16,
  candidatesPerRequest: 30,
  exposedPerRequest: 4,
  exposureBias: 0.9,
  seed: 3,
};

/** The small cascade log of TINY_SIMULATOR, with another seed if given. */
export function tinyDataset(seed = 3): CascadeDataset {
  return simulateCascade(resolveSimulatorParams({ ...TINY_SIMULATOR, seed }));
}

export const TINY_PROTOCOL_TRAINING: TrainingSpec = {
  epochs: 2,
  batchSize: 64,
  learningRate: 0.01,
  embeddingDim: 8,
};

export interface ProtocolTestContext extends ProtocolJobContext {
  events: JobEvent[];
}

export interface ProtocolTestOptions {
  protocol: ProtocolId;
  method: string;
  /** Every parameter the method declares (tests pass them resolved, as runJob does). */
  params?: ParamValues;
  protocolParams?: ParamValues;
  simulator?: Partial<SimulatorParams>;
  training?: Partial<TrainingSpec>;
  seed?: number;
  /** Aborts the job when it fires. */
  signal?: AbortSignal;
}

/** A job context as runJob builds it for a simulated dataset; events are collected in `events`. */
export function protocolTestContext(options: ProtocolTestOptions): ProtocolTestContext {
  const simulator = resolveSimulatorParams({ ...TINY_SIMULATOR, ...options.simulator });
  const training = { ...TINY_PROTOCOL_TRAINING, ...options.training };
  const seed = options.seed ?? 1;
  const params = options.params ?? {};
  const request: JobRequest = {
    runId: 1,
    experimentId: 1,
    spec: {
      name: `test ${options.protocol}`,
      protocol: options.protocol,
      protocolParams: options.protocolParams ?? {},
      dataset: { kind: 'simulated', params: simulator },
      retrieval: { model: 'dssm' },
      methods: [{ id: options.method, params }],
      training,
      evaluation: { retrievalK: [100], corpus: 'all', split: 'user-time' },
      seeds: [seed],
      backend: 'wasm',
    },
    method: { id: options.method, params, label: options.method },
    seed,
    dataset: { kind: 'simulated', params: simulator },
    backend: 'wasm',
  };
  const events: JobEvent[] = [];
  return {
    request,
    params,
    protocolParams: options.protocolParams ?? {},
    rng: createRng(seed),
    backend: 'wasm',
    emit: (event) => events.push(event),
    signal: options.signal ?? new AbortController().signal,
    timed: async (phase, work) => {
      const start = performance.now();
      const result = await work();
      events.push({ type: 'timing', phase, ms: Math.round(performance.now() - start) });
      return result;
    },
    materializeDataset: () => materializeDataset(request.dataset),
    events,
  };
}
