/**
 * runJob as a dispatcher: what it checks before any testbed runs. The cascade testbed's own jobs
 * are tested through runJob in protocols/damcar/train.test.ts, the others' in their folders.
 */
import { describe, expect, it } from 'vitest';
import type { SimulatorParams } from '../../contract/api';
import { resolveSimulatorParams } from '../data/simulator';
import { PAPER_RETRIEVAL_PARAMS } from '../protocols/damcar/settings';
import type { JobEvent, JobRequest } from './job';
import { runJob } from './run-job';
import { defaultExperimentSpec } from './spec';

const TINY: SimulatorParams = resolveSimulatorParams({
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

function request(seed: number, overrides: Partial<JobRequest> = {}): JobRequest {
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
    dataset: { kind: 'simulated', params: TINY },
    backend: 'wasm',
    ...overrides,
  };
}

async function run(req: JobRequest, signal = new AbortController().signal) {
  const events: JobEvent[] = [];
  const result = await runJob(req, (e) => events.push(e), signal);
  return { result, events };
}

describe('runJob', () => {
  it('names a stored dataset folder it cannot read, and refuses unknown methods clearly', async () => {
    await expect(
      run(request(1, { dataset: { kind: 'stored', datasetId: 4, path: '/nonexistent/cascade-ds4' } })),
    ).rejects.toThrow(/\/nonexistent\/cascade-ds4\/meta\.json: cannot read the processed dataset \(ENOENT\)/);
    await expect(run(request(1, { method: { id: 'nope', params: {}, label: 'x' } }))).rejects.toThrow(
      /Unknown method "nope"/,
    );
  });

  it("hands a protocol job its row's settings over the spec's, and names a bad one", async () => {
    const base = request(1);
    const spec = { ...base.spec, protocol: 'ukdsl' as const, protocolParams: {} };
    const job = (protocolParams: Record<string, number>) =>
      run({ ...base, spec, method: { id: 'ukdsl-sim', params: {}, label: 'sim', protocolParams } });
    await expect(job({ poolSize: -1 })).rejects.toThrow(/^method\.protocolParams\.poolSize: /);
    // A cascade method cannot run in another paper's testbed.
    await expect(run({ ...base, spec })).rejects.toThrow(/BC runs in the "damcar" protocol, not "ukdsl"/);
  });
});
