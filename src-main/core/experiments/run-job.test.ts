/**
 * runJob as a dispatcher: what it checks before any testbed runs. The cascade testbed's own jobs
 * are tested through runJob in protocols/damcar/train.test.ts, the others' in their folders.
 */
import { describe, expect, it } from 'vitest';
import { cascadeJobRequest, runCollecting } from '../protocols/damcar/test-support';
import { jobProgress } from './run-job';

describe('runJob', () => {
  it('names a stored dataset folder it cannot read, and refuses unknown methods clearly', async () => {
    await expect(
      runCollecting(
        cascadeJobRequest(1, { dataset: { kind: 'stored', datasetId: 4, path: '/nonexistent/cascade-ds4' } }),
      ),
    ).rejects.toThrow(/\/nonexistent\/cascade-ds4\/meta\.json: cannot read the processed dataset \(ENOENT\)/);
    await expect(
      runCollecting(cascadeJobRequest(1, { method: { id: 'nope', params: {}, label: 'x' } })),
    ).rejects.toThrow(/Unknown method "nope"/);
  });

  it("hands a protocol job its row's settings over the spec's, and names a bad one", async () => {
    const base = cascadeJobRequest(1);
    const spec = { ...base.spec, protocol: 'ukdsl' as const, protocolParams: {} };
    const job = (protocolParams: Record<string, number>) =>
      runCollecting({ ...base, spec, method: { id: 'ukdsl-sim', params: {}, label: 'sim', protocolParams } });
    await expect(job({ poolSize: -1 })).rejects.toThrow(/^method\.protocolParams\.poolSize: /);
    // A cascade method cannot run in another paper's testbed.
    await expect(runCollecting({ ...base, spec })).rejects.toThrow(
      /BC runs in the "damcar" protocol, not "ukdsl"/,
    );
  });

  it('weighs each phase by its share: spans end to end for phases in order, never back when they overlap', () => {
    const shares = { data: 0.1, ranking: 0.2, eval: 0.1 };
    const inOrder = jobProgress(shares);
    expect(inOrder('data', 0.5)).toBeCloseTo(0.05, 12);
    expect(inOrder('data', 1)).toBeCloseTo(0.1, 12);
    expect(inOrder('ranking', 0.5)).toBeCloseTo(0.2, 12);
    expect(inOrder('ranking', 1)).toBeCloseTo(0.3, 12);
    expect(inOrder('train', 0.5)).toBeCloseTo(0.6, 12);
    expect(inOrder('train', 1)).toBeCloseTo(0.9, 12);
    expect(inOrder('eval', 0.5)).toBeCloseTo(0.95, 12);
    expect(inOrder('done', 0)).toBe(1);
    // The ranking model trained halfway through the method's training.
    const overlapping = jobProgress(shares);
    overlapping('data', 1);
    expect(overlapping('train', 0.5)).toBeCloseTo(0.4, 12);
    expect(overlapping('ranking', 0.5)).toBeCloseTo(0.5, 12);
    expect(overlapping('ranking', 1)).toBeCloseTo(0.6, 12);
    expect(overlapping('train', 1)).toBeCloseTo(0.9, 12);
    // A phase that reports a smaller fraction again (a new stage's first step) holds its best.
    expect(overlapping('train', 0.2)).toBeCloseTo(0.9, 12);
    // Without a ranking phase, 'train' gets its share.
    const plain = jobProgress({ data: 0.05, eval: 0.05 });
    expect(plain('train', 1)).toBeCloseTo(0.9, 12);
  });
});
