/**
 * Test support for the DAMCAR testbed's methods (imported by *.test.ts only): a method context
 * around a tiny simulated cascade (../test-support.ts), and a fake ranking model.
 */
import type { ParamValues, TrainingSpec } from '../../../contract/api';
import { type CascadeDataset, trainingView } from '../../data/dataset';
import { splitByUserTime } from '../../data/split';
import type { JobEvent } from '../../experiments/job';
import { type DssmArchitecture, PAPER_DSSM } from '../../models/dssm';
import { createRng } from '../../random';
import type { MethodContext, RankingScorer } from './methods';

export { TINY_SIMULATOR, tinyDataset } from '../test-support';

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
