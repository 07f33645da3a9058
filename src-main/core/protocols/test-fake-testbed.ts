/**
 * A test-only testbed (fake-testbed.test.ts): one method whose job returns a metric computed from
 * its parameter, the testbed's setting and the seed, without data or tfjs. Importing this module
 * registers it (core/protocols/registry.ts registerProtocol) — in the test's thread, and in each
 * training worker, which imports it again by this module's URL.
 */
import type { ProtocolModule } from './types';
import { getProtocolModule, registerProtocol } from './registry';
import { numberParam } from '../methods/param-spec';

export const FAKE_TESTBED_ID = 'fake-testbed';
export const FAKE_METHOD_ID = 'fake-method';
const PAPER = 'Fake testbed (a test fixture)';

/** The job's metric: Score = offset + scale * seed / 100. */
export function fakeScore(offset: number, scale: number, seed: number): number {
  return offset + (scale * seed) / 100;
}

export const fakeTestbed: ProtocolModule = {
  descriptor: {
    id: FAKE_TESTBED_ID,
    name: 'Fake testbed',
    paper: PAPER,
    summary: 'A testbed with one method whose score is a formula of its parameter and the seed.',
    params: [numberParam('scale', 'Scale', 'Multiplies the seed in the score.', 1, 0, 10, false)],
    methods: [FAKE_METHOD_ID],
    training: { epochs: 1, batchSize: 1, learningRate: 0.01, embeddingDim: 1 },
    evaluationSettings: [],
    presentation: { rankingStage: false, figures: {}, pairedMethods: [] },
  },
  methods: [
    {
      id: FAKE_METHOD_ID,
      name: 'Fake',
      paper: PAPER,
      summary: 'Scores offset + scale * seed / 100.',
      equations: [],
      stage: 'retrieval',
      protocol: FAKE_TESTBED_ID,
      params: [numberParam('offset', 'Offset', 'Added to the score.', 0, -1, 1, false)],
    },
  ],
  columns: () => [{ key: 'Score', group: 'Fake', higherIsBetter: true }],
  caption: () => 'Score = offset + scale * seed / 100',
  async runJob(ctx) {
    const score = await ctx.timed('train', () => {
      ctx.emit({
        type: 'progress',
        phase: 'train',
        epoch: 1,
        epochs: 1,
        step: 1,
        stepsPerEpoch: 1,
        loss: null,
        samplesPerSecond: null,
        fraction: 1,
      });
      return fakeScore(Number(ctx.params.offset), Number(ctx.protocolParams.scale), ctx.request.seed);
    });
    return { Score: score };
  },
};

// Once per thread: a test file may import this module and also load it through another path.
if (!getProtocolModule(FAKE_TESTBED_ID)) registerProtocol(fakeTestbed, import.meta.url);

/** A spec of the fake testbed, as a spec file would hold it (two seeds). */
export const FAKE_SPEC = {
  name: 'Fake testbed run',
  protocol: FAKE_TESTBED_ID,
  protocolParams: { scale: 2 },
  dataset: {
    kind: 'simulated',
    params: { users: 60, items: 120, exposuresPerUser: 16, candidatesPerRequest: 30, exposedPerRequest: 4 },
  },
  methods: [{ id: FAKE_METHOD_ID, params: { offset: 0.25 } }],
  training: { epochs: 1, batchSize: 1, learningRate: 0.01, embeddingDim: 1 },
  evaluation: { retrievalK: [10], corpus: 'all' },
  seeds: [1, 2],
  backend: 'cpu',
};
