/**
 * runJob as a dispatcher: what it checks before any testbed runs. The cascade testbed's own jobs
 * are tested through runJob in protocols/damcar/train.test.ts, the others' in their folders.
 */
import { describe, expect, it } from 'vitest';
import { cascadeJobRequest, runCollecting } from '../protocols/damcar/test-support';

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
});
