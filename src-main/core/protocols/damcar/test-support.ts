/**
 * Test support for the DAMCAR testbed's methods (imported by *.test.ts only): a method context
 * around a tiny simulated cascade (../test-support.ts), and a fake ranking model.
 */
import type { ParamValues, SimulatorParams, TrainingSpec } from '../../../contract/api';
import { type CascadeDataset, trainingView } from '../../data/dataset';
import { resolveSimulatorParams } from '../../data/simulator';
import { splitByUserTime } from '../../data/split';
import type { JobEvent, JobRequest } from '../../experiments/job';
import { runJob } from '../../experiments/run-job';
import { defaultExperimentSpec } from '../../experiments/spec';
import { type DssmArchitecture, PAPER_DSSM } from '../../models/dssm';
import { createRng } from '../../random';
import type { MethodContext, RankingScorer } from './methods';
import { PAPER_RETRIEVAL_PARAMS } from './settings';

export { TINY_SIMULATOR, tinyDataset } from '../test-support';

/** The small world the cascade jobs run on through runJob (80 users, 150 items). */
const JOB_WORLD: SimulatorParams = resolveSimulatorParams({
  users: 80,
  items: 150,
  categories: 5,
  latentDim: 4,
  multimodalDim: 4,
  exposuresPerUser: 20,
  candidatesPerRequest: 30,
  exposedPerRequest: 5,
  seed: 2,
});

/**
 * A BC job of the cascade testbed on that world. It uses the paper's DSSM reading, because the
 * authors' (ReLU on the towers' last layer) collapses on a world this small.
 */
export function cascadeJobRequest(seed: number, overrides: Partial<JobRequest> = {}): JobRequest {
  const spec = defaultExperimentSpec();
  spec.protocolParams = { ...PAPER_RETRIEVAL_PARAMS };
  spec.training = { epochs: 2, batchSize: 128, learningRate: 0.01, embeddingDim: 16 };
  spec.evaluation = { retrievalK: [10, 20], corpus: 'all' };
  return {
    runId: 1,
    experimentId: 1,
    spec,
    method: { id: 'bc', params: {}, label: 'BC' },
    seed,
    dataset: { kind: 'simulated', params: JOB_WORLD },
    backend: 'wasm',
    ...overrides,
  };
}

/** Runs a job through runJob and keeps the events it sent. */
export async function runCollecting(req: JobRequest, signal = new AbortController().signal) {
  const events: JobEvent[] = [];
  const result = await runJob(req, (e) => events.push(e), signal);
  return { result, events };
}

export const TINY_TRAINING: TrainingSpec = { epochs: 2, batchSize: 64, learningRate: 0.01, embeddingDim: 8 };

/**
 * A deterministic stand-in for DeepFM/DCN: a fixed smooth function of (user, item) in (0.05, 0.95),
 * counting its calls.
 */
export function fakeRanking(): RankingScorer & { calls: number } {
  const scorer = {
    name: 'Fake',
    calls: 0,
    async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
      scorer.calls++;
      return Float32Array.from(users, (u, k) => 0.5 + 0.45 * Math.sin(1.7 * u + 2.3 * items[k]));
    },
  };
  return scorer;
}

export interface TestContext extends MethodContext {
  events: JobEvent[];
}

export function methodContext(
  dataset: CascadeDataset,
  options: {
    params?: ParamValues;
    ranking?: RankingScorer | null;
    seed?: number;
    training?: Partial<TrainingSpec>;
    /** Default: the paper's reading, which the equation tests were written against. */
    retrieval?: DssmArchitecture;
  } = {},
): TestContext {
  const view = trainingView(dataset);
  const events: JobEvent[] = [];
  return {
    dataset: view,
    split: splitByUserTime(view),
    training: { ...TINY_TRAINING, ...options.training },
    retrieval: options.retrieval ?? PAPER_DSSM,
    params: options.params ?? {},
    rng: createRng(options.seed ?? 1),
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    ranking: options.ranking === undefined ? fakeRanking() : options.ranking,
    events,
  };
}

/** The curve events of one name, as values by step. */
export function curve(events: JobEvent[], name: string): number[] {
  return events.flatMap((e) => (e.type === 'curve' && e.name === name ? [e.value] : []));
}
